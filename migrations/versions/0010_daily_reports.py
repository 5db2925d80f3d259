"""daily reports: one row per enterprise and day of the 隐患日排查日报告 (seed 002), filed or missed

The events (kind `daily_report`, one stream per enterprise and day) are the record; this table is their
projection, written in the same transaction: what was filed, when, late or not, and the missed mark the
15:00 sweep records set-based.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_reports",
        sa.Column("enterprise_id", sa.String(100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("stream_id", sa.String(100), nullable=False),
        sa.Column("owed", sa.Boolean(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True)),
        sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("nothing_found", sa.Boolean()),
        sa.Column("hazard_ids", JSONB(), nullable=False, server_default="[]"),
        sa.Column("missed_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("enterprise_id", "day", name="daily_reports_pk"),
    )
    op.create_index("daily_reports_region_day", "daily_reports", ["region", "day"])


def downgrade() -> None:
    op.drop_table("daily_reports")
