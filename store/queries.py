"""Read queries on the projection: one case, lists with keyset cursors, statistics, as-of folds."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, cast, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.actors import region_prefix
from store.schema import case_counts, cases


@dataclass(frozen=True)
class ListFilters:
    kind: str
    region: str = "000000"
    status: str | None = None
    level: str | None = None
    enterprise_id: str | None = None
    overdue: bool | None = None
    parent_id: str | None = None


class BadCursor(ValueError):
    pass


def encode_cursor(created_at: datetime, case_id: str) -> str:
    return (
        base64.urlsafe_b64encode(json.dumps([created_at.isoformat(), case_id]).encode()).decode().rstrip("=")
    )


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, cid = json.loads(raw)
        return datetime.fromisoformat(ts), str(cid)
    except Exception as e:
        raise BadCursor("cursor is not one this API returned") from e


def region_clause(region: str) -> Any:
    prefix = region_prefix(region)
    if prefix == "":
        return None
    if len(prefix) == 2:
        return cases.c.region_province == prefix
    if len(prefix) == 4:
        return cases.c.region_city == prefix
    return cases.c.region == prefix


def _filtered(q: Select[Any], f: ListFilters) -> Select[Any]:
    q = q.where(cases.c.kind == f.kind)
    rc = region_clause(f.region)
    if rc is not None:
        q = q.where(rc)
    if f.status:
        q = q.where(cases.c.status == f.status)
    if f.level:
        q = q.where(cases.c.level == f.level)
    if f.enterprise_id:
        q = q.where(cases.c.enterprise_id == f.enterprise_id)
    if f.overdue is not None:
        q = q.where(cases.c.overdue.is_(f.overdue))
    if f.parent_id:
        q = q.where(cases.c.parent_id == f.parent_id)
    return q


async def get_case(conn: AsyncConnection, case_id: str) -> Any:
    return (await conn.execute(select(cases).where(cases.c.id == case_id))).first()


# what a command's checks need (kind, jurisdiction, whether it is closed): not the state and view documents
_HEAD = select(
    cases.c.id,
    cases.c.kind,
    cases.c.status,
    cases.c.region,
    cases.c.enterprise_id,
    cases.c.terminal,
    cases.c.version,
)


async def get_case_head(conn: AsyncConnection, case_id: str) -> Any:
    return (await conn.execute(_HEAD.where(cases.c.id == case_id))).first()


async def list_cases(
    conn: AsyncConnection, f: ListFilters, *, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    q = _filtered(select(cases.c.id, cases.c.view, cases.c.version, cases.c.created_at), f)
    if cursor:
        ts, cid = decode_cursor(cursor)
        q = q.where(or_(cases.c.created_at < ts, and_(cases.c.created_at == ts, cases.c.id < cid)))
    rows = (
        await conn.execute(q.order_by(cases.c.created_at.desc(), cases.c.id.desc()).limit(limit + 1))
    ).all()
    nxt = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return list(rows[:limit]), nxt


GROUPABLE = {
    "region": cases.c.region,
    "status": cases.c.status,
    "level": cases.c.level,
    "enterprise_id": cases.c.enterprise_id,
    "city": cases.c.region_city,
    "province": cases.c.region_province,
}


_COUNTED = {
    "region": case_counts.c.region,
    "status": case_counts.c.status,
    "level": func.nullif(case_counts.c.level, ""),
    "enterprise_id": func.nullif(case_counts.c.enterprise_id, ""),
    "city": func.left(case_counts.c.region, 4),
    "province": func.left(case_counts.c.region, 2),
}


async def stats(conn: AsyncConnection, f: ListFilters, group_by: list[str]) -> list[dict[str, Any]]:
    """Counts of cases, overdue cases and closed-or-cancelled cases per group, from `case_counts` (kept
    by triggers in the transaction of every change, so as fresh as the lists). Statistics filter on the
    actor's scope only: kind, region, enterprise."""
    if f.status or f.level or f.overdue is not None or f.parent_id:
        raise ValueError("statistics filter on kind, region and enterprise only")
    cols = [_COUNTED[g].label(g) for g in group_by]
    q = select(
        *cols,
        cast(func.sum(case_counts.c.n), Integer).label("count"),
        cast(func.sum(case_counts.c.overdue), Integer).label("overdue"),
        cast(func.sum(case_counts.c.terminal), Integer).label("closed_or_cancelled"),
    ).where(case_counts.c.kind == f.kind)
    prefix = region_prefix(f.region)
    if prefix:
        q = q.where(func.left(case_counts.c.region, len(prefix)) == prefix)
    if f.enterprise_id:
        q = q.where(case_counts.c.enterprise_id == f.enterprise_id)
    if cols:  # groups whose cases have all moved on keep a row of zeros: not shown
        q = q.group_by(*cols).having(func.sum(case_counts.c.n) > 0).order_by(*cols)
    rows = (await conn.execute(q)).all()
    return [{k: (0 if v is None and k in _SUMS else v) for k, v in r._mapping.items()} for r in rows]


