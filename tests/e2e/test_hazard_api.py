"""Both hazard paths end to end through the HTTP API on the dev server + PostgreSQL (test policy pack):
the event store, the projection and the workflow query agree at every step."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from harness.apptest import App, running_app
from store.events import read_stream, verify_chain
from store.schema import cases, notifications
from tests.support.poll import settled_history_length

REGION = "500107"
ENT = "ENT-001"


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url) as a:
        yield a


def later(seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


REPORT = {
    "title": "配电箱未接地 distribution box not earthed",
    "description": "found in the weekly self-inspection",
    "enterprise_id": ENT,
    "region": REGION,
    "industry": "manufacturing",
    "location": "workshop 2",
    "source": "self_inspection",
    "category": "unsafe_condition",
    "risk_color": "yellow",
}


class Driver:
    """Sends commands as the people of the case and checks the three read sides agree after each one."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.ent = app.token("ent-user", "enterprise", REGION, ENT)
        self.inspector = app.token("insp-1", "inspector", REGION)
        self.inspector2 = app.token("insp-2", "inspector", REGION)
        self.supervisor = app.token("sup-1", "supervisor", "500100")
        self.expert = app.token("exp-1", "expert", REGION)
        self.auditor = app.token("aud-1", "auditor", "500000")
        self.latencies: list[float] = []

    async def report(self, body: dict[str, Any], who: dict[str, str]) -> dict[str, Any]:
        t = time.perf_counter()
        r = await self.app.http.post("/v1/hazards", json=body, headers=who)
        self.latencies.append(time.perf_counter() - t)
        assert r.status_code == 201, r.text
        return r.json()

    async def do(self, case_id: str, who: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        t = time.perf_counter()
        r = await self.app.http.post(f"/v1/hazards/{case_id}/commands", json=body, headers=who)
        self.latencies.append(time.perf_counter() - t)
        assert r.status_code == 200, (body["type"], r.text)
        out = r.json()
        await self.agree(case_id, out["case"])
        return out["case"]

    async def agree(self, case_id: str, case: dict[str, Any]) -> None:
        app = self.app
        projected = (await app.http.get(f"/v1/hazards/{case_id}", headers=self.auditor)).json()
        events = (await app.http.get(f"/v1/hazards/{case_id}/events", headers=self.auditor)).json()["events"]
        async with app.engine.connect() as conn:
            stream = await read_stream(conn, case_id)
            row = (
                await conn.execute(select(cases.c.version, cases.c.status).where(cases.c.id == case_id))
            ).one()
        assert verify_chain(stream) == []
        assert projected["version"] == case["version"] == len(events) == len(stream) == row.version
        assert projected["status"] == case["status"] == row.status
        if case["status"] not in ("closed", "cancelled"):
            live = (await app.http.get(f"/v1/hazards/{case_id}?consistent=true", headers=self.auditor)).json()
            assert live["version"] == case["version"] and live["status"] == case["status"]


async def test_general_hazard_from_self_inspection_to_write_off(app) -> None:
    d = Driver(app)
    case = await d.report(REPORT, d.ent)
    assert case["status"] == "reported"
    await d.agree(case["id"], case)
    hid = case["id"]
    case = await d.do(hid, d.inspector, {"type": "grade", "level": "general"})
    assert case["status"] == "rectifying" and case["level"] == "general"
    assert any(x["kind"] for x in case["deadlines"])
    case = await d.do(
        hid,
        d.ent,
        {
            "type": "submit_rectification",
            "summary": "earthing installed",
            "evidence": [{"uri": "s3://e/1.jpg", "sha256": "a" * 64}],
        },
    )
    assert case["status"] == "verifying"
    case = await d.do(
        hid,
        d.inspector,
        {"type": "review", "passed": False, "comment": "no test record", "new_deadline": later(120)},
    )
    assert case["status"] == "rectifying"
    case = await d.do(
        hid,
        d.ent,
        {
            "type": "submit_rectification",
            "summary": "tested",
            "evidence": [{"uri": "s3://e/2.pdf", "sha256": "b" * 64}],
        },
    )
    case = await d.do(hid, d.inspector2, {"type": "review", "passed": True, "comment": "ok"})
    assert case["status"] == "closed"
    result = await app.client.get_workflow_handle(hid).result()
    assert result["status"] == "closed"
    async with app.engine.connect() as conn:
        kinds = (
            (await conn.execute(select(notifications.c.kind).where(notifications.c.case_id == hid)))
            .scalars()
            .all()
        )
    assert kinds, "a closed loop notifies someone along the way"
    lat = sorted(d.latencies)
    print(
        f"\n[general] commands={len(lat)} p50={statistics.median(lat) * 1000:.1f}ms "
        f"p95={lat[int(0.95 * (len(lat) - 1))] * 1000:.1f}ms events={case['version']}"
    )


async def major_awaiting_review(d: Driver) -> str:
    """A major hazard reported, listed, planned, treated and assessed: awaiting its write-off review."""
    case = await d.report({**REPORT, "source": "inspection", "title": "可燃气体报警器失效"}, d.inspector)
    hid = case["id"]
    case = await d.do(
        hid,
        d.inspector,
        {
            "type": "grade",
            "level": "major",
            "basis": {"standard": "应急管理部令第10号", "clause": "第四条(二)"},
        },
    )
    assert case["status"] == "reported_major"
    case = await d.do(
        hid,
        d.supervisor,
        {
            "type": "list_for_supervision",
            "authority": "九龙坡区安委办",
            "deadline": later(540),
            "requirements": "replace detectors",
            "stop_work": "partial",
        },
    )
    assert case["status"] == "listed"
    plan = {
        "type": "submit_plan",
        "responsible": {"name": "张三", "phone": "13800000000"},
        "measures": ["replace 12 detectors", "interlock test"],
        "funds": {"amount": "85000", "source": "own"},
        "deadline": later(480),
        "contingency_plan": "evacuation plan v3",
    }
    case = await d.do(hid, d.ent, plan)
    assert case["status"] == "plan_submitted"
    case = await d.do(hid, d.supervisor, {"type": "decide_plan", "approved": True, "comment": "ok"})
    assert case["status"] == "treating"
    case = await d.do(
        hid,
        d.ent,
        {
            "type": "submit_rectification",
            "summary": "detectors replaced",
            "evidence": [{"uri": "s3://e/3.pdf", "sha256": "c" * 64}],
        },
    )
    assert case["status"] == "assessing"
    case = await d.do(
        hid,
        d.expert,
        {
            "type": "submit_assessment",
            "assessor": "李四",
            "organization": "重庆安评",
            "passed": True,
            "report_uri": "s3://r/1.pdf",
        },
    )
    assert case["status"] == "awaiting_review"
    return hid


async def test_major_hazard_listed_planned_treated_assessed_and_written_off(app) -> None:
    d = Driver(app)
    hid = await major_awaiting_review(d)
    case = await d.do(hid, d.supervisor, {"type": "review", "passed": True, "comment": "核销"})
    assert case["status"] == "closed"
    listed = (await app.http.get("/v1/hazards?status=closed&level=major", headers=d.supervisor)).json()
    assert hid in [c["id"] for c in listed["items"]]


async def test_bad_input_gets_its_documented_error_and_changes_nothing(app) -> None:
    d = Driver(app)
    case = await d.report(REPORT, d.ent)
    hid = case["id"]
    url = f"/v1/hazards/{hid}/commands"
    handle = app.client.get_workflow_handle(hid)
    before_history = await settled_history_length(handle)  # the record's telling comes behind the answer
    other_ent = app.token("ent-x", "enterprise", REGION, "ENT-999")
    other_region = app.token("insp-x", "inspector", "500108")
    attempts = [
        (d.inspector, {"type": "fly_to_the_moon"}, 422, "invalid_command"),
        (d.inspector, {"type": "grade"}, 422, "invalid_command"),
        (d.ent, {"type": "grade", "level": "general"}, 403, "forbidden"),
        (other_region, {"type": "grade", "level": "general"}, 403, "forbidden"),
        (other_ent, {"type": "submit_rectification", "summary": "x", "evidence": []}, 403, "forbidden"),
        (
            d.ent,
            {"type": "submit_rectification", "summary": "x", "evidence": []},
            409,
            "not_allowed_in_state",
        ),
        (d.inspector, {"type": "deadline_elapsed", "key": "x", "due_at": later(0)}, 403, "forbidden"),
        (d.auditor, {"type": "cancel", "reason": "audit"}, 403, "forbidden"),
    ]
    for who, body, status, code in attempts:
        r = await app.http.post(url, json=body, headers=who)
        assert (r.status_code, r.json().get("code")) == (status, code), (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    wrong_state = await app.http.post(
        url, json={"type": "review", "passed": True, "comment": ""}, headers=d.inspector
    )
    assert wrong_state.status_code == 409
    assert wrong_state.json()["case_status"] == "reported" and "grade" in wrong_state.json()["allowed"]
    assert len((await handle.fetch_history()).events) == before_history
    async with app.engine.connect() as conn:
        assert len(await read_stream(conn, hid)) == 1  # only the report


async def test_five_implementations_missing_are_named_at_submission(app) -> None:
    d = Driver(app)
    case = await d.report({**REPORT, "source": "inspection"}, d.inspector)
    hid = case["id"]
    await d.do(
        hid, d.inspector, {"type": "grade", "level": "major", "basis": {"standard": "s", "clause": "c"}}
    )
    await d.do(
        hid,
        d.supervisor,
        {
            "type": "list_for_supervision",
            "authority": "区安委办",
            "deadline": later(540),
            "requirements": "r",
            "stop_work": "none",
        },
    )
    r = await app.http.post(
        f"/v1/hazards/{hid}/commands",
        headers=d.ent,
        json={
            "type": "submit_plan",
            "responsible": {"name": "张三", "phone": "13800000000"},
            "measures": [],
            "funds": {"amount": "0", "source": ""},
            "deadline": later(480),
            "contingency_plan": "",
        },
    )
    assert r.status_code == 422, r.text
    text = str(r.json())
    for word in ("measures", "funds", "contingency"):
        assert word in text, (word, text)
    assert (await app.http.get(f"/v1/hazards/{hid}", headers=d.auditor)).json()["status"] == "listed"
