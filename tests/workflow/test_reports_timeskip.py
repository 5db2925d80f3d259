"""The report schedules over a simulated quarter on the time-skipping server: the daily and quarterly
fire times of `starter.schedules` (Asia/Shanghai calendars) drive ReportWorkflow, which reads the event
store of a real PostgreSQL holding one hazard reported each simulated day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from temporalio.client import ScheduleCalendarSpec

from activities.reports import ReportActivities
from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.timecalc import CN_TZ
from harness.servers import unique_queue
from starter.schedules import report_schedules
from store.db import make_engine
from tests.integration.test_reports import drive
from tests.support.schedule_driver import ScheduleDriverWorkflow
from worker import build_worker
from workflows.reports import ReportWorkflow

ENT = Actor(id="ent-1", role=Role.enterprise, region="500107", enterprise_id="E-1")


def _in(ranges: Any, v: int) -> bool:
    return any(r.start <= v <= (r.end or r.start) and (v - r.start) % (r.step or 1) == 0 for r in ranges)


def fire_times(cal: ScheduleCalendarSpec, start: datetime, end: datetime) -> list[datetime]:
    """Minute-resolution matcher for the calendar specs the project uses (month, day, hour, minute)."""
    out, day = [], start.astimezone(CN_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        if _in(cal.month, day.month) and _in(cal.day_of_month, day.day):
            for h in range(24):
                if _in(cal.hour, h):
                    for m in range(60):
                        if _in(cal.minute, m):
                            t = day.replace(hour=h, minute=m)
                            if start < t <= end:
                                out.append(t)
        day += timedelta(days=1)
    return out


async def test_a_simulated_quarter_of_scheduled_reports(ts_env, db_url) -> None:
    engine = make_engine(db_url)
    now = await ts_env.get_current_time()
    end = now + timedelta(days=92)
    first_day = (now.astimezone(CN_TZ) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    report = {
        "type": "report",
        "title": "t",
        "enterprise_id": "E-1",
        "region": "500107",
        "source": "self_inspection",
        "category": "unsafe_act",
    }
    store = StoreActivities(engine)
    days = []
    d = first_day
    while d < end:
        await drive(store, f"HZ-TS-{d:%Y%m%d}", [(d, ENT, report)])
        days.append(d)
        d += timedelta(days=1)

    specs = report_schedules("unused")
    fires: list[tuple[datetime, str, str]] = []
    for sid, kind in (("hazardloop-report-daily", "daily"), ("hazardloop-report-quarterly", "quarterly")):
        (cal,) = specs[sid].spec.calendars
        fires += [(t, "ReportWorkflow", kind) for t in fire_times(cal, now, end)]
    fires.sort()
    assert 90 <= sum(1 for f in fires if f[2] == "daily") <= 93

    queue = unique_queue("ts-reports")
    reports = ReportActivities(engine)
    async with build_worker(
        ts_env.client,
        queue,
        store,
        workflows=[ReportWorkflow, ScheduleDriverWorkflow],
        extra_activities=[reports.generate_report, reports.overdue_sweep],
        extra_passthrough=["tests.support.schedule_driver"],
    ):
        ran = await ts_env.client.execute_workflow(
            ScheduleDriverWorkflow.run, fires, id="schedule-driver", task_queue=queue, result_type=int
        )
    assert ran == len(fires)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT kind, period_start, period_end, data FROM reports ORDER BY period_start")
            )
        ).all()
    dailies = [r for r in rows if r.kind == "daily"]
    quarterlies = [r for r in rows if r.kind == "quarterly"]
    assert len(dailies) == sum(1 for f in fires if f[2] == "daily") and len(quarterlies) == 1
    # one hazard a day at 10:00: every daily window (14:50 to 14:50) holds exactly one, except the first
    assert [r.data["totals"]["new"] for r in dailies[1:]] == [1] * (len(dailies) - 1)
    q = quarterlies[0]
    expected = sum(1 for t in days if q.period_start <= t < q.period_end)
    assert q.data["totals"]["new"] == expected and q.data["status_at_end"] == {"reported": expected}
    assert (q.period_end.astimezone(CN_TZ).month, q.period_end.astimezone(CN_TZ).day) == (1, 1)
    await engine.dispose()
