"""An enterprise from three penalties to a closure proposal and a credit listing, end to end through the
HTTP API on the dev server + PostgreSQL (test policy pack): two major hazards of one enterprise (2 + 1
penalties) open its record, which proposes closing it (安全生产法 Art. 113 (一)); the supervisor lists it
as 安全生产严重失信主体 and the 联合惩戒 departments are told; who may read the record."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from domain.enterprise import record_id
from harness.apptest import App, running_app
from store.schema import notifications
from tests.support.poll import eventually

REGION = "500107"


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url) as a:
        yield a


def major_hazard(enterprise_id: str) -> dict[str, Any]:
    return {
        "title": "液氨储罐未设泄漏报警",
        "enterprise_id": enterprise_id,
        "region": REGION,
        "source": "inspection",
        "category": "unsafe_condition",
    }


async def command(app: App, path: str, who: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    r = await app.http.post(f"{path}/commands", json=body, headers=who)
    assert r.status_code == 200, (body["type"], r.text)
    return dict(r.json()["case"])


async def record_when(app: App, ent: str, who: dict[str, str], ready: Any, what: str) -> dict[str, Any]:
    """The enterprise's record view once `ready(view)` holds."""
    record: dict[str, Any] = {}

    async def seen() -> bool:
        r = await app.http.get(f"/v1/enterprises/{ent}/record", headers=who)
        if r.status_code != 200:
            return False
        record.update(r.json())
        return bool(ready(record))

    await eventually(seen, what)
    return record


async def test_three_penalties_on_two_major_hazards_lead_to_closure_proposal_and_listing(app: App) -> None:
    ent = f"ENT-{uuid.uuid4().hex[:8]}"
    inspector = app.token("insp-1", "inspector", REGION)
    supervisor = app.token("sup-1", "supervisor", "500100")
    hazards = []
    for _ in range(2):
        r = await app.http.post("/v1/hazards", json=major_hazard(ent), headers=inspector)
        assert r.status_code == 201, r.text
        hid = r.json()["id"]
        grade = {"type": "grade", "level": "major", "basis": {"standard": "s", "clause": "c"}}
        await command(app, f"/v1/hazards/{hid}", inspector, grade)
        hazards.append(hid)
    for i, hid in enumerate([hazards[0], hazards[0], hazards[1]]):
        penalty = {
            "type": "impose_penalty",
            "amount": "5000",
            "decision_no": f"D-{i}",
            "legal_basis": "Art. 102",
        }
        await command(app, f"/v1/hazards/{hid}", inspector, penalty)

    record = await record_when(
        app,
        ent,
        supervisor,
        lambda v: "decide_listing" in v["allowed_commands"],
        "the closure proposal on the enterprise record",
    )
    assert record["id"] == record_id(ent) and record["enterprise_id"] == ent and record["region"] == REGION
    assert [p["ground"] for p in record["closure"]] == ["一"]
    assert len(record["penalties"]) == 3 and sorted(record["open_major_hazards"]) == sorted(hazards)
    assert record["penalty_windows"] == {"PT300S": 3, "PT600S": 3}
    assert [c["cause"] for c in record["credit_causes"]] == ["closure_proposed"]

    listing = {"type": "decide_listing", "listed": True, "decision_no": "渝应急失信〔2026〕1号"}
    case = await command(app, f"/v1/enterprises/{record['id']}", supervisor, listing)
    assert case["listed"] and case["status"] == "listed" and case["listing"]["causes"] == ["closure_proposed"]
    assert "record_publication" in case["allowed_commands"]
    r = await app.http.get(f"/v1/enterprises/{ent}/record", headers=supervisor)
    assert r.json()["listed"] is True

    async with app.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(notifications.c.kind, notifications.c.recipient_role).where(
                    notifications.c.case_id == record["id"]
                )
            )
        ).all()
    kinds = {row.kind for row in rows}
    assert {"closure_proposal", "credit_listed", "joint_punishment"} <= kinds
    assert "department:market_regulation" in {row.recipient_role for row in rows}


