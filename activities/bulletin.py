"""The monthly enforcement bulletin: computed from the event store, stored as a report, each region's
supervisor notified (domain/bulletin.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.contracts import GENERATE_BULLETIN, BulletinRequest, ReportResult
from domain.bulletin import KIND, bulletin
from store.bulletin import enforcement_events
from store.reports import notify_supervisors, save_report

log = structlog.get_logger("hazardloop.bulletin")


async def store_bulletin(engine: AsyncEngine, req: BulletinRequest) -> ReportResult:
    """Compute and store (replacing an earlier run for the same month) the bulletin; notify."""
    async with engine.begin() as conn:
        data = bulletin(req.start, req.end, await enforcement_events(conn, req.start, req.end))
        report_id = await save_report(conn, KIND, req.start, req.end, datetime.now(UTC), data)
        notes = [
            (
                r["region"],
                f"{data['month']} 执法通报：处罚 {r['penalties']} 件，"
                f"按日连续处罚 {r['daily_penalties']} 日，责令停产停业 {r['stop_work_orders']} 次，"
                f"提请关闭 {r['closures_proposed']} 家",
                {"title": "执法通报", "subject_en": f"enforcement bulletin {data['month']}", **r},
            )
            for r in (data["by_region"] if req.notify else [])
        ]
        notified = await notify_supervisors(conn, report_id, notes)
    log.info("enforcement bulletin", month=data["month"], report_id=report_id, totals=data["totals"])
    return ReportResult(report_id=report_id, kind=KIND, totals=data["totals"], notified=notified)


class BulletinActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @activity.defn(name=GENERATE_BULLETIN)
    async def generate_bulletin(self, req: BulletinRequest) -> ReportResult:
        return await store_bulletin(self.engine, req)
