"""The daily-report sweep's activity (docs/rules.md#daily-report): one batch of the enterprises in scope
that filed nothing for the day, recorded as missed with their notices in one statement
(store/daily_reports.py)."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.daily_contracts import SweepBatchInput, SweepBatchResult
from store.daily_reports import record_missed, unreported

log = structlog.get_logger("hazardloop.daily_reports")


async def sweep_batch(engine: AsyncEngine, inp: SweepBatchInput) -> SweepBatchResult:
    """Record the next batch of missed reports after `inp.after`; idempotent (a retried batch finds
    them recorded and moves on)."""
    async with engine.begin() as conn:
        owing = await unreported(conn, inp.rule, inp.day, after=inp.after, limit=inp.limit)
        missed, notices = await record_missed(conn, inp.rule, inp.policy, inp.day, owing)
    log.info("daily reports missed", day=inp.day.isoformat(), batch=len(owing), missed=missed)
    nxt = owing[-1][0] if len(owing) == inp.limit else None
    return SweepBatchResult(missed=missed, notices=notices, next_after=nxt)


class DailyReportActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @activity.defn(name="sweep_daily_reports")
    async def sweep_daily_reports(self, inp: SweepBatchInput) -> SweepBatchResult:
        return await sweep_batch(self.engine, inp)
