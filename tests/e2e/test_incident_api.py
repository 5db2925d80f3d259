"""An incident through the HTTP API on the dev server + PostgreSQL (test policy pack): report with the
accident `type`, investigation by the city (较大), 一案双查 enforced, 批复, the corrective measures as child
hazards visible under /v1/hazards and closed there, the incident tracking them, publication."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from harness.apptest import App, running_app
from store.events import read_stream, verify_chain

REGION, ENT = "500107", "ENT-INC-E2E"


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url) as a:
        yield a


def at(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


class People:
    def __init__(self, app: App) -> None:
        self.app = app
        self.ent = app.token("ent-1", "enterprise", REGION, ENT)
        self.county = app.token("insp-county", "inspector", REGION)
        self.team = app.token("insp-city", "inspector", "500100")
        self.city = app.token("sup-city", "supervisor", "500100")
        self.auditor = app.token("aud-1", "auditor", "500000")

    async def do(self, kind: str, case_id: str, who: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        r = await self.app.http.post(f"/v1/{kind}/{case_id}/commands", json=body, headers=who)
        assert r.status_code == 200, (body["type"], r.text)
        return dict(r.json()["case"])

    async def get(self, kind: str, case_id: str) -> dict[str, Any]:
        r = await self.app.http.get(f"/v1/{kind}/{case_id}", headers=self.auditor)
        assert r.status_code == 200, r.text
        return dict(r.json())

    async def until(self, kind: str, case_id: str, test: Any, what: str) -> dict[str, Any]:
        for _ in range(300):  # bounded poll: children start and report back asynchronously
            r = await self.app.http.get(f"/v1/{kind}/{case_id}", headers=self.auditor)
            if r.status_code == 200 and test(r.json()):
                return dict(r.json())
            await asyncio.sleep(0.1)
        raise AssertionError(f"{kind} {case_id}: {what} never happened")


REPORT = {
    "enterprise_id": ENT,
    "region": REGION,
    "type": "hazardous_chemicals",
    "deaths": 3,
    "serious_injuries": 1,
    "direct_loss": "2500000",
    "description": "液氨泄漏 ammonia leak",
}


async def test_larger_incident_with_measures_as_child_hazards(app) -> None:
    p = People(app)
    r = await app.http.post("/v1/incidents", json={**REPORT, "occurred_at": at(-2)}, headers=p.ent)
    assert r.status_code == 201, r.text
    case = r.json()
    iid = case["id"]
    assert case["type"] == "hazardous_chemicals"
    assert case["grade"] == "larger" and case["investigating_level"] == "city"
    assert "one_vote_veto" in case["flags"] and "late_report" not in case["flags"]

    # the county may not run a city-level investigation
    r = await app.http.post(
        f"/v1/incidents/{iid}/commands",
        json={"type": "open_investigation", "lead_authority": "区应急局", "team": ["a"]},
        headers=p.county,
    )
    assert r.status_code == 403 and r.json()["rule"] == "investigating_authority", r.text
    await p.do(
        "incidents",
        iid,
        p.team,
        {"type": "open_investigation", "lead_authority": "市应急局", "team": ["王五"]},
    )

    report = {
        "type": "submit_report",
        "causes": ["relief valve corroded"],
        "enterprise_responsibility": ["no monthly check"],
        "regulatory_responsibility": [],
        "sanctions": [{"target": "safety manager", "measure": "fine"}],
        "measures": [
            {"title": "replace relief valves", "owner_enterprise_id": ENT, "deadline": at(200)},
            {"title": "valve inspection log", "owner_enterprise_id": ENT, "deadline": at(250)},
        ],
    }
    r = await app.http.post(f"/v1/incidents/{iid}/commands", json=report, headers=p.team)
    assert r.status_code == 422 and r.json()["field"] == "regulatory_responsibility", r.text
    assert (await p.get("incidents", iid))["status"] == "investigating"  # nothing changed

    report["regulatory_responsibility"] = ["district inspection missed the tank farm"]
    await p.do("incidents", iid, p.team, report)
    case = await p.do(
        "incidents", iid, p.city, {"type": "approve_report", "approved": True, "comment": "批复"}
    )
    assert case["status"] == "implementing"

    children = [f"{iid}-m1", f"{iid}-m2"]
    for hid in children:
        h = await p.until("hazards", hid, lambda v: v["status"] == "rectifying", "child hazard started")
        assert h["source"] == "incident" and h["origin"]["case_id"] == iid
    listed = (await app.http.get(f"/v1/hazards?region={REGION}", headers=p.auditor)).json()
    assert set(children) <= {c["id"] for c in listed["items"]}

    for hid in children:
        await p.do("hazards", hid, p.ent, {"type": "submit_rectification", "summary": "done", "evidence": []})
        await p.do("hazards", hid, p.county, {"type": "review", "passed": True, "comment": "verified"})
    case = await p.until(
        "incidents",
        iid,
        lambda v: [m["status"] for m in v["measures"]] == ["closed", "closed"],
        "measures closed",
    )
    assert [m["hazard_id"] for m in case["measures"]] == children
    assert case["prefill"]["measures_implemented"] is True

    await p.do(
        "incidents", iid, p.city, {"type": "record_sanction", "index": 0, "executed": True, "note": "fined"}
    )
    case = await p.do(
        "incidents",
        iid,
        p.city,
        {"type": "publish", "uri": "https://yjj.example/1", "copied_to": "九龙坡区综合执法局"},
    )
    assert case["publication"]["copied_to"] == "九龙坡区综合执法局"
    assert "evaluation_opens" in [d["kind"] for d in case["deadlines"]]

    by_grade = (await app.http.get("/v1/incidents?grade=larger", headers=p.city)).json()
    assert iid in [c["id"] for c in by_grade["items"]]
    async with app.engine.connect() as conn:
        stream = await read_stream(conn, iid)
    assert verify_chain(stream) == [] and stream[0].type == "incident_reported"


async def test_late_report_flagged_and_concealment_moves_the_investigation_up(app) -> None:
    p = People(app)
    r = await app.http.post(
        "/v1/incidents", json={**REPORT, "deaths": 1, "occurred_at": at(-60)}, headers=p.ent
    )
    case = r.json()
    assert case["grade"] == "general" and "late_report" in case["flags"]
    assert case["investigating_level"] == "county"
    case = await p.do(
        "incidents", case["id"], p.city, {"type": "flag_concealment", "source": "tip", "note": "n"}
    )
    assert "concealed" in case["flags"] and case["investigating_level"] == "city"
    r = await app.http.post(
        f"/v1/incidents/{case['id']}/commands",
        json={"type": "flag_concealment", "source": "tip", "note": "again"},
        headers=p.city,
    )
    assert r.status_code == 409
