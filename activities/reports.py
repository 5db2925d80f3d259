"""Report activities: generate a periodic report from the event store, and the overdue sweep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.contracts import ReportRequest, ReportResult, SweepResult
from store.reports import compute_report, notify_supervisors, overdue_open_cases, save_report

log = structlog.get_logger("hazardloop.reports")


async def store_report(engine: AsyncEngine, req: ReportRequest) -> ReportResult:
    """Compute, store (replacing an earlier run for the same period) and notify each region's supervisor."""
    async with engine.begin() as conn:
        data = await compute_report(conn, req.kind, req.start, req.end)
        report_id = await save_report(conn, req.kind, req.start, req.end, datetime.now(UTC), data)
        notes = [
            (
                r["region"],
                f"{req.kind} report {req.start.date()}–{req.end.date()}: new {r['new']}, "
                f"rectified {r['rectified']}, overdue {r['overdue']}",
                {"title": f"{req.kind} report", **r},
            )
            for r in (data["by_region"] if req.notify else [])
        ]
        notified = await notify_supervisors(conn, report_id, notes)
    log.info("report generated", kind=req.kind, report_id=report_id, totals=data["totals"], notified=notified)
    return ReportResult(report_id=report_id, kind=req.kind, totals=data["totals"], notified=notified)


class ReportActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @activity.defn(name="generate_report")
    async def generate_report(self, req: ReportRequest) -> ReportResult:
        return await store_report(self.engine, req)

    @activity.defn(name="overdue_sweep")
    async def overdue_sweep(self, grace_seconds: float) -> SweepResult:
        """Open cases whose earliest deadline passed more than `grace` ago: a timer that did not fire (there
        should be none). Each mismatch is logged as an error and the list is stored as a report; each carries
        its case's region, by which the API narrows the list to a reader's jurisdiction."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            rows = await overdue_open_cases(conn, now - timedelta(seconds=grace_seconds))
            found = [{**dict(r), "next_due_at": r["next_due_at"].isoformat()} for r in rows]
            await save_report(conn, "overdue_sweep", now, now, now, {"mismatches": found}, replace=False)
        for m in found:
            log.error("deadline passed without its timer firing", **m)
        return SweepResult(checked_at=now, mismatches=found)
