"""The daily storm's per-enterprise workflows (bench/daily_storm.py): one timer until the common 15:00
deadline, then one activity. With `bench_skeleton_insert_one` it is the bare skeleton (one timer and one
INSERT per enterprise); with `bench_duty_missed_one` it is the design not chosen, one duty workflow per
enterprise recording its own missed report through the service's store code."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow


class DutyInput(BaseModel):
    enterprise_id: str
    region: str
    day: date
    deadline: datetime
    activity: str


@workflow.defn(name="BenchDailyDutyWorkflow")
class BenchDailyDutyWorkflow:
    @workflow.run
    async def run(self, inp: DutyInput) -> None:
        wait = (inp.deadline - workflow.now()).total_seconds()
        if wait > 0:
            await workflow.sleep(wait)
        await workflow.execute_activity(inp.activity, inp, start_to_close_timeout=timedelta(minutes=2))
