"""A stand-in for Temporal Schedules on the time-skipping test server (which does not implement them):
a workflow that sleeps until each given fire time and starts the scheduled workflow as a child, as the
Schedule would. The fire times come from the project's own ScheduleSpecs (tests compute them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy


@workflow.defn(name="ScheduleDriverWorkflow")
class ScheduleDriverWorkflow:
    @workflow.run
    async def run(self, fires: list[tuple[datetime, str, str]]) -> int:
        """fires: (when, workflow type, argument) in time order; returns how many ran."""
        ran = 0
        for when, wf, arg in fires:
            wait = when - workflow.now()
            if wait > timedelta(0):
                await workflow.sleep(wait)
            await workflow.execute_child_workflow(
                wf,
                arg,
                id=f"{workflow.info().workflow_id}-{ran}",
                parent_close_policy=ParentClosePolicy.TERMINATE,
            )
            ran += 1
        return ran
