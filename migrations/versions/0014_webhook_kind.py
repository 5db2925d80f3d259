"""each webhook endpoint's kind: a generic webhook, a WeCom group bot or a DingTalk custom robot

`contacts.webhook_kind` chooses the adapter that shapes, signs and judges its messages
(notify/bots.py); existing endpoints stay generic Standard Webhooks.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "contacts", sa.Column("webhook_kind", sa.String(20), nullable=False, server_default="webhook")
    )


def downgrade() -> None:
    op.drop_column("contacts", "webhook_kind")
