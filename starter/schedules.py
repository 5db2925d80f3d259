"""The Temporal Schedules the service runs, created or brought up to date idempotently
(`hazardloop schedules ensure`, and `hazardloop dev` at start):

| schedule | when (Asia/Shanghai) | what |
|---|---|---|
| hazardloop-history-archiver | every 5 minutes | archive closed histories (activities/archive.py) |
| hazardloop-report-daily | 14:50 every day | daily report, due by 15:00 [seed 002] |
| hazardloop-report-quarterly | 09:00, 1 Jan/Apr/Jul/Oct | quarterly statistics, due by the 15th [16号令] |
| hazardloop-report-annual | 09:30 on 2 January | annual statistics, due by 31 January |
| hazardloop-report-enforcement-monthly | 09:00 on the 1st | last month's 执法通报 [seed 001 task 49] |
| hazardloop-overdue-sweep | hourly | cases past a deadline whose timer did not fire (should be none) |
| hazardloop-duty-sweep | hourly | missed inspections by risk colour; officers behind on 包保 duty |
| hazardloop-daily-report-sweep | 15:00 every day | daily reports not filed are missed [seed 002] |
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from activities.archive import ensure_archive_schedule
from activities.contracts import BULLETIN_WORKFLOW
from activities.daily_contracts import DailySweepInput
from domain.policy import PolicyPack

log = structlog.get_logger("hazardloop.schedules")
TZ = "Asia/Shanghai"
SWEEP_GRACE_SECONDS = 300.0


def _cal(months: list[int] | None, day: int | None, hour: int, minute: int) -> ScheduleCalendarSpec:
    return ScheduleCalendarSpec(
        month=[ScheduleRange(m) for m in months] if months else ScheduleCalendarSpec().month,
        day_of_month=[ScheduleRange(day)] if day else ScheduleCalendarSpec().day_of_month,
        hour=[ScheduleRange(hour)],
        minute=[ScheduleRange(minute)],
        comment="",
    )


def report_schedules(task_queue: str, policy: PolicyPack | None = None) -> dict[str, Schedule]:
    """The report and sweep schedules; with the pack in force, the daily-report sweep too (it pins it)."""

    def start(workflow: str, arg: Any, sid: str) -> ScheduleActionStartWorkflow:
        return ScheduleActionStartWorkflow(
            workflow, arg, id=f"{sid}-run", task_queue=task_queue, execution_timeout=timedelta(hours=1)
        )

    skip = SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=1))
    specs: dict[str, tuple[str, Any, ScheduleSpec]] = {
        "hazardloop-report-daily": (
            "ReportWorkflow",
            "daily",
            ScheduleSpec(calendars=[_cal(None, None, 14, 50)], time_zone_name=TZ),
        ),
        "hazardloop-report-quarterly": (
            "ReportWorkflow",
            "quarterly",
            ScheduleSpec(calendars=[_cal([1, 4, 7, 10], 1, 9, 0)], time_zone_name=TZ),
        ),
        "hazardloop-report-annual": (
            "ReportWorkflow",
            "annual",
            ScheduleSpec(calendars=[_cal([1], 2, 9, 30)], time_zone_name=TZ),
        ),
        "hazardloop-report-enforcement-monthly": (
            BULLETIN_WORKFLOW,
            "",
            ScheduleSpec(calendars=[_cal(None, 1, 9, 0)], time_zone_name=TZ),
        ),
        "hazardloop-overdue-sweep": (
            "OverdueSweepWorkflow",
            SWEEP_GRACE_SECONDS,
            ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))]),
        ),
        "hazardloop-duty-sweep": (
            "DutySweepWorkflow",
            None,
            ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(hours=1))]),
        ),
    }
    if policy is not None:
        specs["hazardloop-daily-report-sweep"] = (
            "DailyReportSweepWorkflow",
            DailySweepInput(policy=policy),
            ScheduleSpec(calendars=[_cal(None, None, 15, 0)], time_zone_name=TZ),
        )
    return {
        sid: Schedule(action=start(wf, arg, sid), spec=spec, policy=skip)
        for sid, (wf, arg, spec) in specs.items()
    }


async def ensure_schedules(client: Client, task_queue: str, policy: PolicyPack | None = None) -> list[str]:
    """Create every schedule, or update an existing one to the current definition. Returns their ids."""
    ids = [await ensure_archive_schedule(client, task_queue)]
    for sid, schedule in report_schedules(task_queue, policy).items():
        try:
            await client.create_schedule(sid, schedule)
            log.info("schedule created", schedule_id=sid)
        except ScheduleAlreadyRunningError:

            def replace(_: ScheduleUpdateInput, s: Schedule = schedule) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=s)

            await client.get_schedule_handle(sid).update(replace)
            log.info("schedule updated", schedule_id=sid)
        ids.append(sid)
    return ids
