"""Strict numbers and dates at the HTTP API (a boolean, a numeric string, non-ASCII digits, 1e400, a
negative count, year 1 are 422 naming the field, and change nothing), and a tip's claim-token hash kept out
of every read that leaves the service (/events, the audit trail, the audit export — whose bundle still
verifies offline)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from audit.export import verify_bundle
from harness.apptest import App, running_app
from runtime.temporal_client import data_converter
from starter.api.tips import claim_hash

REGION, ENT = "500107", "ENT-STRICT"
AN_HOUR_AGO = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
INCIDENT = {
    "enterprise_id": ENT,
    "region": REGION,
    "type": "hazardous_chemicals",
    "deaths": 0,
    "serious_injuries": 1,
    "direct_loss": "25000",
    "description": "液氨泄漏 ammonia leak",
    "occurred_at": AN_HOUR_AGO,
}
HAZARD = {
    "title": "配电箱未接地",
    "enterprise_id": ENT,
    "region": REGION,
    "source": "self_inspection",
    "category": "unsafe_condition",
}

# the events of the cases under test: an enterprise's record hears of accepted commands by signal and
# records them on its own stream a moment later, so it is left out (a refused request never reaches it)
COUNT_CASE_EVENTS = "SELECT count(*) FROM events WHERE kind <> 'enterprise'"


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url) as a:
        yield a


async def events_total(app: App) -> int:
    async with app.engine.connect() as conn:
        return int((await conn.execute(text(COUNT_CASE_EVENTS))).scalar_one())


def as_json(body: dict[str, Any], **raw: str) -> bytes:
    """`body` as JSON text with some values spliced in verbatim (1e400 is not a Python float)."""
    doc = json.dumps({**body, **dict.fromkeys(raw, "@@")}, ensure_ascii=False)
    for v in raw.values():
        doc = doc.replace('"@@"', v, 1)
    return doc.encode()


async def test_numbers_and_dates_are_strict_and_a_refusal_names_the_field(app) -> None:
    ent = {**app.token("ent-1", "enterprise", REGION, ENT), "Content-Type": "application/json"}
    r = await app.http.post("/v1/hazards", json=HAZARD, headers=ent)
    assert r.status_code == 201, r.text
    hid = r.json()["id"]
    before = await events_total(app)
    refused = [
        ("/v1/incidents", as_json(INCIDENT, deaths="true"), "deaths"),
        ("/v1/incidents", as_json(INCIDENT, deaths='"3"'), "deaths"),
        ("/v1/incidents", as_json(INCIDENT, deaths='"３"'), "deaths"),
        ("/v1/incidents", as_json(INCIDENT, deaths="1e400"), "deaths"),
        ("/v1/incidents", as_json(INCIDENT, deaths="2.5"), "deaths"),
        ("/v1/incidents", as_json(INCIDENT, serious_injuries="-1"), "serious_injuries"),
        ("/v1/incidents", as_json(INCIDENT, direct_loss="true"), "direct_loss"),
        ("/v1/incidents", as_json(INCIDENT, direct_loss='"２５０００"'), "direct_loss"),
        ("/v1/incidents", as_json(INCIDENT, direct_loss='"٢٥"'), "direct_loss"),
        ("/v1/incidents", as_json(INCIDENT, direct_loss="1e400"), "direct_loss"),
        ("/v1/incidents", as_json(INCIDENT, direct_loss="-5"), "direct_loss"),
        ("/v1/incidents", as_json(INCIDENT, occurred_at='"0001-01-01T00:00:00Z"'), "occurred_at"),
        ("/v1/incidents", as_json(INCIDENT, occurred_at="1700000000"), "occurred_at"),
        ("/v1/hazards", as_json(HAZARD, discovered_at='"0001-01-01T00:00:00+08:00"'), "discovered_at"),
        (f"/v1/hazards/{hid}/commands", b'{"type": "grade", "level": "general", "deadline": '
         b'"9999-12-31T00:00:00Z"}', "deadline"),
    ]  # fmt: skip
    inspector = {**app.token("insp-1", "inspector", REGION), "Content-Type": "application/json"}
    for url, content, field in refused:
        who = inspector if url.endswith("/commands") else ent
        r = await app.http.post(url, content=content, headers=who)
        assert r.status_code == 422, (content, r.status_code, r.text)
        problem = r.json()
        assert problem["code"] == "invalid_command" and problem["field"] == field, (content, problem)
    assert await events_total(app) == before
    # the plain forms still work: JSON numbers, money as a decimal string, an ISO date-time
    r = await app.http.post("/v1/incidents", content=as_json(INCIDENT, deaths="1"), headers=ent)
    assert r.status_code == 201, r.text


async def test_the_claim_token_hash_stays_out_of_events_trail_and_export(app) -> None:
    r = await app.http.post("/v1/tips", json={"channel": "web", "region": REGION, "content": "夜间违规动火"})
    assert r.status_code == 201, r.text
    tid, token = r.json()["id"], r.json()["claim_token"]
    secret = claim_hash(token)
    async with app.engine.connect() as conn:  # the store keeps it: the status check needs it
        stored = await conn.execute(text("SELECT data::text FROM events WHERE stream_id = :id"), {"id": tid})
        assert secret in stored.scalar_one()
    auditor = app.token("aud-1", "auditor", "110000")
    events = await app.http.get(f"/v1/tips/{tid}/events", headers=app.token("sup-1", "supervisor", "500100"))
    assert events.status_code == 200, events.text
    assert secret not in events.text and "claim_token_hash" not in events.text
    trail = await app.http.get(f"/v1/tips/{tid}/audit", headers=auditor)
    assert trail.status_code == 200, trail.text
    assert secret not in trail.text and "claim_token_hash" not in trail.text
    exported = await app.http.get(f"/v1/tips/{tid}/audit/export", headers=auditor)
    assert exported.status_code == 200, exported.text
    assert secret not in exported.text
    bundle = exported.json()
    assert bundle["events"][0]["data"]["claim_token_hash"] is None
    assert bundle["events"][0]["redacted"] == ["claim_token_hash"]
    report = await verify_bundle(bundle, data_converter(app.settings))
    assert report.ok, [f.model_dump() for f in report.findings]
    # the reporter still follows the tip with the token
    status = await app.http.get(f"/v1/tips/{tid}/status", headers={"X-Claim-Token": token})
    assert status.status_code == 200, status.text
