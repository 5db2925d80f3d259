"""Idempotency-Key through the HTTP API (dev server + PostgreSQL): a retry gets the first answer, whatever
the case's state; the key reused for another body, by another user or with another reporter is 409
`idempotency_key_reused` and changes nothing; an anonymous tip's retry gets the same id and claim token."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from harness.apptest import App, running_app

REGION, ENT = "500107", "ENT-IDEM"
REPORT = {
    "title": "消防通道堵塞 fire lane blocked",
    "enterprise_id": ENT,
    "region": REGION,
    "source": "self_inspection",
    "category": "unsafe_condition",
}
RECTIFIED = {
    "type": "submit_rectification",
    "summary": "lane cleared",
    "evidence": [{"uri": "s3://e/1.jpg", "sha256": "a" * 64}],
}
TIP = {"channel": "web", "region": REGION, "content": "仓库夜间违规动火 hot work at night in the store"}


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url) as a:
        yield a


async def event_count(app: App, case_id: str) -> int:
    async with app.engine.connect() as conn:
        n = await conn.execute(text("SELECT count(*) FROM events WHERE stream_id = :id"), {"id": case_id})
        return int(n.scalar_one())


async def post(app: App, url: str, body: Any, who: dict[str, str], key: str | None = None) -> httpx.Response:
    headers = {**who, **({"Idempotency-Key": key} if key else {})}
    return await app.http.post(url, json=body, headers=headers)


async def graded_hazard(app: App) -> str:
    r = await post(app, "/v1/hazards", REPORT, app.token("ent-1", "enterprise", REGION, ENT))
    assert r.status_code == 201, r.text
    hid = str(r.json()["id"])
    r = await post(app, f"/v1/hazards/{hid}/commands", {"type": "grade", "level": "general"}, inspector(app))
    assert r.status_code == 200, r.text
    return hid


def inspector(app: App, n: int = 1) -> dict[str, str]:
    return app.token(f"insp-{n}", "inspector", REGION)


async def test_a_command_key_reused_with_another_body_is_409_and_applies_nothing(app) -> None:
    hid = await graded_hazard(app)
    ent = app.token("ent-1", "enterprise", REGION, ENT)
    url = f"/v1/hazards/{hid}/commands"
    first = await post(app, url, RECTIFIED, ent, key="K-1")
    assert first.status_code == 200, first.text
    before = await event_count(app, hid)
    r = await post(app, url, {**RECTIFIED, "summary": "something else"}, ent, key="K-1")
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["code"] == "idempotency_key_reused" and problem["field"] == "Idempotency-Key", problem
    assert await event_count(app, hid) == before
    # the same request again still answers what it first answered
    again = await post(app, url, RECTIFIED, ent, key="K-1")
    assert again.status_code == 200 and again.json() == first.json(), again.text


async def test_a_command_key_reused_by_another_user_is_409(app) -> None:
    hid = await graded_hazard(app)
    url = f"/v1/hazards/{hid}/commands"
    body = {"type": "order_stop_work", "scope": "partial", "reason": "lane blocked during shift"}
    first = await post(app, url, body, inspector(app, 1), key="K-2")
    assert first.status_code == 200, first.text
    before = await event_count(app, hid)
    r = await post(app, url, body, inspector(app, 2), key="K-2")
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused", r.text
    assert "another user" in r.json()["detail"]
    assert await event_count(app, hid) == before


async def test_a_retried_final_command_answers_its_first_result_after_the_case_closed(app) -> None:
    hid = await graded_hazard(app)
    url = f"/v1/hazards/{hid}/commands"
    r = await post(app, url, RECTIFIED, app.token("ent-1", "enterprise", REGION, ENT))
    assert r.status_code == 200, r.text
    review = {"type": "review", "passed": True, "comment": "ok"}
    first = await post(app, url, review, inspector(app, 2), key="K-final")
    assert first.status_code == 200 and first.json()["case"]["status"] == "closed", first.text
    await app.client.get_workflow_handle(hid).result()  # the workflow has completed
    again = await post(app, url, review, inspector(app, 2), key="K-final")
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    # a new command on the closed case is still refused, and the key reused for another body too
    r = await post(app, url, review, inspector(app, 2), key="K-other")
    assert r.status_code == 409 and r.json()["code"] == "not_allowed_in_state", r.text
    r = await post(app, url, {**review, "comment": "changed"}, inspector(app, 2), key="K-final")
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused", r.text


async def test_a_long_idempotency_key_is_recorded_and_retried(app) -> None:
    ent = app.token("ent-1", "enterprise", REGION, ENT)
    key = "k" * 200  # the longest the header allows; the recorded command id holds 200 characters
    async with asyncio.timeout(60):
        first = await post(app, "/v1/hazards", REPORT, ent, key=key)
        assert first.status_code == 201, first.text
        hid = first.json()["id"]
        r = await post(
            app, f"/v1/hazards/{hid}/commands", {"type": "grade", "level": "general"}, inspector(app), key
        )
        assert r.status_code == 200, r.text
        again = await post(
            app, f"/v1/hazards/{hid}/commands", {"type": "grade", "level": "general"}, inspector(app), key
        )
        assert again.status_code == 200 and again.json() == r.json(), again.text
    assert await event_count(app, hid) == 2


async def test_an_anonymous_tip_retried_gets_the_same_id_and_claim_token(app) -> None:
    first = await app.http.post("/v1/tips", json=TIP, headers={"Idempotency-Key": "tip-1"})
    assert first.status_code == 201, first.text
    again = await app.http.post("/v1/tips", json=TIP, headers={"Idempotency-Key": "tip-1"})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["claim_token"] == first.json()["claim_token"]
    status = await app.http.get(
        f"/v1/tips/{first.json()['id']}/status", headers={"X-Claim-Token": again.json()["claim_token"]}
    )
    assert status.status_code == 200, status.text
    # another body under the key is another request
    r = await app.http.post("/v1/tips", json={**TIP, "content": "x"}, headers={"Idempotency-Key": "tip-1"})
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused", r.text
    # without a key every intake is a new tip with its own token
    a = await app.http.post("/v1/tips", json=TIP)
    b = await app.http.post("/v1/tips", json=TIP)
    assert a.json()["id"] != b.json()["id"] and a.json()["claim_token"] != b.json()["claim_token"]


async def test_an_operator_intake_retried_with_another_reporter_is_409_and_seals_nothing(app) -> None:
    operator = app.token("op-1", "operator", REGION)
    body = {**TIP, "channel": "hotline_12350", "reporter": {"name": "张三", "contact": "13800000001"}}
    first = await post(app, "/v1/tips", body, operator, key="call-1")
    assert first.status_code == 201, first.text
    tid = first.json()["id"]
    again = await post(app, "/v1/tips", body, operator, key="call-1")
    assert again.status_code == 200 and again.json()["id"] == tid, again.text
    other = {**body, "reporter": {"name": "李四", "contact": "13800000002"}}
    r = await post(app, "/v1/tips", other, operator, key="call-1")
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused", r.text
    anonymous = {k: v for k, v in body.items() if k != "reporter"}
    r = await post(app, "/v1/tips", anonymous, operator, key="call-1")
    assert r.status_code == 409 and r.json()["code"] == "idempotency_key_reused", r.text
    revealed = await post(app, f"/v1/tips/{tid}/reveal", {"reason": "reward payment"}, operator)
    assert revealed.status_code == 200, revealed.text
    assert revealed.json()["reporter"] == body["reporter"]
    assert await event_count(app, tid) == 1
