"""Scheduled report workflows: each run computes its period from the scheduled time (workflow.now())."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.contracts import ReportKind, ReportRequest, ReportResult, SweepResult
    from domain.timecalc import CN_TZ


def period(kind: ReportKind, now: datetime) -> tuple[datetime, datetime]:
    """The period a report run at `now` covers (Asia/Shanghai calendar): the 24 hours before the run
    (daily, due by 15:00), the previous quarter (quarterly), the previous year (annual)."""
    local = now.astimezone(CN_TZ)
    if kind == "daily":
        end = local.replace(second=0, microsecond=0)
        return end - timedelta(days=1), end
    if kind == "quarterly":
        q_month = (local.month - 1) // 3 * 3 + 1
        end = local.replace(month=q_month, day=1, hour=0, minute=0, second=0, microsecond=0)
        start_month = q_month - 3
        start = (
            end.replace(year=end.year - 1, month=start_month + 12)
            if start_month < 1
            else end.replace(month=start_month)
        )
        return start, end
    end = local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return end.replace(year=end.year - 1), end


@workflow.defn(name="ReportWorkflow")
class ReportWorkflow:
    @workflow.run
    async def run(self, kind: ReportKind) -> ReportResult:
        start, end = period(kind, workflow.now())
        result: ReportResult = await workflow.execute_activity(
            "generate_report",
            ReportRequest(kind=kind, start=start, end=end),
            result_type=ReportResult,
            start_to_close_timeout=timedelta(minutes=30),
        )
        return result


@workflow.defn(name="OverdueSweepWorkflow")
class OverdueSweepWorkflow:
    @workflow.run
    async def run(self, grace_seconds: float) -> SweepResult:
        result: SweepResult = await workflow.execute_activity(
            "overdue_sweep",
            grace_seconds,
            result_type=SweepResult,
            start_to_close_timeout=timedelta(minutes=10),
        )
        return result
