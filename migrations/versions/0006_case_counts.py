"""pre-aggregated case counts for statistics

`GET /v1/stats/{kind}` counted the `cases` rows of a kind on every call: 453 ms p95 at 1,000,000 hazards
even from a covering index (bench/RESULTS.md). `case_counts` holds one row per (kind, region, status,
level, enterprise) with the cases, the overdue and the closed-or-cancelled in it, kept by triggers on
`cases` in the transaction that changes the case, so the statistics read a few thousand rows whatever
the size of the store, and are exactly as fresh as the lists.

A case's change moves one unit from its old row to its new one; the two rows are locked in key order,
so two commands crossing the same pair of rows cannot deadlock. Rows that fall to zero stay (the
statistics skip them). `store.projector.rebuild` switches the row triggers off while it rewrites
`cases` and recounts the kind it rebuilt in one statement.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE case_counts (
            kind VARCHAR(20) NOT NULL,
            region VARCHAR(6) NOT NULL,
            status VARCHAR(40) NOT NULL,
            level VARCHAR(40) NOT NULL,
            enterprise_id VARCHAR(100) NOT NULL,
            n INTEGER NOT NULL,
            overdue INTEGER NOT NULL,
            terminal INTEGER NOT NULL,
            CONSTRAINT case_counts_pk PRIMARY KEY (kind, region, status, level, enterprise_id)
        )
        """
    )
    op.execute(
        """
        CREATE FUNCTION case_counts_add(
            k text, r text, s text, l text, e text, dn integer, dov integer, dt integer
        ) RETURNS void LANGUAGE sql AS $$
            INSERT INTO case_counts AS c (kind, region, status, level, enterprise_id, n, overdue, terminal)
            VALUES (k, r, s, coalesce(l, ''), coalesce(e, ''), dn, dov, dt)
            ON CONFLICT (kind, region, status, level, enterprise_id) DO UPDATE
            SET n = c.n + excluded.n, overdue = c.overdue + excluded.overdue,
                terminal = c.terminal + excluded.terminal
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION cases_count() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            old_key text[];
            new_key text[];
        BEGIN
            IF TG_OP = 'INSERT' THEN
                PERFORM case_counts_add(NEW.kind, NEW.region, NEW.status, NEW.level, NEW.enterprise_id,
                                        1, NEW.overdue::int, NEW.terminal::int);
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM case_counts_add(OLD.kind, OLD.region, OLD.status, OLD.level, OLD.enterprise_id,
                                        -1, -(OLD.overdue::int), -(OLD.terminal::int));
            ELSE
                old_key := ARRAY[OLD.kind, OLD.region, OLD.status, coalesce(OLD.level, ''),
                                 coalesce(OLD.enterprise_id, '')];
                new_key := ARRAY[NEW.kind, NEW.region, NEW.status, coalesce(NEW.level, ''),
                                 coalesce(NEW.enterprise_id, '')];
                IF old_key = new_key THEN
                    PERFORM case_counts_add(NEW.kind, NEW.region, NEW.status, NEW.level, NEW.enterprise_id,
                                            0, NEW.overdue::int - OLD.overdue::int,
                                            NEW.terminal::int - OLD.terminal::int);
                ELSIF old_key < new_key THEN  -- lock the two rows in key order: no deadlock
                    PERFORM case_counts_add(OLD.kind, OLD.region, OLD.status, OLD.level, OLD.enterprise_id,
                                            -1, -(OLD.overdue::int), -(OLD.terminal::int));
                    PERFORM case_counts_add(NEW.kind, NEW.region, NEW.status, NEW.level, NEW.enterprise_id,
                                            1, NEW.overdue::int, NEW.terminal::int);
                ELSE
                    PERFORM case_counts_add(NEW.kind, NEW.region, NEW.status, NEW.level, NEW.enterprise_id,
                                            1, NEW.overdue::int, NEW.terminal::int);
                    PERFORM case_counts_add(OLD.kind, OLD.region, OLD.status, OLD.level, OLD.enterprise_id,
                                            -1, -(OLD.overdue::int), -(OLD.terminal::int));
                END IF;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER cases_count_rows AFTER INSERT OR DELETE ON cases "
        "FOR EACH ROW EXECUTE FUNCTION cases_count()"
    )
    op.execute(
        """
        CREATE TRIGGER cases_count_changes AFTER UPDATE ON cases FOR EACH ROW
        WHEN ((OLD.kind, OLD.region, OLD.status, OLD.level, OLD.enterprise_id, OLD.overdue, OLD.terminal)
              IS DISTINCT FROM
              (NEW.kind, NEW.region, NEW.status, NEW.level, NEW.enterprise_id, NEW.overdue, NEW.terminal))
        EXECUTE FUNCTION cases_count()
        """
    )
    op.execute(
        """
        CREATE FUNCTION cases_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM case_counts;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER cases_count_truncate AFTER TRUNCATE ON cases "
        "FOR EACH STATEMENT EXECUTE FUNCTION cases_count_truncate()"
    )
    op.execute(
        """
        INSERT INTO case_counts
        SELECT kind, region, status, coalesce(level, ''), coalesce(enterprise_id, ''),
               count(*), count(*) FILTER (WHERE overdue), count(*) FILTER (WHERE terminal)
        FROM cases GROUP BY 1, 2, 3, 4, 5
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER cases_count_truncate ON cases")
    op.execute("DROP TRIGGER cases_count_changes ON cases")
    op.execute("DROP TRIGGER cases_count_rows ON cases")
    op.execute("DROP FUNCTION cases_count_truncate()")
    op.execute("DROP FUNCTION cases_count()")
    op.execute("DROP FUNCTION case_counts_add(text, text, text, text, text, integer, integer, integer)")
    op.execute("DROP TABLE case_counts")
