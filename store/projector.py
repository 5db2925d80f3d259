"""Projections: fold events into the `cases` read model and the notification outbox.

The projector is the decider's own `evolve` (one fold, three shells): the row holds the folded state
so each append continues the fold; `rebuild` re-folds everything from the event store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.decider import Decider
from domain.registry import get_decider
from store.events import StoredEvent
from store.schema import cases as cases_t
from store.schema import events as events_t
from store.schema import notifications as notifications_t


class ProjectionMismatch(Exception):
    """The projection row is not at the version the append started from."""


def _row_values(
    decider: Decider[Any, Any, Any],
    state: Any,
    version: int,
    created_at: datetime,
    updated_at: datetime,
    parent_id: str | None,
    policy_id: str,
    policy_version: str,
    case_id: str,
) -> dict[str, Any]:
    idx = decider.index(state)
    view = decider.view(state)
    region = idx.region
    return {
        "id": case_id,
        "kind": decider.kind,
        "version": version,
        "status": idx.status,
        "level": idx.level,
        "region": region,
        "region_city": region[:4],
        "region_province": region[:2],
        "enterprise_id": idx.enterprise_id,
        "overdue": idx.overdue,
        "terminal": idx.terminal,
        "next_due_at": idx.next_due_at,
        "parent_id": parent_id,
        "policy_id": policy_id,
        "policy_version": policy_version,
        "created_at": created_at,
        "updated_at": updated_at,
        "state": state.model_dump(mode="json"),
        "view": view,
    }


async def project_append(
    conn: AsyncConnection,
    *,
    kind: str,
    stream_id: str,
    expected_version: int,
    records: Sequence[StoredEvent],
    parent_id: str | None,
) -> dict[str, Any]:
    """Fold freshly appended records into the case row and the outbox (same transaction as the append)."""
    decider = get_decider(kind)
    row = (
        await conn.execute(
            select(cases_t.c.version, cases_t.c.state, cases_t.c.created_at, cases_t.c.parent_id)
            .where(cases_t.c.id == stream_id)
            .with_for_update()
        )
    ).first()
    if expected_version == 0:
        if row is not None:
            raise ProjectionMismatch(f"case {stream_id} already has a projection at version {row.version}")
        state = decider.initial_state()
        created_at = records[0].occurred_at
    else:
        if row is None or row.version != expected_version:
            found = None if row is None else row.version
            raise ProjectionMismatch(
                f"case {stream_id}: projection at {found}, append expected {expected_version}"
            )
        state = decider.parse_state(row.state)
        created_at = row.created_at
        parent_id = parent_id or row.parent_id
    outbox: list[dict[str, Any]] = []
    for rec in records:
        event = decider.parse_event(rec.data)
        before = state
        state = decider.evolve(state, event)
        for seq, n in enumerate(decider.notices(before, event, state)):
            outbox.append(
                {
                    "case_id": stream_id,
                    "case_kind": kind,
                    "stream_version": rec.version,
                    "seq": seq,
                    "kind": n.kind,
                    "recipient_role": n.recipient_role,
                    "recipient_party": n.recipient_party,
                    "due_at": n.due_at,
                    "subject": n.subject,
                    "data": n.data,
                    "created_at": rec.occurred_at,
                }
            )
    last = records[-1]
    values = _row_values(
        decider,
        state,
        last.version,
        created_at,
        last.occurred_at,
        parent_id,
        last.policy_id,
        last.policy_version,
        stream_id,
    )
    stmt = pg_insert(cases_t).values(**values)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[cases_t.c.id], set_={k: stmt.excluded[k] for k in values if k != "id"}
        )
    )
    if outbox:
        await conn.execute(pg_insert(notifications_t).values(outbox).on_conflict_do_nothing())
    return values


def fold_records(kind: str, records: Sequence[StoredEvent]) -> Any:
    decider = get_decider(kind)
    state = decider.initial_state()
    for rec in records:
        state = decider.evolve(state, decider.parse_event(rec.data))
    return state


def projection_values(
    kind: str, stream_id: str, records: Sequence[StoredEvent], parent_id: str | None = None
) -> dict[str, Any]:
    """The row a fold of `records` gives (rebuilds, as-of views, verification)."""
    decider = get_decider(kind)
    state = fold_records(kind, records)
    return _row_values(
        decider,
        state,
        records[-1].version,
        records[0].occurred_at,
        records[-1].occurred_at,
        parent_id,
        records[-1].policy_id,
        records[-1].policy_version,
        stream_id,
    )


async def rebuild(engine: AsyncEngine, *, kind: str | None = None, batch: int = 2000) -> dict[str, int]:
    """Re-fold every event into `cases` (the outbox is a log and is left alone). Returns counts."""
    from store.events import _row_to_event

    n_events = 0
    n_cases = 0
    async with engine.begin() as conn:
        parents = dict(
            (
                await conn.execute(
                    select(cases_t.c.id, cases_t.c.parent_id).where(cases_t.c.parent_id.is_not(None))
                )
            ).all()
        )
        await conn.execute(delete(cases_t) if kind is None else delete(cases_t).where(cases_t.c.kind == kind))
        q = select(events_t).order_by(events_t.c.stream_id, events_t.c.version)
        if kind is not None:
            q = q.where(events_t.c.kind == kind)
        result = await conn.stream(q.execution_options(yield_per=batch))
        pending: list[dict[str, Any]] = []
        current: list[StoredEvent] = []

        async def flush_case() -> None:
            nonlocal n_cases
            if current:
                pending.append(
                    projection_values(
                        current[0].kind, current[0].stream_id, current, parents.get(current[0].stream_id)
                    )
                )
                n_cases += 1

        async for row in result:
            rec = _row_to_event(row)
            n_events += 1
            if current and rec.stream_id != current[0].stream_id:
                await flush_case()
                current = []
                if len(pending) >= batch:
                    await conn.execute(cases_t.insert(), pending)
                    pending = []
            current.append(rec)
        await flush_case()
        if pending:
            await conn.execute(cases_t.insert(), pending)
    return {"events": n_events, "cases": n_cases}
