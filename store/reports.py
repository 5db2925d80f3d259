"""Periodic hazard reports computed from the event store (docs/rules.md#periodic-reports; seed 002;
16号令 Art. 14).

- daily: per region, the hazards newly reported, rectified (closed by a passed review) and gone overdue
  in the period, and the daily self-inspection reports filed / missed (store/daily_reports.py);
- every kind: per region, the duties' counts — inspections recorded and overdue, officers behind, campaigns
  open / closed and explanations owed (store/duty_counts.py);
- quarterly / annual: the same per region and per industry, the gradings by level, the status of every
  hazard as it stood at the period's end (folded from the events), and two rates: rectification rate
  = rectified / new, overdue rate = went overdue / new (both over the period; null when nothing new);
- annual also: `region_year`, the record per region per year (domain/region_year.py): accidents by
  grade, the one-vote veto and its causes, hazards listed and listings written off.

Everything is read from `events`, never from the live projection, so a past period regenerates to the
same figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import RowMapping, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.incident import INCIDENT, IncidentState
from domain.region_year import ListingMove, region_year_records
from domain.timecalc import CN_TZ
from store.daily_reports import COUNT_FIELDS, counts
from store.duty_counts import DUTY_FIELDS, duty_counts, merge_counts
from store.queries import ListFilters, list_cases_as_of
from store.schema import cases, notifications, reports

_COUNTS = text(
    """
    WITH h AS (
        SELECT stream_id, data->>'region' AS region,
               coalesce(nullif(data->>'industry', ''), 'unknown') AS industry
        FROM events WHERE kind = 'hazard' AND type = 'hazard_reported'
    )
    SELECT h.region, h.industry,
        count(*) FILTER (WHERE ev.type = 'hazard_reported') AS new,
        count(*) FILTER (WHERE ev.type = 'reviewed' AND (ev.data->>'passed')::boolean) AS rectified,
        count(*) FILTER (WHERE ev.type = 'went_overdue') AS overdue,
        count(*) FILTER (WHERE ev.type = 'graded' AND ev.data->>'level' = 'general') AS graded_general,
        count(*) FILTER (WHERE ev.type = 'graded' AND ev.data->>'level' = 'major') AS graded_major
    FROM events ev JOIN h USING (stream_id)
    WHERE ev.kind = 'hazard' AND ev.occurred_at >= :start AND ev.occurred_at < :end
      AND ev.type IN ('hazard_reported', 'reviewed', 'went_overdue', 'graded')
    GROUP BY h.region, h.industry
    ORDER BY h.region, h.industry
    """
)
# every event of the incidents that occurred in the period, as recorded before its end
_INCIDENTS = text(
    """
    SELECT stream_id, data FROM events
    WHERE kind = 'incident' AND occurred_at < :end AND stream_id IN (
        SELECT stream_id FROM events
        WHERE kind = 'incident' AND type = 'incident_reported'
          AND (data->>'occurred_at')::timestamptz >= :start AND (data->>'occurred_at')::timestamptz < :end
    )
    ORDER BY stream_id, version
    """
)
# hazards listed for supervision, and listings written off (a passed review of a listed hazard)
_LISTINGS = text(
    """
    WITH h AS (SELECT stream_id, data->>'region' AS region FROM events
               WHERE kind = 'hazard' AND type = 'hazard_reported')
    SELECT h.region, ev.occurred_at,
           CASE ev.type WHEN 'listed' THEN 'listed' ELSE 'written_off' END AS move
    FROM events ev JOIN h USING (stream_id)
    WHERE ev.kind = 'hazard' AND ev.occurred_at >= :start AND ev.occurred_at < :end
      AND (ev.type = 'listed' OR (ev.type = 'reviewed' AND (ev.data->>'passed')::boolean
                                  AND ev.data->>'publish_due' IS NOT NULL))
    """
)
# new / rectified / overdue per day or month (China time) and region: the trend charts
_TREND = text(
    """
    WITH h AS (SELECT stream_id, data->>'region' AS region FROM events
               WHERE kind = 'hazard' AND type = 'hazard_reported')
    SELECT date_trunc(CAST(:unit AS text), ev.occurred_at AT TIME ZONE 'Asia/Shanghai')::date AS bucket,
        h.region,
        count(*) FILTER (WHERE ev.type = 'hazard_reported') AS new,
        count(*) FILTER (WHERE ev.type = 'reviewed' AND (ev.data->>'passed')::boolean) AS rectified,
        count(*) FILTER (WHERE ev.type = 'went_overdue') AS overdue
    FROM events ev JOIN h USING (stream_id)
    WHERE ev.kind = 'hazard' AND ev.occurred_at >= :start AND ev.occurred_at < :end
      AND ev.type IN ('hazard_reported', 'reviewed', 'went_overdue')
    GROUP BY 1, 2
    """
)
TREND_FIELDS = ("new", "rectified", "overdue")
FIELDS = ("new", "rectified", "overdue", "graded_general", "graded_major")
REPORT_COUNTS = (*COUNT_FIELDS, *DUTY_FIELDS)
"""The counts beside the hazard figures: the daily self-inspection reports' (daily only) and the duties'."""


def rates(row: dict[str, Any]) -> dict[str, Any]:
    new = row["new"]
    return {
        **row,
        "rectification_rate": round(row["rectified"] / new, 4) if new else None,
        "overdue_rate": round(row["overdue"] / new, 4) if new else None,
    }


def _sum(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    acc: dict[str, Counter[str]] = {}
    for r in rows:
        c = acc.setdefault(r[key], Counter())
        for f in FIELDS:
            c[f] += r[f]
    return [rates({key: k, **{f: v[f] for f in FIELDS}}) for k, v in sorted(acc.items())]


async def compute_report(conn: AsyncConnection, kind: str, start: datetime, end: datetime) -> dict[str, Any]:
    rows = [dict(r._mapping) for r in await conn.execute(_COUNTS, {"start": start, "end": end})]
    out: dict[str, Any] = {
        "kind": kind,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "by_region": _sum(rows, "region"),
        "totals": rates({f: sum(r[f] for r in rows) for f in FIELDS}),
    }
    empty = rates(dict.fromkeys(FIELDS, 0))
    if kind == "daily":  # the daily self-inspection reports: filed, missed, hazards found (seed 002)
        daily = await counts(conn, start, end)
        out["by_region"] = merge_counts(out["by_region"], daily, COUNT_FIELDS, empty)
        out["totals"] |= {f: sum(c[f] for c in daily.values()) for f in COUNT_FIELDS}
        empty |= dict.fromkeys(COUNT_FIELDS, 0)
    if kind in ("daily", "quarterly", "annual"):  # inspections, officers, campaigns (issue #19)
        duties = await duty_counts(conn, start, end)
        out["by_region"] = merge_counts(out["by_region"], duties, DUTY_FIELDS, empty)
        out["totals"] |= {f: sum(c[f] for c in duties.values()) for f in DUTY_FIELDS}
    if kind in ("quarterly", "annual"):
        out["by_industry"] = _sum(rows, "industry")
        cases, _ = await list_cases_as_of(conn, ListFilters(kind="hazard"), end, limit=10**9, cursor=None)
        before_end = [c for c in cases if c["created_at"] < end]
        out["status_at_end"] = dict(sorted(Counter(c["status"] for c in before_end).items()))
        out["level_at_end"] = dict(sorted(Counter(c["level"] or "ungraded" for c in before_end).items()))
        out["overdue_at_end"] = sum(1 for c in before_end if c["overdue"])
    if kind == "annual":
        out["region_year"] = await region_year(conn, start, end)
    return out


async def region_year(conn: AsyncConnection, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The record per region per year of the period, from the event store (never the live projection)."""
    states: dict[str, IncidentState] = {}
    for stream_id, data in await conn.execute(_INCIDENTS, {"start": start, "end": end}):
        state = states.get(stream_id, INCIDENT.initial_state())
        states[stream_id] = INCIDENT.evolve(state, INCIDENT.parse_event(data))
    moves: list[ListingMove] = [
        (r.region, r.occurred_at, r.move) for r in await conn.execute(_LISTINGS, {"start": start, "end": end})
    ]
    return region_year_records(states.values(), moves)


