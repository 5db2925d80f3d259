"""The daily self-inspection reports' storage (domain/duties/daily.py; table `daily_reports`, migration
0010): each report and each missed mark is an event of its own stream (kind `daily_report`, one stream
per enterprise and day, hash-chained like every stream) written with its projection row, and a missed
mark with its outbox notices, in one transaction.

The 15:00 sweep records the missed reports set-based: one statement per batch inserts the events, the
rows and the notices together (bench/daily_storm.py measured why: bench/RESULTS.md). An event already
standing at a stream's first version (a report filed meanwhile) is skipped with its row and its notices,
so a sweep run twice, or racing a last-second filing, records each missed report once.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping, and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.actors import SYSTEM, Actor, region_prefix
from domain.duties.daily import (
    FILED,
    KIND,
    MISSED,
    DailyReportRule,
    deadline,
    missed_event,
    missed_notices,
    stream_id,
)
from domain.errors import Conflict, IdempotencyMismatch
from domain.policy import PolicyRef
from store.events import GENESIS, NewEvent, StoredEvent, append, build_records, read_stream
from store.schema import daily_reports, enterprises

_MISSED = text(
    """
    WITH input AS (
        SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb))
            AS x(stream_id text, enterprise_id text, region text, data jsonb, hash text, notices jsonb)
    ), e AS (
        INSERT INTO events (stream_id, version, kind, type, data, actor, occurred_at, policy_id,
                            policy_version, command_id, prev_hash, hash)
        SELECT stream_id, 1, CAST(:kind AS text), CAST(:type AS text), data, CAST(:actor AS jsonb),
               CAST(:at AS timestamptz), CAST(:policy_id AS text), CAST(:policy_version AS text),
               CAST(:command_id AS text), CAST(:genesis AS text), hash
        FROM input
        ON CONFLICT (stream_id, version) DO NOTHING
        RETURNING stream_id
    ), d AS (
        INSERT INTO daily_reports (enterprise_id, day, region, stream_id, owed, missed_at)
        SELECT i.enterprise_id, CAST(:day AS date), i.region, i.stream_id, true, CAST(:at AS timestamptz)
        FROM input i JOIN e USING (stream_id)
        ON CONFLICT ON CONSTRAINT daily_reports_pk DO NOTHING
        RETURNING 1
    ), n AS (
        INSERT INTO notifications (case_id, case_kind, stream_version, seq, kind, recipient_role,
                                   recipient_party, due_at, subject, data, created_at)
        SELECT i.stream_id, CAST(:kind AS text), 1, (o.ord - 1)::int, 'overdue', o.v->>'recipient_role',
               o.v->>'recipient_party', CAST(:at AS timestamptz), o.v->>'subject', o.v->'data', now()
        FROM input i JOIN e USING (stream_id)
        CROSS JOIN LATERAL jsonb_array_elements(i.notices) WITH ORDINALITY AS o(v, ord)
        ON CONFLICT ON CONSTRAINT notifications_event_seq_key DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM e) AS events, (SELECT count(*) FROM d) AS rows,
           (SELECT count(*) FROM n) AS notices
    """
)


def _scope(rule: DailyReportRule) -> Any:
    """The registry's enterprises the rule covers: in a region in scope, not exempt."""
    regions = or_(*(enterprises.c.region.startswith(region_prefix(r)) for r in rule.regions))
    return and_(regions, enterprises.c.enterprise_id.not_in(rule.exempt)) if rule.exempt else regions


async def unreported(
    conn: AsyncConnection, rule: DailyReportRule, day: date, *, after: str = "", limit: int = 1000
) -> list[tuple[str, str]]:
    """(enterprise id, region) of the enterprises in scope with nothing recorded for `day` yet, after
    `after` in id order (the sweep's cursor)."""
    q = (
        select(enterprises.c.enterprise_id, enterprises.c.region)
        .where(
            _scope(rule),
            enterprises.c.enterprise_id > after,
            ~select(daily_reports.c.enterprise_id)
            .where(daily_reports.c.enterprise_id == enterprises.c.enterprise_id, daily_reports.c.day == day)
            .exists(),
        )
        .order_by(enterprises.c.enterprise_id)
        .limit(limit)
    )
    return [(str(r.enterprise_id), str(r.region)) for r in await conn.execute(q)]


