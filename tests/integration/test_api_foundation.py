"""The HTTP API skeleton on the real servers: auth, jurisdiction, problem details, idempotency, paging.

Uses the test `ticket` kind so the foundation is checked independently of the domain deciders.
"""

from __future__ import annotations

import asyncio
import time

import jwt
import pytest

from harness.apptest import METRICS, running_app
from starter.service import register_kind
from tests.support.ticket_workflow import TicketWorkflow

register_kind("tickets", "ticket", "TK", "TicketWorkflow", "open")


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(
        dev_env.client, db_url, workflows=[TicketWorkflow], extra_passthrough=["tests.support.ticket"]
    ) as a:
        yield a


async def history_length(app, case_id: str) -> int:
    h = await app.client.get_workflow_handle(case_id).fetch_history()
    return len(h.events)


async def event_count(app, case_id: str) -> int:
    r = await app.http.get(f"/v1/tickets/{case_id}/events", headers=app.token("aud", "auditor", "500000"))
    return len(r.json()["events"])


async def test_health_readiness_metrics_and_openapi(app) -> None:
    assert (await app.http.get("/healthz")).json() == {"status": "ok"}
    r = await app.http.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json()["checks"] == {"postgres": "ok", "temporal": "ok", "keys": "ok"}
    metrics = (await app.http.get("/metrics", headers=METRICS)).text
    assert 'hazardloop_http_requests_total{method="GET",route="/readyz",status="200"} 1.0' in metrics
    # the request id: echoed when the caller sends one, minted otherwise; also on errors
    r = await app.http.get("/healthz", headers={"X-Request-ID": "trace-42"})
    assert r.headers["x-request-id"] == "trace-42"
    minted = (await app.http.get("/healthz")).headers["x-request-id"]
    assert len(minted) == 32 and minted != "trace-42"
    r = await app.http.get("/v1/tickets/TK-NONE")
    assert r.status_code == 401 and len(r.headers["x-request-id"]) == 32
    assert (
        'route="/v1/tickets/{case_id}",status="401"' in (await app.http.get("/metrics", headers=METRICS)).text
    )
    spec = (await app.http.get("/openapi.json")).json()
    assert "/v1/tickets/{case_id}/commands" in spec["paths"]


async def test_create_command_read_list_and_events(app) -> None:
    insp = app.token("insp-1", "inspector", "500107")
    r = await app.http.post("/v1/tickets", json={"region": "500107", "title": "leaking valve"}, headers=insp)
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["status"] == "open" and case["version"] == 1
    assert r.headers["location"] == f"/v1/tickets/{case['id']}"
    r = await app.http.post(
        f"/v1/tickets/{case['id']}/commands", json={"type": "note", "text": "checked"}, headers=insp
    )
    assert r.status_code == 200, r.text
    assert [e["type"] for e in r.json()["events"]] == ["noted"]
    assert r.json()["case"]["version"] == 2
    got = (await app.http.get(f"/v1/tickets/{case['id']}", headers=insp)).json()
    fresh = (await app.http.get(f"/v1/tickets/{case['id']}?consistent=true", headers=insp)).json()
    assert got["notes"] == fresh["notes"] == ["checked"]
    assert got["version"] == fresh["version"] == 2
    events = (await app.http.get(f"/v1/tickets/{case['id']}/events", headers=insp)).json()["events"]
    assert [(e["version"], e["type"]) for e in events] == [(1, "opened"), (2, "noted")]
    assert events[1]["prev_hash"] == events[0]["hash"]
    assert events[0]["actor"]["id"] == "insp-1"