def _buckets(start: datetime, end: datetime, unit: Literal["day", "month"]) -> list[date]:
    """Every day (or first of a month) from `start` to just before `end`, in China time."""
    first, last = start.astimezone(CN_TZ).date(), (end - timedelta(microseconds=1)).astimezone(CN_TZ).date()
    out: list[date] = []
    at = first if unit == "day" else first.replace(day=1)
    while at <= last:
        out.append(at)
        at = at + timedelta(days=1) if unit == "day" else (at + timedelta(days=32)).replace(day=1)
    return out


async def trend(
    conn: AsyncConnection,
    start: datetime,
    end: datetime,
    unit: Literal["day", "month"],
    covers: Callable[[str], bool],
) -> list[dict[str, Any]]:
    """Hazards newly reported, rectified (a passed review) and gone overdue per day or month of China time
    in [start, end), from the event store, counting only the regions `covers` accepts (the reader's
    jurisdiction); every bucket of the span is present, empty ones with zeros."""
    series = {b: dict.fromkeys(TREND_FIELDS, 0) for b in _buckets(start, end, unit)}
    rows = await conn.execute(_TREND, {"unit": unit, "start": start, "end": end})
    for r in rows:
        if r.bucket in series and covers(r.region):
            for f in TREND_FIELDS:
                series[r.bucket][f] += getattr(r, f)
    return [{"bucket": b.isoformat(), **counts} for b, counts in series.items()]


