"""deliveries.contact_role: the registry role of the person a delivery went to (e.g. administrative).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("contact_role", sa.String(40), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("deliveries", "contact_role")
