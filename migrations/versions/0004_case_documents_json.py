"""cases.state and cases.view as json

The folded state and the API view are documents the service writes and reads whole: no query looks
inside them. `json` stores the text as given, where `jsonb` parses it into its binary form on every
write and prints it back on every read; on a bulk rebuild that conversion was 43 % of the database's
write time (bench/RESULTS.md).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE cases ALTER COLUMN state TYPE json USING state::json")
    op.execute("ALTER TABLE cases ALTER COLUMN view TYPE json USING view::json")


def downgrade() -> None:
    op.execute("ALTER TABLE cases ALTER COLUMN state TYPE jsonb USING state::jsonb")
    op.execute("ALTER TABLE cases ALTER COLUMN view TYPE jsonb USING view::jsonb")
