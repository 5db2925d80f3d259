"""The monthly enforcement bulletin end to end (seed 001 task 49): enforcement events recorded through the
real decider and store code at the edges of a month (Asia/Shanghai), the bulletin workflow run on the dev
server as its schedule would start it, the reports API scoped to the reader, the CSV, and the schedule."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from temporalio.client import ScheduleCalendarSpec

from activities.contracts import BULLETIN_WORKFLOW
from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.timecalc import CN_TZ
from harness.apptest import App, running_app
from starter.schedules import report_schedules
from tests.integration.test_reports import drive
from worker import workflow_classes
from workflows.bulletin import EnforcementBulletinWorkflow

INSP = Actor(id="insp-1", role=Role.inspector, region="500100")
NOV = datetime(2025, 11, 1, tzinfo=CN_TZ)  # a month no other test records in
SECOND = timedelta(seconds=1)


@pytest.fixture
async def app(dev_env, db_url):
    workflows = [*workflow_classes(), EnforcementBulletinWorkflow]
    async with running_app(dev_env.client, db_url, workflows=workflows) as a:
        yield a


def hazard(region: str) -> dict[str, str]:
    return {
        "type": "report",
        "title": "t",
        "enterprise_id": "E-BUL",
        "region": region,
        "source": "inspection",
        "category": "unsafe_condition",
    }


async def test_the_bulletin_counts_the_months_measures_per_region_at_its_edges(app: App) -> None:
    store = StoreActivities(app.engine)
    penalty = {"type": "impose_penalty", "amount": "5000", "decision_no": "D-1", "legal_basis": "Art. 102"}
    stop = {"type": "order_stop_work", "scope": "full", "reason": "无法保证安全"}
    grade = {"type": "grade", "level": "general"}
    start = NOV - timedelta(days=3)
    # 500107: a penalty at the last second of October (not in November's bulletin), a stop-work order at the
    # first instant of November and a penalty at its last second (both in it)
    await drive(
        store,
        "HZ-BUL-1",
        [(start, INSP, hazard("500107")), (start + SECOND, INSP, grade), (NOV - SECOND, INSP, penalty)],
    )
    await drive(
        store,
        "HZ-BUL-2",
        [
            (start, INSP, hazard("500107")),
            (start + SECOND, INSP, grade),
            (NOV, INSP, stop),
            (datetime(2025, 12, 1, tzinfo=CN_TZ) - SECOND, INSP, {**penalty, "decision_no": "D-2"}),
        ],
    )
    # 500108: a penalty at the first instant of December (not in November's)
    dec = datetime(2025, 12, 1, tzinfo=CN_TZ)
    await drive(
        store,
        "HZ-BUL-3",
        [(start, INSP, hazard("500108")), (start + SECOND, INSP, grade), (dec, INSP, penalty)],
    )

    result = await app.client.execute_workflow(
        BULLETIN_WORKFLOW, "2025-11", id="bulletin-2025-11", task_queue=app.queue
    )
    assert result["kind"] == "enforcement_monthly"
    supervisor = app.token("sup-1", "supervisor", "500000")
    r = await app.http.get("/v1/reports?kind=enforcement_monthly", headers=supervisor)
    assert r.status_code == 200, r.text
    (item,) = [i for i in r.json()["items"] if i["id"] == result["report_id"]]
    data = (await app.http.get(f"/v1/reports/{item['id']}", headers=supervisor)).json()["data"]
    assert data["month"] == "2025-11" and data["period_start"] == "2025-11-01T00:00:00+08:00"
    (row,) = data["by_region"]
    assert row["region"] == "500107"
    assert (
        row["penalties"],
        row["penalty_total"],
        row["stop_work_orders"],
        row["full_stop_work_orders"],
    ) == (
        1,
        "5000",
        1,
        1,
    )
    # a county elsewhere sees no rows of 500107
    other = app.token("insp-9", "inspector", "500108")
    seen = (await app.http.get(f"/v1/reports/{item['id']}", headers=other)).json()["data"]
    assert seen["by_region"] == [] and seen["totals"]["penalties"] == 0
    r = await app.http.get(f"/v1/reports/{item['id']}?format=csv", headers=supervisor)
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:2] == ["执法通报", "2025-11"] and rows[3][0] == "500107" and rows[-1][0] == "合计"


def test_the_bulletin_is_scheduled_at_nine_on_the_first_of_every_month() -> None:
    schedule = report_schedules("q")["hazardloop-report-enforcement-monthly"]
    (cal,) = schedule.spec.calendars
    assert [r.start for r in cal.day_of_month] == [1] and cal.month == ScheduleCalendarSpec().month
    assert [r.start for r in cal.hour] == [9] and [r.start for r in cal.minute] == [0]
    assert schedule.spec.time_zone_name == "Asia/Shanghai"
