"""The scheduled duty sweep (docs/rules.md#duties): one short run per tick, at the scheduled time
(workflow.now()) unless an instant is given; the work is the `duty_sweep` activity's."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.duty_contracts import DutySweepResult


@workflow.defn(name="DutySweepWorkflow")
class DutySweepWorkflow:
    @workflow.run
    async def run(self, at: datetime | None = None) -> DutySweepResult:
        result: DutySweepResult = await workflow.execute_activity(
            "duty_sweep",
            at or workflow.now(),
            result_type=DutySweepResult,
            start_to_close_timeout=timedelta(minutes=30),
        )
        return result
