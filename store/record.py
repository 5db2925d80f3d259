"""One command's recording in one round trip: events, hash chain, projection row and outbox written by
the server-side function `hl_record_events` (migration 0015) in one statement, its own transaction.

The same guarantees as `events.append` + `projector.project_append` in one transaction (issue #21):
optimistic concurrency on the expected version (a gap, other events at those versions or a projection at
another version are an `AppendConflict` / `ProjectionMismatch`), the hash chain computed here exactly as
before (`events.build_records`), idempotency by content (the same events at the same versions are a
duplicate, nothing written), the case row locked and upserted with its case_counts triggers and the
outbox rows in the same transaction as the events.

The projection continues the case's folded state, so a recording needs the state before it. A new stream
starts from the decider's initial state; for the others a `StreamCache` keeps, per stream, what this
process last recorded (version, head hash, state): with it a recording is one round trip. The function
checks the cache against the database under the case row's lock (the stream's head hash must be the one
the events were chained from, the row at the expected version), so a stale or missing entry costs one
read and one more call, never a wrong row.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.registry import get_decider
from store.events import GENESIS, AppendConflict, NewEvent, StoredEvent, append, build_records
from store.projector import ProjectionMismatch, _row_values, fold_append, project_append


@dataclass(frozen=True)
class Head:
    """What a stream's last recording left: its version, last hash, folded state and row's fixed parts."""

    version: int
    hash: str
    state: Any
    created_at: datetime
    parent_id: str | None


class StreamCache:
    """The last `Head` this process recorded per stream, the least recently used dropped past `size`."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._heads: OrderedDict[str, Head] = OrderedDict()

    def get(self, stream_id: str, version: int) -> Head | None:
        head = self._heads.get(stream_id)
        if head is None or head.version != version:
            return None
        self._heads.move_to_end(stream_id)
        return head

    def put(self, stream_id: str, head: Head) -> None:
        self._heads[stream_id] = head
        self._heads.move_to_end(stream_id)
        while len(self._heads) > self.size:
            self._heads.popitem(last=False)

    def drop(self, stream_id: str) -> None:
        self._heads.pop(stream_id, None)


# the pooled connection's info key marking a committed write of notifications (read by notify/wake.py)
NOTICES_COMMITTED = "hazardloop_outbox_written"

_RECORD = text(
    "SELECT outcome, head, row_version FROM hl_record_events(:stream, :kind, :expected, :prev_hash, "
    ":events, :actor, :occurred_at, :policy_id, :policy_version, :command_id, :case, :state, :view, :notes)"
)
# the stream's head version, the hash at the expected version, and the case row (a stale or missing cache)
_READ = text(
    "SELECT (SELECT max(e.version) FROM events e WHERE e.stream_id = :stream) AS head, "
    "(SELECT e.hash FROM events e WHERE e.stream_id = :stream AND e.version = :expected) AS prev_hash, "
    "c.version AS row_version, c.state, c.created_at, c.parent_id "
    "FROM (SELECT 1) AS one LEFT JOIN cases c ON c.id = :stream"
)
_SCALARS = tuple(
    c
    for c in (
        "kind version status level region region_city region_province enterprise_id overdue terminal "
        "next_due_at parent_id policy_id policy_version created_at updated_at"
    ).split()
)


def _json(value: Any) -> str:
    return json.dumps(value, default=_default, separators=(",", ":"))


def _default(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)


@dataclass(frozen=True)
class Recording:
    """One command's events to record after `expected_version` of the stream."""

    stream_id: str
    kind: str
    expected_version: int
    new: Sequence[NewEvent]
    actor: dict[str, Any]
    occurred_at: datetime
    policy_id: str
    policy_version: str
    command_id: str | None
    parent_id: str | None

    def chain(self, prev_hash: str) -> list[StoredEvent]:
        """The records, hash-chained from `prev_hash` (`events.build_records`, as every append)."""
        return build_records(
            self.stream_id,
            self.kind,
            self.expected_version + 1,
            prev_hash,
            self.new,
            self.actor,
            self.occurred_at,
            self.policy_id,
            self.policy_version,
            self.command_id,
        )


async def _call(
    engine: AsyncEngine, rec: Recording, prev_hash: str, head: Head | None
) -> tuple[str, int, list[StoredEvent], Head | None]:
    """One round trip: `hl_record_events` with the records chained from `prev_hash`; with `head` (the
    stream as it stands) the projection row and the outbox are computed and sent too."""
    decider = get_decider(rec.kind)
    records = rec.chain(prev_hash)
    params: dict[str, Any] = {
        "stream": rec.stream_id,
        "kind": rec.kind,
        "expected": rec.expected_version,
        "prev_hash": prev_hash,
        "events": _json(
            [
                {
                    "version": r.version,
                    "type": r.type,
                    "data": r.data,
                    "prev_hash": r.prev_hash,
                    "hash": r.hash,
                }
                for r in records
            ]
        ),
        "actor": _json(rec.actor),
        "occurred_at": rec.occurred_at,
        "policy_id": rec.policy_id,
        "policy_version": rec.policy_version,
        "command_id": rec.command_id,
        "case": None,
        "state": None,
        "view": None,
        "notes": None,
    }
    after: Head | None = None
    if head is not None:
        try:
            state, outbox = fold_append(decider, head.state, rec.stream_id, records)
        except Exception as e:  # events the decider cannot fold: recorded the way before, see `record`
            raise _Unfoldable from e
        last = records[-1]
        values = _row_values(
            decider,
            state,
            last.version,
            head.created_at,
            last.occurred_at,
            head.parent_id,
            last.policy_id,
            last.policy_version,
            rec.stream_id,
            as_json=True,
        )
        params |= {
            "case": _json({c: values[c] for c in _SCALARS}),
            "state": values["state"],
            "view": values["view"],
            "notes": _json(outbox) if outbox else None,
        }
        after = Head(last.version, last.hash, state, head.created_at, head.parent_id)
    try:
        async with engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            row = (await auto.execute(_RECORD, params)).one()
            if row.outcome == "ok" and params["notes"] is not None:
                # committed (autocommit) with notices: the outbox drainer is woken when the connection is
                # checked in (notify/wake.py)
                conn.info[NOTICES_COMMITTED] = "committed"
    except DBAPIError as e:
        _name_inner_statement(e)
        raise
    return str(row.outcome), int(row.head), records, after


