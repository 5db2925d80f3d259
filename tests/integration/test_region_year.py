"""The record per region per year (issue #18) in the annual report: accidents by grade (counted in the
Shanghai year they occurred), the one-vote veto with its causes, hazards listed and written off; written
through the real deciders and the real store activity, read back as a county reader sees it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from activities.contracts import EventData, RecordEventsInput, ReportRequest
from activities.reports import store_report
from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.decider import Context
from domain.hazard import HAZARD
from domain.incident import INCIDENT
from domain.timecalc import CN_TZ
from starter.api.report_routes import _scoped
from store.db import make_engine
from tests.unit import test_hazard_decider as hz
from tests.unit import test_incident_decider as inc

PACK = inc.PACK
YEAR = datetime(2026, 1, 1, tzinfo=CN_TZ)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CN_TZ)
ENT_108 = Actor(id="ent-108", role=Role.enterprise, region="500108", enterprise_id="ENT-108")
INSP_108 = Actor(id="insp-108", role=Role.inspector, region="500108")


class Stream:
    """One case decided step by step at past moments; its events recorded through the store activity."""

    def __init__(self, decider: Any, case_id: str, now: datetime) -> None:
        self.decider, self.case_id, self.now = decider, case_id, now
        self.state = decider.initial_state()
        self.batches: list[tuple[datetime, Actor, list[Any]]] = []

    def do(self, actor: Actor, body: dict[str, Any], after: timedelta = timedelta(minutes=10)) -> None:
        self.now += after
        ctx = Context(actor=actor, now=self.now, policy=PACK, case_id=self.case_id)
        events = self.decider.decide(self.state, self.decider.parse_command(body), ctx)
        for e in events:
            self.state = self.decider.evolve(self.state, e)
        self.batches.append((self.now, actor, events))

    async def record(self, store: StoreActivities) -> None:
        version = 0
        for at, actor, events in self.batches:
            await store.record_events(
                RecordEventsInput(
                    stream_id=self.case_id,
                    kind=self.decider.kind,
                    expected_version=version,
                    events=[EventData(type=e.type, data=e.model_dump(mode="json")) for e in events],
                    actor=actor,
                    occurred_at=at,
                    policy=PACK.ref,
                )
            )
            version += len(events)


def accident(case_id: str, actor: Actor, occurred: datetime, reported: datetime, **over: Any) -> Stream:
    s = Stream(INCIDENT, case_id, reported)
    region = actor.region
    body = {**inc.report(1), "occurred_at": occurred.isoformat(), "region": region, **over}
    s.do(actor, {**body, "enterprise_id": actor.enterprise_id or "ENT-108"}, timedelta(0))
    return s


def written_off_listing() -> Stream:
    s = Stream(HAZARD, "HZ-LIST", T0)
    s.do(hz.INSPECTOR, {**hz.REPORT, "source": "inspection"})
    s.do(hz.INSPECTOR, {"type": "grade", "level": "major", "basis": hz.BASIS})
    s.do(
        hz.SUPERVISOR,
        {
            "type": "list_for_supervision",
            "authority": "九龙坡区安委办",
            "deadline": (s.now + timedelta(days=120)).isoformat(),
            "requirements": "replace the valves",
            "stop_work": "partial",
        },
    )
    s.do(hz.ENTERPRISE, hz.plan(s))  # type: ignore[arg-type]  # a Stream has the `now` it reads
    s.do(hz.SUPERVISOR, {"type": "decide_plan", "approved": True, "comment": "ok"})
    s.do(hz.ENTERPRISE, {"type": "submit_rectification", "summary": "treated", "evidence": []})
    s.do(
        hz.EXPERT,
        {
            "type": "submit_assessment",
            "assessor": "a",
            "organization": "o",
            "passed": True,
            "report_uri": "u",
        },
    )
    s.do(hz.SUPERVISOR, {"type": "review", "passed": True, "comment": "核销"})
    assert s.state.status.value == "written_off"  # cn-national: the write-off is published before closing
    s.do(hz.SUPERVISOR, {"type": "publish_writeoff", "uri": "https://yjj.example.gov.cn/notice/1"})
    assert s.state.status.value == "closed"
    return s


async def test_the_annual_report_carries_the_record_per_region_and_year(db_url: str) -> None:
    engine = make_engine(db_url)
    store = StoreActivities(engine)
    streams = [
        written_off_listing(),
        accident("IN-A", inc.ENTERPRISE, T0, T0 + timedelta(minutes=10)),
        accident("IN-B", inc.ENTERPRISE, T0, T0 + timedelta(minutes=10), deaths=3),  # 较大
        accident("IN-C", INSP_108, T0, T0 + timedelta(minutes=10), reported_via="hospital"),  # 漏报
        accident("IN-D", ENT_108, T0, T0 + timedelta(hours=2)),  # 迟报
        # the year is Shanghai's: 23:30 on 31 December is the old year, 00:10 on 1 January the new one
        accident("IN-E", inc.ENTERPRISE, YEAR - timedelta(minutes=30), YEAR - timedelta(minutes=20)),
        accident("IN-F", ENT_108, YEAR + timedelta(minutes=10), YEAR + timedelta(minutes=20)),
    ]
    for s in streams:
        await s.record(store)

    year = YEAR.replace(year=2027)
    res = await store_report(engine, ReportRequest(kind="annual", start=YEAR, end=year, notify=False))
    async with engine.connect() as conn:
        data = (
            await conn.execute(text("SELECT data FROM reports WHERE id = :i"), {"i": res.report_id})
        ).scalar_one()
    grades = {"general": 0, "larger": 0, "major": 0, "especially_major": 0}
    assert data["region_year"] == [
        {
            "region": "500107",
            "year": 2026,
            "accidents": {**grades, "general": 1, "larger": 1},
            "deaths": 4,
            "veto": True,
            "veto_causes": {"larger_or_worse": ["IN-B"]},
            "listed": 1,
            "written_off": 1,
        },
        {
            "region": "500108",
            "year": 2026,
            "accidents": {**grades, "general": 3},
            "deaths": 3,
            "veto": True,
            "veto_causes": {"omitted": ["IN-C"], "late_report": ["IN-D"]},
            "listed": 0,
            "written_off": 0,
        },
    ]
    # a county reader sees its own region's record only
    county = Actor(id="sup-108", role=Role.supervisor, region="500108")
    assert [r["region"] for r in _scoped(data, county)["region_year"]] == ["500108"]
    # the year before: IN-E only, no veto
    before = await store_report(
        engine, ReportRequest(kind="annual", start=YEAR.replace(year=2025), end=YEAR, notify=False)
    )
    async with engine.connect() as conn:
        old = (
            await conn.execute(text("SELECT data FROM reports WHERE id = :i"), {"i": before.report_id})
        ).scalar_one()
    assert [(r["region"], r["year"], r["accidents"]["general"], r["veto"]) for r in old["region_year"]] == [
        ("500107", 2025, 1, False)
    ]
    await engine.dispose()