_SUMS = ("count", "overdue", "closed_or_cancelled")


async def stats_from_cases(
    conn: AsyncConnection, f: ListFilters, group_by: list[str]
) -> list[dict[str, Any]]:
    """The same statistics counted from the `cases` rows: what `case_counts` must always agree with."""
    cols = [GROUPABLE[g].label(g) for g in group_by]
    q = _filtered(
        select(
            *cols,
            func.count().label("count"),
            func.count().filter(cases.c.overdue).label("overdue"),
            func.count().filter(cases.c.terminal).label("closed_or_cancelled"),
        ),
        f,
    )
    if cols:
        q = q.group_by(*cols).order_by(*cols)
    rows = (await conn.execute(q)).all()
    return [dict(r._mapping) for r in rows]


def _matches(values: dict[str, Any], f: ListFilters) -> bool:
    prefix = region_prefix(f.region)
    if prefix and not str(values["region"]).startswith(prefix):
        return False
    if f.status and values["status"] != f.status:
        return False
    if f.level and values["level"] != f.level:
        return False
    if f.enterprise_id and values["enterprise_id"] != f.enterprise_id:
        return False
    if f.overdue is not None and bool(values["overdue"]) is not f.overdue:
        return False
    return not (f.parent_id and values["parent_id"] != f.parent_id)


async def list_cases_as_of(
    conn: AsyncConnection, f: ListFilters, as_of: datetime, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """The cases as they were at `as_of`: every stream of the kind folded from the event store up to that
    moment, then filtered like the live list (newest first, same cursor). Correct first, not fast: it
    folds every case of the kind that existed at `as_of`."""
    from store.events import _row_to_event
    from store.projector import projection_values
    from store.schema import events

    started = (
        select(events.c.stream_id)
        .where(events.c.kind == f.kind, events.c.version == 1, events.c.occurred_at <= as_of)
        .scalar_subquery()
    )
    q = (
        select(events)
        .where(events.c.stream_id.in_(started), events.c.occurred_at <= as_of)
        .order_by(events.c.stream_id, events.c.version)
    )
    parents = dict(
        (
            await conn.execute(
                select(cases.c.id, cases.c.parent_id).where(
                    cases.c.kind == f.kind, cases.c.parent_id.is_not(None)
                )
            )
        ).all()
    )
    folded: list[dict[str, Any]] = []
    current: list[Any] = []

    def flush() -> None:
        if current:
            sid = current[0].stream_id
            values = projection_values(f.kind, sid, current, parents.get(sid))
            if _matches(values, f):
                folded.append(values)

    result = await conn.stream(q.execution_options(yield_per=2000))
    async for row in result:
        rec = _row_to_event(row)
        if current and rec.stream_id != current[0].stream_id:
            flush()
            current = []
        current.append(rec)
    flush()
    folded.sort(key=lambda v: (v["created_at"], v["id"]), reverse=True)
    if cursor:
        ts, cid = decode_cursor(cursor)
        folded = [v for v in folded if (v["created_at"], v["id"]) < (ts, cid)]
    page = folded[:limit]
    nxt = encode_cursor(page[-1]["created_at"], page[-1]["id"]) if len(folded) > limit else None
    return page, nxt


_COUNT_DRIFT = text(
    """
    WITH counted AS (
        SELECT kind, region, status, coalesce(level, '') AS level,
               coalesce(enterprise_id, '') AS enterprise_id,
               count(*)::int AS n, (count(*) FILTER (WHERE overdue))::int AS overdue,
               (count(*) FILTER (WHERE terminal))::int AS terminal
        FROM cases GROUP BY 1, 2, 3, 4, 5
    ), kept AS (SELECT * FROM case_counts WHERE n <> 0 OR overdue <> 0 OR terminal <> 0)
    SELECT coalesce(c.kind, k.kind) AS kind, coalesce(c.region, k.region) AS region,
           coalesce(c.status, k.status) AS status, coalesce(c.level, k.level) AS level,
           coalesce(c.enterprise_id, k.enterprise_id) AS enterprise_id,
           coalesce(c.n, 0) AS counted, coalesce(k.n, 0) AS kept,
           coalesce(c.overdue, 0) AS counted_overdue, coalesce(k.overdue, 0) AS kept_overdue,
           coalesce(c.terminal, 0) AS counted_terminal, coalesce(k.terminal, 0) AS kept_terminal
    FROM counted c FULL JOIN kept k USING (kind, region, status, level, enterprise_id)
    WHERE (c.n, c.overdue, c.terminal) IS DISTINCT FROM (k.n, k.overdue, k.terminal)
    ORDER BY 1, 2, 3, 4, 5
    """
)


async def count_drift(conn: AsyncConnection) -> list[dict[str, Any]]:
    """The groups where `case_counts` disagrees with counting `cases` (none, unless someone wrote around
    the triggers): each with both figures."""
    return [dict(r._mapping) for r in (await conn.execute(_COUNT_DRIFT)).all()]