async def record_missed(
    conn: AsyncConnection,
    rule: DailyReportRule,
    policy: PolicyRef,
    day: date,
    owing: list[tuple[str, str]],
) -> tuple[int, int]:
    """Record the day's report of each (enterprise, region) in `owing` as missed, at the due time, by the
    system, with its notices: one statement. Returns (missed recorded, notices queued)."""
    if not owing:
        return 0, 0
    at = deadline(rule, day)
    actor = SYSTEM.model_dump(mode="json")
    command_id = f"missed:{day.isoformat()}"
    rows: list[dict[str, Any]] = []
    for enterprise_id, region in owing:
        sid = stream_id(enterprise_id, day)
        data = missed_event(rule, enterprise_id=enterprise_id, region=region, day=day)
        (rec,) = build_records(
            sid, KIND, 1, GENESIS, [NewEvent(type=MISSED, data=data)], actor, at, policy.id, policy.version,
            command_id,
        )  # fmt: skip
        notices = missed_notices(rule, enterprise_id=enterprise_id, region=region, day=day)
        rows.append(
            {
                "stream_id": sid,
                "enterprise_id": enterprise_id,
                "region": region,
                "data": rec.data,
                "hash": rec.hash,
                "notices": notices,
            }
        )
    done = (
        await conn.execute(
            _MISSED,
            {
                "rows": json.dumps(rows, ensure_ascii=False),
                "kind": KIND,
                "type": MISSED,
                "actor": json.dumps(actor),
                "at": at,
                "policy_id": policy.id,
                "policy_version": policy.version,
                "command_id": command_id,
                "genesis": GENESIS,
                "day": day,
            },
        )
    ).one()
    return int(done.events), int(done.notices)


async def report_row(
    conn: AsyncConnection, enterprise_id: str, day: date, *, lock: bool = False
) -> RowMapping | None:
    q = select(daily_reports).where(
        daily_reports.c.enterprise_id == enterprise_id, daily_reports.c.day == day
    )
    return (await conn.execute(q.with_for_update() if lock else q)).mappings().one_or_none()


async def file_report(
    conn: AsyncConnection,
    rule: DailyReportRule,
    policy: PolicyRef,
    actor: Actor,
    data: dict[str, Any],
    *,
    filed_at: datetime,
    command_id: str,
) -> tuple[dict[str, Any], bool]:
    """Record a filed report (`data`: domain.duties.daily.filed_event). A late one owed and not yet marked
    missed is marked first (the sweep may not have run yet). Returns (the report, recorded): a repeat of
    the same request (`command_id` and `data` the same) returns the report recorded; another report of
    the same day is a Conflict (rule `duplicate`), the same key with another request (`request_sha256`)
    an IdempotencyMismatch."""
    enterprise_id, region, day = data["enterprise_id"], data["region"], date.fromisoformat(data["day"])
    sid = stream_id(enterprise_id, day)
    row = await report_row(conn, enterprise_id, day, lock=True)
    if row is None and data["late"]:
        await record_missed(conn, rule, policy, day, [(enterprise_id, region)])
        row = await report_row(conn, enterprise_id, day, lock=True)
    if row is not None and row["filed_at"] is not None:
        earlier = await filed(conn, enterprise_id, day)
        if earlier is not None and earlier.command_id == command_id:
            if earlier.data.get("request_sha256") != data.get("request_sha256"):
                raise IdempotencyMismatch(
                    "this Idempotency-Key filed another report", rule="idempotency", field="Idempotency-Key"
                )
            return dict(row), False
        raise Conflict(
            f"the report of {day} for {enterprise_id} was filed at {row['filed_at'].isoformat()}: one a day",
            rule="duplicate",
            field="day",
        )
    version = 0 if row is None else 1
    await append(
        conn,
        stream_id=sid,
        kind=KIND,
        expected_version=version,
        new=[NewEvent(type=FILED, data=data)],
        actor=actor.model_dump(mode="json"),
        occurred_at=filed_at,
        policy_id=policy.id,
        policy_version=policy.version,
        command_id=command_id,
    )
    values = {
        "filed_at": filed_at,
        "late": data["late"],
        "owed": data["owed"],
        "nothing_found": data["nothing_found"],
        "hazard_ids": data["hazard_ids"],
    }
    if row is None:
        await conn.execute(
            insert(daily_reports).values(
                enterprise_id=enterprise_id, day=day, region=region, stream_id=sid, **values
            )
        )
    else:
        await conn.execute(
            update(daily_reports)
            .where(daily_reports.c.enterprise_id == enterprise_id, daily_reports.c.day == day)
            .values(**values)
        )
    return dict(await report_row(conn, enterprise_id, day) or {}), True