async def open_record(app: App, inspector: dict[str, str]) -> str:
    """A new enterprise whose record its first (major) hazard opened; its id."""
    ent = f"ENT-{uuid.uuid4().hex[:8]}"
    r = await app.http.post("/v1/hazards", json=major_hazard(ent), headers=inspector)
    assert r.status_code == 201, r.text

    async def opened() -> bool:
        return (await app.http.get(f"/v1/enterprises/{ent}/record", headers=inspector)).status_code == 200

    await eventually(opened, "the enterprise record opened by its first hazard")
    return ent


async def test_who_reads_an_enterprise_record(app: App) -> None:
    inspector = app.token("insp-1", "inspector", REGION)
    ent = await open_record(app, inspector)
    allowed = [
        app.token("ent-1", "enterprise", REGION, ent),
        app.token("sup-1", "supervisor", "500100"),
        app.token("aud-1", "auditor", "000000"),
    ]
    refused = [
        app.token("ent-2", "enterprise", REGION, "ENT-OTHER"),
        app.token("exp-1", "expert", REGION),
        app.token("insp-9", "inspector", "500108"),
    ]
    for who in allowed:
        assert (await app.http.get(f"/v1/enterprises/{ent}/record", headers=who)).status_code == 200
    for who in refused:
        r = await app.http.get(f"/v1/enterprises/{ent}/record", headers=who)
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "forbidden"
        r = await app.http.get(f"/v1/enterprises/{record_id(ent)}", headers=who)
        assert r.status_code == 403, r.text
    r = await app.http.get("/v1/enterprises", headers=app.token("exp-1", "expert", REGION))
    assert r.status_code == 403 and r.json()["rule"] == "role", r.text
    r = await app.http.get("/v1/enterprises", headers=inspector)
    assert r.status_code == 200 and record_id(ent) in [c["id"] for c in r.json()["items"]]
    r = await app.http.get("/v1/enterprises/ENT-NONE/record", headers=inspector)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    for hostile in ("%00", "%E2%80%AE" * 3, "x" * 101, "..%2F..%2Fetc"):
        r = await app.http.get(f"/v1/enterprises/{hostile}/record", headers=inspector)
        assert r.status_code < 500, (hostile, r.status_code, r.text)
    r = await app.http.post(
        "/v1/enterprises",
        json={"enterprise_id": ent, "region": REGION},
        headers=app.token("sup-1", "supervisor", "500100"),
    )
    assert r.status_code == 403, r.text  # a record is opened by the system only


async def test_a_concealed_accident_reaches_the_record_as_a_listing_cause(app: App) -> None:
    """部令11: 瞒报 of an accident is a cause of the 严重失信主体名单; the incident tells its record."""
    ent = f"ENT-{uuid.uuid4().hex[:8]}"
    enterprise = app.token("ent-1", "enterprise", REGION, ent)
    supervisor = app.token("sup-1", "supervisor", "500100")
    occurred = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    incident = {
        "enterprise_id": ent,
        "region": REGION,
        "occurred_at": occurred,
        "incident_type": "industrial",
        "deaths": 1,
        "serious_injuries": 0,
        "direct_loss": "0",
        "description": "高处坠落",
    }
    r = await app.http.post("/v1/incidents", json=incident, headers=enterprise)
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    flag = {"type": "flag_concealment", "source": "tip", "note": "举报揭出瞒报"}
    await command(app, f"/v1/incidents/{iid}", supervisor, flag)

    what = "the concealment as a listing cause on the enterprise record"
    record = await record_when(app, ent, supervisor, lambda v: v["credit_causes"], what)
    assert [(c["cause"], c["case_id"]) for c in record["credit_causes"]] == [("concealed", iid)]
    assert record["closure"] == [] and "decide_listing" in record["allowed_commands"]