async def _record(engine: AsyncEngine, cache: StreamCache, rec: Recording) -> tuple[list[StoredEvent], bool]:
    decider = get_decider(rec.kind)
    stream_id, expected = rec.stream_id, rec.expected_version
    # a new stream, or one this process recorded last: one round trip
    start: Head | None
    if expected == 0:
        start = Head(0, GENESIS, decider.initial_state(), rec.occurred_at, rec.parent_id)
    else:
        start = cache.get(stream_id, expected)
        if start is not None and rec.parent_id and rec.parent_id != start.parent_id:
            start = Head(start.version, start.hash, start.state, start.created_at, rec.parent_id)
    if start is not None:
        outcome, _, records, after = await _call(engine, rec, start.hash, start)
        if outcome == "ok" and after is not None:
            cache.put(stream_id, after)
            return records, False
    cache.drop(stream_id)
    # otherwise (or when the function found the cache out of date): read the stream's head and the row
    async with engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        got = (await auto.execute(_READ, {"stream": stream_id, "expected": expected})).one()
    prev_hash = GENESIS if expected == 0 or got.prev_hash is None else str(got.prev_hash)
    current: Head | None = None
    if int(got.head or 0) == expected:
        if expected == 0 and got.row_version is not None:
            raise ProjectionMismatch(
                f"case {stream_id} already has a projection at version {got.row_version}"
            )
        if expected > 0 and got.row_version != expected:
            raise ProjectionMismatch(
                f"case {stream_id}: projection at {got.row_version}, append expected {expected}"
            )
        current = (
            Head(0, GENESIS, decider.initial_state(), rec.occurred_at, rec.parent_id)
            if expected == 0
            else Head(
                expected,
                prev_hash,
                decider.parse_state(got.state),
                got.created_at,
                rec.parent_id or got.parent_id,
            )
        )
    # with the stream elsewhere than expected the function tells a duplicate, a conflict or a gap
    outcome, at, records, after = await _call(engine, rec, prev_hash, current)
    if outcome == "ok" and after is not None:
        cache.put(stream_id, after)
        return records, False
    if outcome == "duplicate":
        return records, True
    if outcome == "conflict":
        raise AppendConflict(
            f"stream {stream_id}: versions {expected + 1}..{expected + len(records)} "
            f"already hold different events (stream at version {at})"
        )
    if outcome == "gap":
        raise AppendConflict(f"stream {stream_id} is at version {at}, expected {expected}: a gap")
    # the stream or its row moved between the read and the call: a concurrent recording; retried
    raise RecordRaced(f"stream {stream_id} changed while it was recorded ({outcome})")


class RecordRaced(Exception):
    """The stream moved between the read and the write of a recording (a retry resolves it)."""


class _Unfoldable(Exception):
    """The decider cannot fold these events (only a caller bypassing `decide` sends such)."""


_INNER = re.compile(r'SQL statement "(.*?)"', re.S)


def _name_inner_statement(e: DBAPIError) -> None:
    """Name the function's statement that failed (its context tells: "INSERT INTO events ..."), so a
    failure says which table refused a value (`store.db.statement_name`), as the separate statements did.
    The statement's text is the function's own, without any value."""
    context = getattr(getattr(e.orig, "__cause__", None), "context", None)
    m = _INNER.search(context) if isinstance(context, str) else None
    if m is not None:
        e.statement = m.group(1)


async def record(engine: AsyncEngine, cache: StreamCache, rec: Recording) -> tuple[list[StoredEvent], bool]:
    """Append `rec`'s events after its expected version and project them. Returns (records, duplicate).

    Events the decider cannot fold (never those `decide` made) are recorded as before, in a transaction
    of separate statements (`record_in_transaction`): the database refuses an unstorable value first, and
    otherwise the fold's error is raised after the transaction rolled back."""
    if not rec.new:
        return [], False
    try:
        return await _record(engine, cache, rec)
    except _Unfoldable:
        cache.drop(rec.stream_id)
        return await record_in_transaction(engine, rec)


async def record_in_transaction(engine: AsyncEngine, rec: Recording) -> tuple[list[StoredEvent], bool]:
    """The recording as separate statements in one transaction (`events.append`, then
    `projector.project_append`): six round trips or more. Returns (records, duplicate)."""
    async with engine.begin() as conn:
        records, duplicate = await append(
            conn,
            stream_id=rec.stream_id,
            kind=rec.kind,
            expected_version=rec.expected_version,
            new=rec.new,
            actor=rec.actor,
            occurred_at=rec.occurred_at,
            policy_id=rec.policy_id,
            policy_version=rec.policy_version,
            command_id=rec.command_id,
        )
        if not duplicate:
            await project_append(
                conn,
                kind=rec.kind,
                stream_id=rec.stream_id,
                expected_version=rec.expected_version,
                records=records,
                parent_id=rec.parent_id,
            )
    return records, duplicate