def to_csv_rows(data: dict[str, Any]) -> list[list[Any]]:
    """The report as CSV rows: one section per grouping."""
    out: list[list[Any]] = [["report", data["kind"], data["period_start"], data["period_end"]]]
    for section in ("by_region", "by_industry"):
        rows = data.get(section)
        if not rows:
            continue
        key = section.removeprefix("by_")
        extra = [f for f in REPORT_COUNTS if f in rows[0]]
        cols = [key, *FIELDS, "rectification_rate", "overdue_rate", *extra]
        out.append([])
        out.append(cols)
        out.extend([r[c] for c in cols] for r in rows)
    t = data["totals"]
    out.append([])
    counted = [f for f in REPORT_COUNTS if f in t]
    out.append(
        [
            "total",
            *(t[f] for f in FIELDS),
            t["rectification_rate"],
            t["overdue_rate"],
            *(t[f] for f in counted),
        ]
    )
    if data.get("region_year"):
        grades = list(data["region_year"][0]["accidents"])
        out.append([])
        out.append(["region", "year", *grades, "deaths", "veto", "veto_causes", "listed", "written_off"])
        out.extend(
            [
                r["region"],
                r["year"],
                *(r["accidents"][g] for g in grades),
                r["deaths"],
                r["veto"],
                " ".join(sorted(r["veto_causes"])),
                r["listed"],
                r["written_off"],
            ]
            for r in data["region_year"]
        )
    for section in ("status_at_end", "level_at_end"):
        if section in data:
            out.append([])
            out.extend([[section, k, v] for k, v in data[section].items()])
    return out


# ---- the reports table -----------------------------------------------------------------------------------


async def save_report(
    conn: AsyncConnection,
    kind: str,
    start: datetime,
    end: datetime,
    generated_at: datetime,
    data: dict[str, Any],
    *,
    replace: bool = True,
) -> int:
    """Store a report; with `replace`, an earlier run for the same kind and period is replaced. Its id."""
    stmt = insert(reports).values(
        kind=kind, period_start=start, period_end=end, generated_at=generated_at, data=data
    )
    if replace:
        stmt = stmt.on_conflict_do_update(
            constraint="reports_kind_period_key",
            set_={
                "period_end": stmt.excluded.period_end,
                "generated_at": stmt.excluded.generated_at,
                "data": stmt.excluded.data,
            },
        )
    report_id: int = (await conn.execute(stmt.returning(reports.c.id))).scalar_one()
    return report_id


async def add_notifications(conn: AsyncConnection, rows: list[dict[str, Any]]) -> int:
    """Queue notifications (a report's to each region); those already queued are skipped. How many new."""
    result = await conn.execute(
        insert(notifications).values(rows).on_conflict_do_nothing(constraint="notifications_event_seq_key")
    )
    return result.rowcount or 0


async def notify_supervisors(
    conn: AsyncConnection, report_id: int, notes: list[tuple[str, str, dict[str, Any]]]
) -> int:
    """Queue a report's notice to each region's supervisor: (region, subject, data) each. How many new."""
    if not notes:
        return 0
    now = datetime.now(UTC)
    rows = [
        {
            "case_id": f"REPORT-{report_id}",
            "case_kind": "report",
            "stream_version": 1,
            "seq": i,
            "kind": "report",
            "recipient_role": "supervisor",
            "recipient_party": region,
            "subject": subject,
            "data": {"report_id": report_id, **data},
            "created_at": now,
        }
        for i, (region, subject, data) in enumerate(notes)
    ]
    return await add_notifications(conn, rows)


async def overdue_open_cases(conn: AsyncConnection, before: datetime, limit: int = 1000) -> list[RowMapping]:
    """Open cases whose earliest deadline is before `before`, earliest first."""
    q = (
        select(cases.c.id, cases.c.kind, cases.c.region, cases.c.status, cases.c.next_due_at, cases.c.overdue)
        .where(cases.c.terminal.is_(False), cases.c.next_due_at < before)
        .order_by(cases.c.next_due_at)
        .limit(limit)
    )
    return list((await conn.execute(q)).mappings().all())


async def list_reports(conn: AsyncConnection, kind: str | None, limit: int) -> list[dict[str, Any]]:
    """Stored reports (without their data), newest period first."""
    q = select(
        reports.c.id, reports.c.kind, reports.c.period_start, reports.c.period_end, reports.c.generated_at
    )
    if kind:
        q = q.where(reports.c.kind == kind)
    q = q.order_by(reports.c.period_start.desc(), reports.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in await conn.execute(q)]


async def read_report(conn: AsyncConnection, report_id: int) -> RowMapping | None:
    return (await conn.execute(select(reports).where(reports.c.id == report_id))).mappings().one_or_none()
