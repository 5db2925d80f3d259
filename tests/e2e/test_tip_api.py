"""A tip's whole life through the HTTP API on the dev server + PostgreSQL (test policy pack), and the
confidentiality sweep: a planted reporter name and phone number appear nowhere but the sealed table.

Anonymous intake → claim-token status → triage → verification spawning a hazard → the hazard closed
with a fine → reward computed by the rules (15 % of the fine, at least 3,000) → approved → paid.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from temporalio.api.common.v1 import Payload

from harness.apptest import App, running_app
from notify.delivery import Deliverer, WebhookChannel
from notify.outbox import OutboxDrainer
from store.schema import metadata
from store.sealing import KeyRing
from tests.support.poll import eventually

REGION = "500107"
ENT = "ENT-TIP-1"
NAME = "柳如烟PLANTEDNAME"
PHONE = "13987654321"
PLANTED = (NAME, PHONE)


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url, webhook_allow_private=True) as a:  # local receiver
        yield a


class Officers:
    def __init__(self, app: App) -> None:
        self.app = app
        self.operator = app.token("op-1", "operator", REGION)
        self.inspector = app.token("insp-1", "inspector", REGION)
        self.supervisor = app.token("sup-1", "supervisor", "500100")
        self.enterprise = app.token("ent-1", "enterprise", REGION, ENT)
        self.expert = app.token("exp-1", "expert", REGION)
        self.auditor = app.token("aud-1", "auditor", "500000")
        self.responses: list[str] = []

    async def call(self, method: str, url: str, who: dict[str, str] | None, **kw: Any) -> httpx.Response:
        r = await self.app.http.request(method, url, headers=who or {}, **kw)
        self.responses.append(r.text)
        return r

    async def do(self, kind: str, case_id: str, who: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        r = await self.call("POST", f"/v1/{kind}/{case_id}/commands", who, json=body)
        assert r.status_code == 200, (body["type"], r.text)
        return dict(r.json()["case"])


def _payload_texts(node: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(node, dict):
        if "metadata" in node and "data" in node and isinstance(node["metadata"], dict):
            out.append(node)
        for v in node.values():
            _payload_texts(v, out)
    elif isinstance(node, list):
        for v in node:
            _payload_texts(v, out)


async def history_texts(app: App, workflow_id: str) -> list[str]:
    """The raw history as the server holds it, and every payload decoded with the codec."""
    history = await app.client.get_workflow_handle(workflow_id).fetch_history()
    raw = history.to_json()
    nodes: list[dict[str, Any]] = []
    _payload_texts(json.loads(raw), nodes)
    payloads = [
        Payload(
            metadata={k: base64.b64decode(v) for k, v in n["metadata"].items()},
            data=base64.b64decode(n["data"]),
        )
        for n in nodes
    ]
    codec = app.client.data_converter.payload_codec
    decoded = await codec.decode(payloads) if codec else payloads
    return [raw, *(p.data.decode("utf-8", "replace") for p in decoded)]


async def test_anonymous_tip_to_paid_reward_and_the_reporter_is_never_exposed(app, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    o = Officers(app)
    intake = {
        "channel": "web",
        "region": REGION,
        "enterprise_id": ENT,
        "content": "仓库消防通道被堵 fire exit of the warehouse blocked",
        "reporter": {"name": NAME, "contact": PHONE},
    }
    r = await o.call("POST", "/v1/tips", None, json=intake)
    assert r.status_code == 201, r.text
    tip_id, claim = r.json()["id"], r.json()["claim_token"]
    assert len(claim) >= 20

    r = await o.call("GET", f"/v1/tips/{tip_id}/status", {"X-Claim-Token": claim})
    assert r.status_code == 200 and r.json()["status"] == "received"
    r = await o.call("GET", f"/v1/tips/{tip_id}/status", {"X-Claim-Token": "not-the-token-at-all"})
    assert r.status_code == 403 and r.json()["code"] == "claim_token_mismatch"

    await o.do("tips", tip_id, o.operator, {"type": "triage", "in_scope": True})
    tip = await o.do(
        "tips",
        tip_id,
        o.inspector,
        {
            "type": "record_verification",
            "substantiated": True,
            "findings": "exit blocked by pallets, confirmed on site",
            "action": {
                "kind": "hazard",
                "title": "消防通道堵塞 blocked fire exit",
                "description": "pallets stored in the fire exit",
                "enterprise_id": ENT,
                "region": REGION,
                "industry": "warehousing",
                "location": "warehouse 3",
                "category": "unsafe_condition",
            },
        },
    )
    assert tip["status"] == "substantiated"
    hazard_id = f"{tip_id}-h"

    async def hazard_started() -> bool:
        return (await app.http.get(f"/v1/hazards/{hazard_id}", headers=o.auditor)).status_code == 200

    await eventually(hazard_started, "the spawned hazard")
    await o.do("tips", tip_id, o.inspector, {"type": "send_feedback", "text": "核查属实，已立案整改"})

    # the spawned hazard: graded, fined, rectified, reviewed by someone else, closed
    await o.do("hazards", hazard_id, o.inspector, {"type": "grade", "level": "general"})
    await o.do(
        "hazards",
        hazard_id,
        o.inspector,
        {
            "type": "impose_penalty",
            "amount": "50000",
            "decision_no": "渝九应急罚〔2026〕12号",
            "legal_basis": "安全生产法第一百零二条",
        },
    )
    await o.do(
        "hazards",
        hazard_id,
        o.enterprise,
        {"type": "submit_rectification", "summary": "pallets removed", "evidence": []},
    )
    hazard = await o.do(
        "hazards", hazard_id, o.supervisor, {"type": "review", "passed": True, "comment": "ok"}
    )
    assert hazard["status"] == "closed"

    async def reward_assessing() -> bool:
        r = await app.http.get(f"/v1/tips/{tip_id}", headers=o.auditor)
        return bool(r.json()["status"] == "reward_assessing")

    await eventually(reward_assessing, "the tip to learn its hazard closed with a fine")

    # the verifier may not approve: separation of duties; the amount comes from the rules
    tip = await o.do("tips", tip_id, o.inspector, {"type": "assess_reward", "comment": "15% of the fine"})
    r = await o.call("POST", f"/v1/tips/{tip_id}/commands", o.enterprise, json={"type": "approve_reward"})
    assert r.status_code == 403
    tip = await o.do("tips", tip_id, o.supervisor, {"type": "approve_reward", "comment": "approved"})
    assert tip["status"] == "reward_approved"
    tip = await o.do("tips", tip_id, o.operator, {"type": "record_payment", "reference": "PAY-2026-0001"})
    assert tip["status"] == "closed"

    r = await o.call("GET", f"/v1/tips/{tip_id}/status", {"X-Claim-Token": claim})
    status = r.json()
    assert status["status"] == "closed"
    assert status["reward"]["amount"] in ("7500", "7500.00")

    # reveal: refused to the auditor and the enterprise, allowed (and logged) to the supervisor
    for who in (o.auditor, o.enterprise, o.inspector):
        r = await app.http.post(f"/v1/tips/{tip_id}/reveal", headers=who, json={"reason": "reward payment"})
        assert r.status_code == 403, r.text
    r = await app.http.post(
        f"/v1/tips/{tip_id}/reveal", headers=o.supervisor, json={"reason": "reward payment"}
    )
    assert r.status_code == 200 and r.json()["reporter"]["name"] == NAME

    # what non-officers can ask for
    for who in (o.enterprise, o.expert, o.auditor):
        for url in (
            f"/v1/tips/{tip_id}",
            f"/v1/tips/{tip_id}/events",
            f"/v1/hazards/{hazard_id}",
            f"/v1/hazards/{hazard_id}/events",
            "/v1/tips",
            "/v1/hazards",
        ):
            await o.call("GET", url, who)
    assert (await app.http.get(f"/v1/tips/{tip_id}", headers=o.enterprise)).status_code in (403, 404)

    # ---- deliver every notification to people, through a real webhook receiver ----------------------
    received: list[str] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    roles = ("supervisor", "inspector", "operator", "expert")
    for code in (REGION, "500100"):
        persons = [{"role": r, "name": f"{r}-{code}", "webhook_url": url} for r in roles]
        r = await o.call("PUT", f"/v1/regions/{code}/contacts", o.supervisor, json={"persons": persons})
        assert r.status_code == 200, r.text
    persons = [{"role": "administrative", "name": "boss", "webhook_url": url}]
    body = {"region": REGION, "persons": persons}
    assert (
        await o.call("PUT", f"/v1/enterprises/{ENT}/responsible", o.supervisor, json=body)
    ).status_code == 200
    ring = KeyRing(app.settings.resolved_seal_key())
    deliverer = Deliverer(app.engine, [WebhookChannel(allow_private=True)], ring=ring)
    drainer = OutboxDrainer(app.engine, deliverer=deliverer)
    for _ in range(50):
        await drainer.drain_once()
        if not await drainer.deliverer.deliver_due():  # type: ignore[union-attr]
            break
    server.shutdown()
    assert len(received) > 5  # the officers and the enterprise were told along the way

    # ---- the sweep ------------------------------------------------------------------------------------
    places: dict[str, list[str]] = {"api responses": o.responses, "logs": [caplog.text], "webhooks": received}
    for wid in (tip_id, hazard_id):
        places[f"history {wid}"] = await history_texts(app, wid)
        desc = await app.client.get_workflow_handle(wid).describe()
        places[f"search attributes {wid}"] = [repr(desc.typed_search_attributes), repr(desc.raw_description)]
    async with app.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name == "sealed_identities":
                continue
            rows = (await conn.execute(text(f'SELECT t::text FROM "{table.name}" t'))).scalars().all()
            places[f"table {table.name}"] = list(rows)
        assert (await conn.execute(text("SELECT count(*) FROM notifications"))).scalar_one() > 0
        sealed = (await conn.execute(text("SELECT ciphertext FROM sealed_identities"))).scalars().all()
    assert sealed and all(NAME.encode() not in c and PHONE.encode() not in c for c in sealed)
    assert len(places["history " + tip_id]) > 1  # the payloads were found and decoded
    leaks = [(where, s) for where, texts in places.items() for t in texts for s in PLANTED if s in t]
    assert leaks == []


async def test_bad_intake_and_wrong_hands_are_refused_and_change_nothing(app) -> None:
    o = Officers(app)
    good = {"channel": "web", "region": REGION, "content": "blocked exit"}
    bad = [
        ({**good, "content": "x" * 10_001}, "content"),
        ({**good, "channel": "pigeon"}, "channel"),
        ({**good, "region": "50"}, "region"),
        ({**good, "reporter": {"name": "", "contact": "1"}}, "reporter"),
        ({**good, "unexpected": 1}, "unexpected"),
    ]
    for body, field in bad:
        r = await app.http.post("/v1/tips", json=body)
        assert r.status_code == 422, r.text
        assert field in r.text
    r = await app.http.post("/v1/tips", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    async with app.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM events"))).scalar_one() == 0
        assert (await conn.execute(text("SELECT count(*) FROM sealed_identities"))).scalar_one() == 0

    r = await app.http.post("/v1/tips", json=good)
    tip_id = r.json()["id"]
    for who, body in (
        (o.enterprise, {"type": "triage", "in_scope": True}),
        (o.expert, {"type": "triage", "in_scope": True}),
        (o.auditor, {"type": "triage", "in_scope": True}),
        (o.operator, {"type": "approve_reward"}),
    ):
        r = await app.http.post(f"/v1/tips/{tip_id}/commands", json=body, headers=who)
        assert r.status_code in (403, 409), (body, r.text)
    r = await app.http.post(f"/v1/tips/{tip_id}/reveal", headers=o.expert, json={"reason": "curious"})
    assert r.status_code == 403
    async with app.engine.connect() as conn:
        versions = (
            await conn.execute(text("SELECT count(*) FROM events WHERE stream_id = :s"), {"s": tip_id})
        ).scalar_one()
    assert versions == 1  # only the intake
