"""deployment keys: a fingerprint of each secret the processes of one deployment must share

Revision ID: 0013
Revises: 0012

One row per secret (`seal_key`, `jwt_secret`): the fingerprint the first process to start recorded
(never the key). Every later process compares its own against it at start and in `/readyz`
(runtime/keys.py), so a replica started with another key is refused instead of sealing payloads the
others cannot open.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment_keys",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("deployment_keys")
