"""record_events in one round trip: `hl_record_events`, a server-side function (issue #21)

One command's recording was up to seven round trips (BEGIN, the stream's head, the event insert, the
case row locked, its upsert, the outbox rows, COMMIT). The function does the same under the same
guarantees in one statement, its own transaction: it locks the case row, reads the stream's head, and
either

- `gap`: the stream is behind the expected version;
- `duplicate` / `conflict`: the versions after the expected one are taken, by these very events (the same
  hashes, so the same content and chain) or by others;
- `stale`: the hash the caller chained from is not the stream's head hash (the caller's view of the stream
  is out of date);
- `mismatch`: the case row is not at the expected version (or exists for a new stream);
- `ok`: the events inserted, the case row upserted (the case_counts triggers fire in this transaction)
  and the outbox rows inserted.

The hashes are computed by the caller (store/events.py: canonical JSON and SHA-256, unchanged), so the
audit's verification is untouched. The documents arrive as `json` (text) and become `jsonb` in the
statement that stores them, so a value the database cannot store (a NUL) fails that statement with its
SQLSTATE as before (the error's context names it: "INSERT INTO events").

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION hl_record_events(
    p_stream text, p_kind text, p_expected integer, p_prev_hash text, p_events json,
    p_actor json, p_occurred_at timestamptz, p_policy_id text, p_policy_version text,
    p_command_id text, p_case json, p_state json, p_view json, p_notes json,
    OUT outcome text, OUT head integer, OUT row_version integer
) LANGUAGE plpgsql AS $fn$
DECLARE
    head_hash text;
BEGIN
    SELECT c.version INTO row_version FROM cases c WHERE c.id = p_stream FOR UPDATE;
    SELECT e.version, e.hash INTO head, head_hash
      FROM events e WHERE e.stream_id = p_stream ORDER BY e.version DESC LIMIT 1;
    head := coalesce(head, 0);
    IF head < p_expected THEN
        outcome := 'gap';
        RETURN;
    END IF;
    IF head > p_expected THEN
        IF ARRAY(SELECT e.version::text || ':' || e.hash FROM events e
                  WHERE e.stream_id = p_stream AND e.version > p_expected
                    AND e.version <= p_expected + json_array_length(p_events)
                  ORDER BY e.version)
           = ARRAY(SELECT (x ->> 'version') || ':' || (x ->> 'hash')
                     FROM json_array_elements(p_events) x ORDER BY (x ->> 'version')::integer) THEN
            outcome := 'duplicate';
        ELSE
            outcome := 'conflict';
        END IF;
        RETURN;
    END IF;
    IF coalesce(head_hash, repeat('0', 64)) <> p_prev_hash OR p_case IS NULL THEN
        outcome := 'stale';
        RETURN;
    END IF;
    IF (p_expected = 0 AND row_version IS NOT NULL)
       OR (p_expected > 0 AND row_version IS DISTINCT FROM p_expected) THEN
        outcome := 'mismatch';
        RETURN;
    END IF;
    INSERT INTO events (stream_id, version, kind, type, data, actor, occurred_at, policy_id,
                        policy_version, command_id, prev_hash, hash)
    SELECT p_stream, (x ->> 'version')::integer, p_kind, x ->> 'type', (x -> 'data')::jsonb, p_actor::jsonb,
           p_occurred_at, p_policy_id, p_policy_version, p_command_id, x ->> 'prev_hash', x ->> 'hash'
      FROM json_array_elements(p_events) WITH ORDINALITY AS t(x, n) ORDER BY n;
    INSERT INTO cases (id, kind, version, status, level, region, region_city, region_province,
                       enterprise_id, overdue, terminal, next_due_at, parent_id, policy_id,
                       policy_version, created_at, updated_at, state, view)
    SELECT p_stream, r.kind, r.version, r.status, r.level, r.region, r.region_city, r.region_province,
           r.enterprise_id, r.overdue, r.terminal, r.next_due_at, r.parent_id, r.policy_id,
           r.policy_version, r.created_at, r.updated_at, p_state, p_view
      FROM json_to_record(p_case) AS r(
           kind text, version integer, status text, level text, region text, region_city text,
           region_province text, enterprise_id text, overdue boolean, terminal boolean,
           next_due_at timestamptz, parent_id text, policy_id text, policy_version text,
           created_at timestamptz, updated_at timestamptz)
    ON CONFLICT (id) DO UPDATE SET
        kind = EXCLUDED.kind, version = EXCLUDED.version, status = EXCLUDED.status,
        level = EXCLUDED.level, region = EXCLUDED.region, region_city = EXCLUDED.region_city,
        region_province = EXCLUDED.region_province, enterprise_id = EXCLUDED.enterprise_id,
        overdue = EXCLUDED.overdue, terminal = EXCLUDED.terminal, next_due_at = EXCLUDED.next_due_at,
        parent_id = EXCLUDED.parent_id, policy_id = EXCLUDED.policy_id,
        policy_version = EXCLUDED.policy_version, created_at = EXCLUDED.created_at,
        updated_at = EXCLUDED.updated_at, state = EXCLUDED.state, view = EXCLUDED.view;
    IF p_notes IS NOT NULL AND json_array_length(p_notes) > 0 THEN
        INSERT INTO notifications (case_id, case_kind, stream_version, seq, kind, recipient_role,
                                   recipient_party, due_at, subject, data, created_at)
        SELECT p_stream, p_kind, n.stream_version, n.seq, n.kind, n.recipient_role, n.recipient_party,
               n.due_at, n.subject, n.data, n.created_at
          FROM json_to_recordset(p_notes) AS n(
               stream_version integer, seq integer, kind text, recipient_role text,
               recipient_party text, due_at timestamptz, subject text, data jsonb,
               created_at timestamptz)
        ON CONFLICT DO NOTHING;
    END IF;
    outcome := 'ok';
END
$fn$
"""


def upgrade() -> None:
    op.execute(FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS hl_record_events")
