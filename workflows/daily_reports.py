"""The daily-report sweep (docs/rules.md#daily-report): started by the 15:00 Asia/Shanghai schedule, it
records every report owed and not filed as missed, in batches through one activity, set-based — not one
long-lived workflow per enterprise (bench/RESULTS.md, the daily storm, measured both against the bare
skeleton). Not a working day of the pack's calendar, or a pack without the duty: nothing is owed."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.daily_contracts import (
        DailySweepInput,
        DailySweepResult,
        SweepBatchInput,
        SweepBatchResult,
    )
    from domain.duties.daily import report_day, rule_of


@workflow.defn(name="DailyReportSweepWorkflow")
class DailyReportSweepWorkflow:
    @workflow.run
    async def run(self, inp: DailySweepInput) -> DailySweepResult:
        day = inp.day or report_day(workflow.now())
        rule = rule_of(inp.policy)
        if rule is None or not inp.policy.work_calendar.is_working_day(day):
            return DailySweepResult(day=day, owed=False)
        out = DailySweepResult(day=day, owed=True)
        after: str | None = ""
        while after is not None:
            res: SweepBatchResult = await workflow.execute_activity(
                "sweep_daily_reports",
                SweepBatchInput(rule=rule, policy=inp.policy.ref, day=day, after=after, limit=inp.batch),
                result_type=SweepBatchResult,
                start_to_close_timeout=timedelta(minutes=5),
            )
            out.missed += res.missed
            out.notices += res.notices
            out.batches += 1
            after = res.next_after
        return out
