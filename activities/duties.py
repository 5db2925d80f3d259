"""The duty sweep (docs/rules.md#duties): at an instant, mark every inspection plan past its deadline
overdue and, from the pack's `notice_before` ahead of a month's end, notify each officer behind on the
month's 包保 duty. Set-based: plans are taken in batches by one indexed statement each, officers counted by
one statement; every mark is an event with its notices in the same transaction (store/duties.py)."""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.duty_contracts import DutySweepResult
from domain.policy import PolicyPack
from store.duties import sweep_inspections, sweep_officers

log = structlog.get_logger("hazardloop.duties")


async def sweep(engine: AsyncEngine, pack: PolicyPack, at: datetime, batch: int = 500) -> DutySweepResult:
    overdue = 0
    while True:
        async with engine.begin() as conn:
            n = await sweep_inspections(conn, pack, at, batch)
        overdue += n
        if n < batch:
            break
    async with engine.begin() as conn:
        noticed = await sweep_officers(conn, pack, at)
    log.info("duty sweep", at=at.isoformat(), inspections_overdue=overdue, officers_noticed=noticed)
    return DutySweepResult(at=at, inspections_overdue=overdue, officers_noticed=noticed)


class DutyActivities:
    def __init__(self, engine: AsyncEngine, pack: PolicyPack) -> None:
        self.engine = engine
        self.pack = pack

    @activity.defn(name="duty_sweep")
    async def duty_sweep(self, at: datetime) -> DutySweepResult:
        return await sweep(self.engine, self.pack, at)
