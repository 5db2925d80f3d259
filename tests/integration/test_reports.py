"""Periodic reports: regenerated for any past period from the event store (a simulated quarter of
hazards written through the real decider, append and projector code), the schedules' calendars in
Asia/Shanghai, a triggered daily run end to end, and the reports API."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from temporalio.client import Client

from activities.contracts import EventData, RecordEventsInput, ReportRequest
from activities.reports import ReportActivities, store_report
from activities.store import StoreActivities
from domain.actors import SYSTEM, Actor, Role
from domain.decider import Context
from domain.hazard import HAZARD
from domain.policy import parse_pack
from domain.timecalc import CN_TZ
from harness.apptest import running_app
from harness.servers import unique_queue
from runtime.settings import REPO_ROOT
from starter.schedules import ensure_schedules, report_schedules
from store.db import make_engine
from store.reports import trend
from worker import build_worker
from workflows.reports import OverdueSweepWorkflow, ReportWorkflow, period

PACK = parse_pack((REPO_ROOT / "policies" / "cn-national.toml").read_text())
ENT = Actor(id="ent-1", role=Role.enterprise, region="500107", enterprise_id="E-1")
INSP = Actor(id="insp-1", role=Role.inspector, region="500100")
SUP = Actor(id="sup-1", role=Role.supervisor, region="500100")
Q3 = datetime(2026, 7, 1, tzinfo=CN_TZ)
Q4 = datetime(2026, 10, 1, tzinfo=CN_TZ)


async def drive(
    store: StoreActivities, case_id: str, steps: list[tuple[datetime, Actor, dict[str, Any]]]
) -> None:
    """Decide each command at its (past) moment and record the events through the real activity code."""
    state, version = HAZARD.initial_state(), 0
    for at, actor, command in steps:
        # fire the clocks that fell due before this step, as the workflow's timers would have
        while True:
            due = [d for d in HAZARD.deadlines(state) if d.due_at <= at]
            if not due:
                break
            d = due[0]
            state, version = await record(
                store,
                case_id,
                state,
                version,
                d.due_at,
                SYSTEM,
                {"type": "deadline_elapsed", "key": d.key, "due_at": d.due_at.isoformat()},
            )
        state, version = await record(store, case_id, state, version, at, actor, command)


async def record(
    store: StoreActivities,
    case_id: str,
    state: Any,
    version: int,
    at: datetime,
    actor: Actor,
    command: dict[str, Any],
) -> tuple[Any, int]:
    events = HAZARD.decide(
        state, HAZARD.parse_command(command), Context(actor=actor, now=at, policy=PACK, case_id=case_id)
    )
    if not events:
        return state, version
    await store.record_events(
        RecordEventsInput(
            stream_id=case_id,
            kind="hazard",
            expected_version=version,
            events=[EventData(type=e.type, data=e.model_dump(mode="json")) for e in events],
            actor=actor,
            occurred_at=at,
            policy=PACK.ref,
            command_id=None,
        )
    )
    for e in events:
        state = HAZARD.evolve(state, e)
    return state, version + len(events)


async def test_a_quarter_of_daily_reports_adds_up_to_the_quarterly_report(db_url) -> None:
    engine = make_engine(db_url)
    store = StoreActivities(engine)
    report = {
        "type": "report",
        "title": "t",
        "enterprise_id": "E-1",
        "source": "self_inspection",
        "category": "unsafe_act",
    }
    expected = {"new": 0, "rectified": 0, "overdue": 0}
    for i in range(30):
        day = Q3 + timedelta(days=3 * i, hours=10)
        region = "500107" if i % 2 else "500108"
        ent = (
            ENT
            if region == "500107"
            else Actor(id="ent-2", role=Role.enterprise, region=region, enterprise_id="E-1")
        )
        steps = [
            (day, ent, {**report, "region": region, "industry": "chemicals" if i % 3 else "mining"}),
            (day + timedelta(hours=1), INSP, {"type": "grade", "level": "general"}),  # deadline: 7 days
        ]
        if i % 3 != 2:  # two in three are rectified on day 5 and reviewed on day 6
            steps += [
                (day + timedelta(days=5), ent, {"type": "submit_rectification", "summary": "s"}),
                (day + timedelta(days=6), SUP, {"type": "review", "passed": True, "comment": "ok"}),
            ]
            if day + timedelta(days=6) < Q4:
                expected["rectified"] += 1
        else:  # the others go overdue on day 7 (fired when the next step comes)
            steps.append(
                (
                    day + timedelta(days=8),
                    SUP,
                    {"type": "order_stop_work", "scope": "partial", "reason": "overdue"},
                )
            )
            if day + timedelta(days=7, hours=1) < Q4:
                expected["overdue"] += 1
        expected["new"] += 1
        await drive(store, f"HZ-Q-{i:02d}", steps)

    dailies = []
    end = Q3.replace(hour=14, minute=50) + timedelta(days=1)
    while end <= Q4.replace(hour=14, minute=50):
        start, stop = end - timedelta(days=1), end
        res = await store_report(engine, ReportRequest(kind="daily", start=start, end=stop, notify=False))
        dailies.append(res.totals)
        end += timedelta(days=1)
    assert len(dailies) == 92
    first = await store_report(
        engine,
        ReportRequest(
            kind="daily",
            start=Q3 - timedelta(hours=9, minutes=10),
            end=Q3.replace(hour=14, minute=50),
            notify=False,
        ),
    )
    quarterly = await store_report(engine, ReportRequest(kind="quarterly", start=Q3, end=Q4, notify=True))
    q = quarterly.totals
    assert (q["new"], q["rectified"], q["overdue"]) == (
        expected["new"],
        expected["rectified"],
        expected["overdue"],
    )
    # the dailies tile the quarter (from 14:50 on 1 July; the first 14h50 is the `first` window)
    assert sum(d["new"] for d in dailies) + first.totals["new"] == q["new"]  # all reported inside the quarter
    for f in ("rectified", "overdue"):  # some of these fall in the 14h50 after the quarter's end
        assert sum(d[f] for d in dailies) + first.totals[f] >= q[f]
    assert q["rectification_rate"] == round(expected["rectified"] / expected["new"], 4)
    async with engine.connect() as conn:
        data = (await conn.execute(text("SELECT data FROM reports WHERE kind = 'quarterly'"))).scalar_one()
        events_new = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM events WHERE type = 'hazard_reported'"
                    " AND occurred_at >= :a AND occurred_at < :b"
                ),
                {"a": Q3, "b": Q4},
            )
        ).scalar_one()
        notified = (
            (
                await conn.execute(
                    text(
                        "SELECT recipient_party FROM notifications"
                        " WHERE kind = 'report' ORDER BY recipient_party"
                    )
                )
            )
            .scalars()
            .all()
        )
    assert events_new == q["new"]
    assert {r["region"]: r["new"] for r in data["by_region"]} == {"500107": 15, "500108": 15}
    assert {r["industry"] for r in data["by_industry"]} == {"chemicals", "mining"}
    assert (
        sum(data["status_at_end"].values()) == 30 and data["status_at_end"]["closed"] == expected["rectified"]
    )
    assert notified == ["500107", "500108"]  # each unit's supervisor is sent its figures
    # regenerating the same period gives the same figures and does not duplicate the report
    again = await store_report(engine, ReportRequest(kind="quarterly", start=Q3, end=Q4, notify=True))
    assert again.report_id == quarterly.report_id and again.totals == q
    await engine.dispose()


async def test_the_trend_counts_per_china_day_and_month_within_the_readers_jurisdiction(db_url) -> None:
    engine = make_engine(db_url)
    store = StoreActivities(engine)
    report = {"type": "report", "title": "t", "source": "self_inspection", "category": "unsafe_act"}
    ent2 = Actor(id="ent-2", role=Role.enterprise, region="500108", enterprise_id="E-2")
    day = Q3 + timedelta(hours=10)  # 1 July, 10:00 China time
    # 500107: reported on 1 July, rectified (passed review) on 7 July
    await drive(
        store,
        "HZ-T-1",
        [
            (day, ENT, {**report, "region": "500107", "enterprise_id": "E-1"}),
            (day + timedelta(hours=1), INSP, {"type": "grade", "level": "general"}),
            (day + timedelta(days=5), ENT, {"type": "submit_rectification", "summary": "s"}),
            (day + timedelta(days=6), SUP, {"type": "review", "passed": True, "comment": "ok"}),
        ],
    )
    # 500107: 00:30 on 3 July in China is still 2 July in UTC; the trend counts China days
    late = Q3 + timedelta(days=2, minutes=30)
    await drive(store, "HZ-T-2", [(late, ENT, {**report, "region": "500107", "enterprise_id": "E-1"})])
    # 500108: reported on 2 July, overdue on 9 July (its 7 days run out; fired when the next step comes)
    await drive(
        store,
        "HZ-T-3",
        [
            (day + timedelta(days=1), ent2, {**report, "region": "500108", "enterprise_id": "E-2"}),
            (day + timedelta(days=1, hours=1), INSP, {"type": "grade", "level": "general"}),
            (day + timedelta(days=20), SUP, {"type": "order_stop_work", "scope": "partial", "reason": "x"}),
        ],
    )
    end = Q3 + timedelta(days=30)
    district = Actor(id="i", role=Role.inspector, region="500107")
    async with engine.connect() as conn:
        mine = await trend(conn, Q3, end, "day", district.covers)
        city = await trend(conn, Q3, end, "day", SUP.covers)
        months = await trend(conn, Q3 - timedelta(days=181), Q4, "month", SUP.covers)
    await engine.dispose()

    def nonzero(series: list[dict[str, Any]]) -> dict[str, tuple[int, int, int]]:
        got = {r["bucket"]: (r["new"], r["rectified"], r["overdue"]) for r in series}
        return {b: v for b, v in got.items() if v != (0, 0, 0)}

    assert len(mine) == 30 and mine[0]["bucket"] == "2026-07-01" and mine[-1]["bucket"] == "2026-07-30"
    assert nonzero(mine) == {"2026-07-01": (1, 0, 0), "2026-07-03": (1, 0, 0), "2026-07-07": (0, 1, 0)}
    assert nonzero(city) == {
        "2026-07-01": (1, 0, 0),
        "2026-07-02": (1, 0, 0),
        "2026-07-03": (1, 0, 0),
        "2026-07-07": (0, 1, 0),
        "2026-07-09": (0, 0, 1),
    }
    assert [m["bucket"] for m in months] == [f"2026-{m:02d}-01" for m in range(1, 10)]
    assert nonzero(months) == {"2026-07-01": (3, 1, 1)}


def test_report_periods_follow_the_shanghai_calendar() -> None:
    run = datetime(2026, 10, 1, 9, 0, tzinfo=CN_TZ)
    assert period("quarterly", run) == (Q3, Q4)
    assert period("annual", datetime(2027, 1, 2, 9, 30, tzinfo=CN_TZ)) == (
        datetime(2026, 1, 1, tzinfo=CN_TZ),
        datetime(2027, 1, 1, tzinfo=CN_TZ),
    )
    assert period("quarterly", datetime(2027, 1, 1, 9, tzinfo=CN_TZ))[0] == datetime(
        2026, 10, 1, tzinfo=CN_TZ
    )
    start, end = period("daily", datetime(2026, 7, 5, 14, 50, 7, tzinfo=CN_TZ))
    assert (start, end) == (
        datetime(2026, 7, 4, 14, 50, tzinfo=CN_TZ),
        datetime(2026, 7, 5, 14, 50, tzinfo=CN_TZ),
    )


async def _cleanup(client: Client) -> None:
    for sid in [*report_schedules("q"), "hazardloop-history-archiver"]:
        try:
            await client.get_schedule_handle(sid).delete()
        except Exception:
            pass


async def test_schedules_fire_on_the_shanghai_calendar_and_a_triggered_daily_report_is_served(
    dev_env, db_url
) -> None:
    client = dev_env.client
    queue = unique_queue("reports")
    await _cleanup(client)
    try:
        ids = await ensure_schedules(client, queue)
        assert ids == await ensure_schedules(client, queue)  # idempotent
        daily = await client.get_schedule_handle("hazardloop-report-daily").describe()
        for t in daily.info.next_action_times[:3]:
            local = t.astimezone(CN_TZ)
            assert (local.hour, local.minute) == (14, 50)
        quarterly = await client.get_schedule_handle("hazardloop-report-quarterly").describe()
        nxt = quarterly.info.next_action_times[0].astimezone(CN_TZ)
        assert (nxt.month in (1, 4, 7, 10), nxt.day, nxt.hour) == (True, 1, 9)

        async with running_app(client, db_url) as app:
            reports = ReportActivities(app.engine)
            worker = build_worker(
                client,
                queue,
                StoreActivities(app.engine),
                workflows=[ReportWorkflow, OverdueSweepWorkflow],
                extra_activities=[reports.generate_report, reports.overdue_sweep],
            )
            async with worker:
                await client.get_schedule_handle("hazardloop-report-daily").trigger()
                sup = app.token("sup-1", "supervisor", "500000")
                items: list[dict[str, Any]] = []
                for _ in range(200):  # bounded: the scheduled run starts asynchronously
                    items = (await app.http.get("/v1/reports?kind=daily", headers=sup)).json()["items"]
                    if items:
                        break
                    await asyncio.sleep(0.1)
                assert len(items) == 1
                rid = items[0]["id"]
                got = (await app.http.get(f"/v1/reports/{rid}", headers=sup)).json()
                assert got["kind"] == "daily" and "totals" in got["data"]
                csv = await app.http.get(f"/v1/reports/{rid}?format=csv", headers=sup)
                assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
                assert csv.text.splitlines()[0].startswith("report,daily")
                ent = app.token("ent-1", "enterprise", "500107", "E-1")
                assert (await app.http.get("/v1/reports", headers=ent)).status_code == 403
                await client.get_schedule_handle("hazardloop-overdue-sweep").trigger()
                for _ in range(200):
                    sweeps = (await app.http.get("/v1/reports?kind=overdue_sweep", headers=sup)).json()[
                        "items"
                    ]
                    if sweeps:
                        break
                    await asyncio.sleep(0.1)
                sweep = (await app.http.get(f"/v1/reports/{sweeps[0]['id']}", headers=sup)).json()
                assert sweep["data"]["mismatches"] == []
    finally:
        await _cleanup(client)


@pytest.mark.parametrize("bad", [{"kind": "weekly"}, {"start": "yesterday"}])
def test_reports_generate_refuses_bad_input(bad: dict[str, str]) -> None:
    from typer.testing import CliRunner

    from starter.cli import app

    args = {"kind": "daily", "start": "2026-07-01T00:00+08:00", "end": "2026-07-02T00:00+08:00", **bad}
    res = CliRunner().invoke(
        app, ["reports", "generate", *[x for k, v in args.items() for x in (f"--{k}", v)]]
    )
    assert res.exit_code == 2