async def filed(conn: AsyncConnection, enterprise_id: str, day: date) -> StoredEvent | None:
    """The event that filed the enterprise's report of `day` (None: not filed)."""
    stream = await read_stream(conn, stream_id(enterprise_id, day))
    return next((e for e in stream if e.type == FILED), None)


async def region_day(conn: AsyncConnection, region: str, day: date) -> list[dict[str, Any]]:
    """The day's reports and missed marks of the enterprises in `region` (a jurisdiction: its prefix)."""
    q = (
        select(daily_reports)
        .where(daily_reports.c.region.startswith(region_prefix(region)), daily_reports.c.day == day)
        .order_by(daily_reports.c.enterprise_id)
    )
    return [dict(r) for r in (await conn.execute(q)).mappings()]


async def enterprise_reports(
    conn: AsyncConnection, enterprise_id: str, limit: int = 30
) -> list[dict[str, Any]]:
    """The enterprise's reports and missed marks, newest day first."""
    q = (
        select(daily_reports)
        .where(daily_reports.c.enterprise_id == enterprise_id)
        .order_by(daily_reports.c.day.desc())
        .limit(limit)
    )
    return [dict(r) for r in (await conn.execute(q)).mappings()]


async def missed_count(conn: AsyncConnection, enterprise_id: str) -> int:
    return int((await missed_mark(conn, enterprise_id))["daily_reports_missed"])


async def missed_mark(conn: AsyncConnection, enterprise_id: str) -> dict[str, Any]:
    """The missed mark on the enterprise's record (seed 002): how many daily reports it missed, and the
    last day it missed (None if never), read from the projection at read time."""
    q = select(func.count(), func.max(daily_reports.c.day)).where(
        daily_reports.c.enterprise_id == enterprise_id, daily_reports.c.missed_at.is_not(None)
    )
    n, last = (await conn.execute(q)).one()
    return {"daily_reports_missed": int(n), "last_missed_day": last.isoformat() if last else None}


_COUNTS = text(
    """
    SELECT data->>'region' AS region,
        count(*) FILTER (WHERE type = :filed) AS daily_reports_filed,
        count(*) FILTER (WHERE type = :missed) AS daily_reports_missed,
        coalesce(sum(jsonb_array_length(data->'hazard_ids')) FILTER (WHERE type = :filed), 0)
            AS daily_hazards_found
    FROM events
    WHERE kind = :kind AND occurred_at >= :start AND occurred_at < :end
    GROUP BY 1 ORDER BY 1
    """
)
COUNT_FIELDS = ("daily_reports_filed", "daily_reports_missed", "daily_hazards_found")


async def counts(conn: AsyncConnection, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """Per region: daily reports filed, missed and the hazards they found in [start, end), from the
    event store (a past period regenerates to the same figures)."""
    params = {"filed": FILED, "missed": MISSED, "kind": KIND, "start": start, "end": end}
    return {
        str(r.region): {f: int(getattr(r, f)) for f in COUNT_FIELDS}
        for r in await conn.execute(_COUNTS, params)
    }
