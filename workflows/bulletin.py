"""The monthly enforcement bulletin (seed 001 task 49): each scheduled run covers the calendar month
(Asia/Shanghai) before the scheduled time (workflow.now())."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import BULLETIN_WORKFLOW, GENERATE_BULLETIN, BulletinRequest, ReportResult
    from domain.bulletin import month_bounds, month_period


@workflow.defn(name=BULLETIN_WORKFLOW)
class EnforcementBulletinWorkflow:
    @workflow.run
    async def run(self, month: str = "") -> ReportResult:
        """`month` (YYYY-MM) names the month; empty (the schedule's run): the month before now."""
        start, end = month_bounds(month) if month else month_period(workflow.now())
        result: ReportResult = await workflow.execute_activity(
            GENERATE_BULLETIN,
            BulletinRequest(start=start, end=end),
            result_type=ReportResult,
            start_to_close_timeout=timedelta(minutes=30),
        )
        return result