async def test_a_command_answers_the_case_at_its_own_version(app) -> None:
    """Concurrent commands on one case: each answer shows the case as its own command left it, not as a
    later one did; a repeated Idempotency-Key, answered after later commands landed, gives the first
    answer again."""
    insp = app.token("insp-1", "inspector", "500107")
    case = (await app.http.post("/v1/tickets", json={"region": "500107", "title": "t"}, headers=insp)).json()
    url = f"/v1/tickets/{case['id']}/commands"

    async def note(i: int) -> dict:
        headers = {**insp, "Idempotency-Key": f"note-{i}"}
        r = await app.http.post(url, json={"type": "note", "text": f"n{i}"}, headers=headers)
        assert r.status_code == 200, r.text
        return dict(r.json())

    answers = await asyncio.gather(*(note(i) for i in range(6)))
    assert sorted(a["case"]["version"] for a in answers) == list(range(2, 8))
    for a in answers:
        (event,) = a["events"]
        assert a["case"]["version"] == event["version"]
        # exactly the notes recorded up to this command's version, its own last
        assert len(a["case"]["notes"]) == event["version"] - 1
        assert a["case"]["notes"][-1] == event["data"]["text"]
    # a repeated key, answered after later commands landed, shows the case as that command left it
    first = next(a for a in answers if a["case"]["version"] == 2)
    again = await note(int(first["events"][0]["data"]["text"][1:]))
    assert again == first


async def test_idempotency_key_starts_one_case(app) -> None:
    insp = {**app.token("insp-1", "inspector"), "Idempotency-Key": "batch-7-row-3"}
    body = {"region": "500107", "title": "once"}
    r1 = await app.http.post("/v1/tickets", json=body, headers=insp)
    r2 = await app.http.post("/v1/tickets", json=body, headers=insp)
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["id"] == r2.json()["id"]
    r3 = await app.http.post("/v1/tickets", json={**body, "title": "different"}, headers=insp)
    assert r3.status_code == 409 and r3.json()["code"] == "idempotency_key_reused"
    cmd = {**insp, "Idempotency-Key": "cmd-1"}
    n1 = await app.http.post(
        f"/v1/tickets/{r1.json()['id']}/commands", json={"type": "note", "text": "x"}, headers=cmd
    )
    n2 = await app.http.post(
        f"/v1/tickets/{r1.json()['id']}/commands", json={"type": "note", "text": "x"}, headers=cmd
    )
    assert n1.json() == n2.json()
    assert await event_count(app, r1.json()["id"]) == 2


async def test_list_is_scoped_filtered_and_cursor_paged(app) -> None:
    insp = app.token("insp-1", "inspector", "500107")
    other = app.token("insp-9", "inspector", "500108")
    ids = []
    for i in range(5):
        r = await app.http.post("/v1/tickets", json={"region": "500107", "title": f"t{i}"}, headers=insp)
        ids.append(r.json()["id"])
    await app.http.post("/v1/tickets", json={"region": "500108", "title": "elsewhere"}, headers=other)
    seen, cursor = [], None
    while True:
        q = "/v1/tickets?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await app.http.get(q, headers=insp)).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))  # newest first, only the inspector's district
    city = app.token("sup", "supervisor", "500100")
    assert len((await app.http.get("/v1/tickets?limit=100", headers=city)).json()["items"]) == 6
    r = await app.http.get("/v1/tickets?region=500108", headers=insp)
    assert r.status_code == 403 and r.json()["rule"] == "jurisdiction"
    r = await app.http.get("/v1/tickets?cursor=garbage", headers=insp)
    assert r.status_code == 422 and r.json()["field"] == "cursor"
    stats = (await app.http.get("/v1/stats/tickets?group_by=region,status", headers=city)).json()
    assert {(s["region"], s["status"], s["count"]) for s in stats["rows"]} == {
        ("500107", "open", 5),
        ("500108", "open", 1),
    }


def forged(app, **claims) -> dict[str, str]:
    base = {"sub": "x", "role": "inspector", "region": "500107", "exp": int(time.time()) + 60}
    base.update(claims)
    return {"Authorization": "Bearer " + jwt.encode(base, "not-the-secret-0123456789-0123456789", "HS256")}


