"""a signing secret per webhook endpoint; the contact a delivery is for

Every webhook endpoint in `contacts` gets its own Standard Webhooks secret, sealed with the key ring
(`webhook_key_id`, `webhook_secret`: AES-GCM ciphertext bound to the URL). Existing endpoints have none
yet: each gets one at its party's next registry write (shown once in that response) or, failing that,
at its first send (notify/delivery.py); an administrator asks for a fresh one with
`new_webhook_secret`. `deliveries.contact_id` says whose registry entry a delivery signs and sends with;
existing rows take it from their idempotency key `<notification>:<contact>:<channel>`.

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contacts", sa.Column("webhook_key_id", sa.String(40)))
    op.add_column("contacts", sa.Column("webhook_secret", sa.LargeBinary()))
    op.add_column("deliveries", sa.Column("contact_id", sa.BigInteger()))
    op.execute(
        "UPDATE deliveries SET contact_id = split_part(idempotency_key, ':', 2)::bigint"
        " WHERE channel <> 'none' AND split_part(idempotency_key, ':', 2) ~ '^[0-9]+$'"
    )


def downgrade() -> None:
    op.drop_column("deliveries", "contact_id")
    op.drop_column("contacts", "webhook_secret")
    op.drop_column("contacts", "webhook_key_id")
