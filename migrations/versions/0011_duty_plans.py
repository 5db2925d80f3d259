"""duty plans: risk colour, inspection plans, inspections, 包保 assignments (issue #19, items 2 and 3)

`enterprises.risk_colour` (红橙黄蓝, seed 004) drives the inspection interval of the pack's
`duties.inspections`; `inspection_plans` holds each enterprise's next deadline (swept by the duty sweep,
an index on the open deadlines); `inspections` the inspections recorded (who, when, findings, the hazards
they opened); `duty_assignments` the officers' 包保 enterprises (seed 001, task 24). The facts themselves
are events (store/events.py) of the streams `IP-<enterprise>` and `OD-<officer>-<YYYYMM>`; an index on
events by kind and time serves the officers' monthly counts.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLOURS = "('red', 'orange', 'yellow', 'blue')"


def upgrade() -> None:
    op.add_column("enterprises", sa.Column("risk_colour", sa.String(10)))
    op.create_check_constraint("enterprises_risk_colour", "enterprises", f"risk_colour IN {COLOURS}")
    op.create_table(
        "inspection_plans",
        sa.Column("enterprise_id", sa.String(100), primary_key=True),
        sa.Column("stream_id", sa.String(100), nullable=False, unique=True),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("colour", sa.String(10), nullable=False),
        sa.Column("basis_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overdue", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_inspected_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"colour IN {COLOURS}", name="inspection_plans_colour"),
    )
    op.create_index(
        "inspection_plans_open_due", "inspection_plans", ["due_at"], postgresql_where="NOT overdue"
    )
    op.create_index("inspection_plans_region", "inspection_plans", ["region", "due_at"])
    op.create_table(
        "inspections",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("enterprise_id", sa.String(100), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("inspector_id", sa.String(128), nullable=False),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("hazard_ids", JSONB, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("inspections_enterprise", "inspections", ["enterprise_id", "inspected_at"])
    op.create_index("inspections_inspector", "inspections", ["inspector_id", "inspected_at"])
    op.create_table(
        "duty_assignments",
        sa.Column("officer_id", sa.String(128), nullable=False),
        sa.Column("enterprise_id", sa.String(100), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("officer_id", "enterprise_id", name="duty_assignments_pk"),
    )
    op.create_index("duty_assignments_region", "duty_assignments", ["region", "officer_id"])
    op.create_index("events_kind_occurred", "events", ["kind", "occurred_at"])


def downgrade() -> None:
    op.drop_index("events_kind_occurred", "events")
    op.drop_table("duty_assignments")
    op.drop_table("inspections")
    op.drop_table("inspection_plans")
    op.drop_constraint("enterprises_risk_colour", "enterprises")
    op.drop_column("enterprises", "risk_colour")
