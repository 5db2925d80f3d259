"""enterprise regions: the responsibility registry binds each enterprise to its region

The registry trusted the `region` in a request body, so an inspector of one county could replace (and
read) the responsible persons of an enterprise in another by naming his own county. `enterprises` holds
the region each enterprise is registered in: the first registration binds it, reads and writes need
jurisdiction over it, and only a supervisor covering both regions moves it.

Enterprises already in the registry are bound to the region of their cases where all their cases are in
one region; the others stay unbound until their next registration (until then only a national
jurisdiction reads them).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("enterprise_id", sa.String(100), primary_key=True),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("region ~ '^[0-9]{6}$'", name="enterprises_region_six_ascii_digits"),
    )
    op.execute(
        """
        INSERT INTO enterprises (enterprise_id, region)
        SELECT c.enterprise_id, min(c.region)
        FROM cases c
        WHERE c.enterprise_id IN (SELECT party_id FROM contacts WHERE party_kind = 'enterprise')
        GROUP BY c.enterprise_id
        HAVING count(DISTINCT c.region) = 1
        """
    )


def downgrade() -> None:
    op.drop_table("enterprises")