async def test_bad_tokens_are_401_and_change_nothing(app) -> None:
    insp = app.token("insp-1", "inspector")
    case = (await app.http.post("/v1/tickets", json={"region": "500107", "title": "t"}, headers=insp)).json()
    before = await history_length(app, case["id"])
    expired = jwt.encode(
        {"sub": "x", "role": "inspector", "region": "500107", "exp": int(time.time()) - 5},
        app.settings.jwt_secret,
        "HS256",
    )
    for headers in (
        {},
        {"Authorization": "Basic abc"},
        forged(app),
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": "Bearer not.a.jwt"},
    ):
        r = await app.http.post(
            f"/v1/tickets/{case['id']}/commands", json={"type": "note", "text": "x"}, headers=headers
        )
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "unauthorized"
    assert await history_length(app, case["id"]) == before
    assert await event_count(app, case["id"]) == 1


async def test_forbidden_invalid_and_wrong_state_get_their_problem_and_change_nothing(app) -> None:
    insp = app.token("insp-1", "inspector")
    case = (await app.http.post("/v1/tickets", json={"region": "500107", "title": "t"}, headers=insp)).json()
    url = f"/v1/tickets/{case['id']}/commands"
    before = await history_length(app, case["id"])
    cases = [
        (app.token("insp-9", "inspector", "500108"), {"type": "note", "text": "x"}, 403, "forbidden"),
        (insp, {"type": "note"}, 422, "invalid_command"),
        (insp, {"type": "launch_rocket"}, 422, "invalid_command"),
        (insp, {"type": "note", "text": "forbidden"}, 422, "invalid_command"),
        (
            insp,
            {"type": "deadline_elapsed", "key": "expiry", "due_at": "2030-01-01T00:00:00Z"},
            403,
            "forbidden",
        ),
        (insp, {"type": "open", "region": "500107", "title": "x"}, 422, "invalid_command"),
    ]
    for headers, body, status, code in cases:
        r = await app.http.post(url, json=body, headers=headers)
        assert (r.status_code, r.json()["code"]) == (status, code), (body, r.text)
        assert r.json()["status"] == status and r.json()["detail"]
    r = await app.http.post(url, content=b"{not json", headers={**insp, "content-type": "application/json"})
    assert r.status_code == 422
    missing = await app.http.post(url, json={"type": "note"}, headers=insp)
    assert missing.json()["field"] == "text"
    r = await app.http.post("/v1/tickets/TK-NOPE/commands", json={"type": "note", "text": "x"}, headers=insp)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert await history_length(app, case["id"]) == before
    assert await event_count(app, case["id"]) == 1
    await app.http.post(url, json={"type": "close", "reason": "done"}, headers=insp)
    r = await app.http.post(url, json={"type": "note", "text": "late"}, headers=insp)
    assert r.status_code == 409
    assert r.json()["status"] == 409 and r.json()["case_status"] == "closed" and r.json()["allowed"] == []


async def test_codec_endpoint_decodes_for_auditors_only(app) -> None:
    from google.protobuf import json_format
    from temporalio.api.common.v1 import Payload

    from runtime.temporal_client import data_converter

    codec = data_converter(app.settings).payload_codec
    assert codec is not None
    [encrypted] = await codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b'"hello"')])
    body = {"payloads": [json_format.MessageToDict(encrypted)]}
    # encoded outside any workflow, so with no case label: decoded for national jurisdiction only
    r = await app.http.post("/codec/decode", json=body, headers=app.token("a1", "auditor", "000000"))
    assert r.status_code == 200, r.text
    decoded = json_format.ParseDict(r.json()["payloads"][0], Payload())
    assert decoded.data == b'"hello"'
    r = await app.http.post("/codec/decode", json=body, headers=app.token("i1", "inspector"))
    assert r.status_code == 403 and r.json()["rule"] == "role"
