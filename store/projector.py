"""Projections: fold events into the `cases` read model and the notification outbox.

The projector is the decider's own `evolve` (one fold, three shells): the row holds the folded state
so each append continues the fold; `rebuild` re-folds everything from the event store.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from multiprocessing import get_context
from typing import Any

from pydantic_core import to_json
from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain import registry
from domain.decider import Decider
from domain.registry import get_decider
from store.events import StoredEvent
from store.schema import CASE_COUNT_TRIGGERS
from store.schema import case_counts as case_counts_t
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
    *,
    as_json: bool = False,
) -> dict[str, Any]:
    """The `cases` row for `state`; with `as_json`, the JSON columns as JSON text (for COPY)."""
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
        "state": state.model_dump_json() if as_json else state.model_dump(mode="json"),
        "view": to_json(view, fallback=str).decode() if as_json else view,
    }


def _upsert_case() -> Any:
    stmt = pg_insert(cases_t)
    return stmt.on_conflict_do_update(
        index_elements=[cases_t.c.id],
        set_={c.name: stmt.excluded[c.name] for c in cases_t.columns if c.name != "id"},
    )


# built once with bound parameters: the statement is compiled once and cached, where `.values(**row)`
# built and compiled a new statement on every append (a third of `project_append`'s CPU)
_UPSERT_CASE = _upsert_case()
_INSERT_NOTIFICATIONS = pg_insert(notifications_t).on_conflict_do_nothing()


def fold_append(
    decider: Decider[Any, Any, Any], state: Any, stream_id: str, records: Sequence[StoredEvent]
) -> tuple[Any, list[dict[str, Any]]]:
    """`state` continued by freshly appended `records`, and the outbox rows their notices make."""
    outbox: list[dict[str, Any]] = []
    for rec in records:
        event = decider.parse_event(rec.data)
        before = state
        state = decider.evolve(state, event)
        for seq, n in enumerate(decider.notices(before, event, state)):
            outbox.append(
                {
                    "case_id": stream_id,
                    "case_kind": decider.kind,
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
    return state, outbox


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
    state, outbox = fold_append(decider, state, stream_id, records)
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
    await conn.execute(_UPSERT_CASE, values)
    if outbox:
        await conn.execute(_INSERT_NOTIFICATIONS, outbox)
    return values


def _fold(decider: Decider[Any, Any, Any], data: Iterable[dict[str, Any] | str]) -> Any:
    """The state a stream's events make, each event as stored (its JSON object, or that object's text)."""
    state = decider.initial_state()
    for d in data:
        state = decider.evolve(state, decider.parse_event(d))
    return state


def fold_records(kind: str, records: Sequence[StoredEvent]) -> Any:
    return _fold(get_decider(kind), (rec.data for rec in records))


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


# columns of `cases`, in the order `fold_streams` returns each row (for COPY)
CASE_COLUMNS: tuple[str, ...] = tuple(c.name for c in cases_t.columns)
# (stream_id, version, kind, data as JSON text, occurred_at, policy_id, policy_version), by stream and version
EventRow = tuple[str, int, str, str, datetime, str, str]


def fold_streams(rows: Sequence[EventRow], parents: dict[str, str]) -> list[tuple[Any, ...]]:
    """Fold whole streams (`rows` ordered by stream and version) into `cases` rows, in `CASE_COLUMNS`
    order with the JSON columns as text. Pure, so a rebuild can run it in other processes."""
    out: list[tuple[Any, ...]] = []
    i, n = 0, len(rows)
    while i < n:
        stream_id, _, kind, _, created_at, _, _ = rows[i]
        decider = get_decider(kind)
        j = i
        while j < n and rows[j][0] == stream_id:
            j += 1
        state = _fold(decider, (r[3] for r in rows[i:j]))
        last = rows[j - 1]
        values = _row_values(
            decider,
            state,
            last[1],
            created_at,
            last[4],
            parents.get(stream_id),
            last[5],
            last[6],
            stream_id,
            as_json=True,
        )
        out.append(tuple(values[c] for c in CASE_COLUMNS))
        i = j
    return out


def _fold_pool(width: int) -> ProcessPoolExecutor:
    """Worker processes forked from a fork server that has imported only what folding needs (not this
    program's main module, nor its threads): each starts in milliseconds and knows every registered kind."""
    modules = registry.modules()
    ctx = get_context("forkserver")
    ctx.set_forkserver_preload(["store.projector", *modules])
    return ProcessPoolExecutor(
        max_workers=width, mp_context=ctx, initializer=registry.import_modules, initargs=(modules,)
    )


async def count_events(engine: AsyncEngine, kind: str | None = None) -> int:
    """How many events a rebuild of `kind` (all kinds: None) reads: the total of its progress bar."""
    q = select(func.count()).select_from(events_t)
    async with engine.connect() as conn:
        n: int = (await conn.execute(q if kind is None else q.where(events_t.c.kind == kind))).scalar_one()
    return n


async def rebuild(
    engine: AsyncEngine,
    *,
    kind: str | None = None,
    batch: int = 20_000,
    processes: int | None = None,
    on_read: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Re-fold every event into `cases` in one transaction (the outbox is a log and is left alone).

    Events are read with a server-side cursor in batches of whole streams; each batch is folded by
    `fold_streams`, in a pool of `processes` worker processes (default: one per CPU when there is more
    than one batch; 0 folds in this process), and written with COPY; `on_read` is told how many events
    each batch read (a progress bar). Returns counts."""
    n_events = 0
    n_cases = 0
    async with engine.begin() as conn:
        parents: dict[str, str] = {
            str(k): str(v)
            for k, v in (
                await conn.execute(
                    select(cases_t.c.id, cases_t.c.parent_id).where(cases_t.c.parent_id.is_not(None))
                )
            ).all()
        }
        # the counting triggers would move a unit per row: off for the rewrite (the lock this takes holds
        # other writers of `cases` until the rebuild commits; readers go on reading the old rows), and the
        # rebuilt kinds are recounted in one statement below
        for trigger in CASE_COUNT_TRIGGERS:
            await conn.execute(text(f"ALTER TABLE cases DISABLE TRIGGER {trigger}"))
        await conn.execute(delete(cases_t) if kind is None else delete(cases_t).where(cases_t.c.kind == kind))
        await conn.execute(
            delete(case_counts_t)
            if kind is None
            else delete(case_counts_t).where(case_counts_t.c.kind == kind)
        )
        raw = await conn.get_raw_connection()
        pg: Any = raw.driver_connection
        # only case kinds fold into `cases`: the duty streams (store/duties.py) have no decider
        where, args = (
            ("WHERE kind = $1 ", [kind])
            if kind is not None
            else ("WHERE kind = ANY($1) ", [registry.kinds()])
        )
        cursor = await pg.cursor(
            "SELECT stream_id, version, kind, data::text, occurred_at, policy_id, policy_version "
            f"FROM events {where}ORDER BY stream_id, version",
            *args,
        )
        pool: ProcessPoolExecutor | None = None
        in_flight: list[asyncio.Future[list[tuple[Any, ...]]]] = []
        loop = asyncio.get_running_loop()

        async def write(done: asyncio.Future[list[tuple[Any, ...]]] | list[tuple[Any, ...]]) -> None:
            nonlocal n_cases
            folded = await done if isinstance(done, asyncio.Future) else done
            if folded:
                await pg.copy_records_to_table("cases", records=folded, columns=list(CASE_COLUMNS))
                n_cases += len(folded)

        carry: list[EventRow] = []
        width = processes or os.cpu_count() or 1
        try:
            while True:
                fetched = [tuple(r) for r in await cursor.fetch(batch)]
                n_events += len(fetched)
                if on_read is not None:
                    on_read(len(fetched))
                rows: list[EventRow] = carry + fetched
                if len(fetched) == batch:  # the last stream may continue in the next batch
                    cut = len(rows)
                    while cut > 0 and rows[cut - 1][0] == rows[-1][0]:
                        cut -= 1
                    if cut == 0:  # one stream longer than a batch: keep reading it
                        carry = rows
                        continue
                    rows, carry = rows[:cut], rows[cut:]
                else:
                    carry = []
                if pool is None and processes != 0 and len(fetched) == batch:
                    pool = _fold_pool(width)
                if pool is None:
                    await write(fold_streams(rows, parents))
                else:
                    # only this batch's parents travel to the worker, not the whole map every time
                    mine = {r[0]: parents[r[0]] for r in rows if r[0] in parents}
                    in_flight.append(loop.run_in_executor(pool, fold_streams, rows, mine))
                    while len(in_flight) > width:
                        await write(in_flight.pop(0))
                if len(fetched) < batch:
                    break
            for fut in in_flight:
                await write(fut)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        await conn.execute(
            _RECOUNT if kind is None else _RECOUNT_KIND, {} if kind is None else {"kind": kind}
        )
        for trigger in CASE_COUNT_TRIGGERS:
            await conn.execute(text(f"ALTER TABLE cases ENABLE TRIGGER {trigger}"))
    return {"events": n_events, "cases": n_cases}


_COUNT = (
    "INSERT INTO case_counts (kind, region, status, level, enterprise_id, n, overdue, terminal) "
    "SELECT kind, region, status, coalesce(level, ''), coalesce(enterprise_id, ''), count(*), "
    "count(*) FILTER (WHERE overdue), count(*) FILTER (WHERE terminal) FROM cases {where}"
    "GROUP BY 1, 2, 3, 4, 5"
)
_RECOUNT = text(_COUNT.format(where=""))
_RECOUNT_KIND = text(_COUNT.format(where="WHERE kind = :kind "))
