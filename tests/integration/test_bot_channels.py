"""WeCom group bots and DingTalk custom robots get their own message shape and, for DingTalk, its
`timestamp`/`sign` query; their HTTP-200 refusals (`errcode` ≠ 0) are failures, retried when the
errcode is a rate limit (issue #20, "Channels people use"). A local HTTP server stands in for each bot
and checks what it gets independently of the code under test; the real dev server and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from harness.apptest import App, running_app
from notify.delivery import Deliverer, WebhookChannel
from notify.outbox import OutboxDrainer
from store.schema import contacts, deliveries
from store.sealing import KeyRing
from tests.support.delivery import one_notification, settle

REGION = "500107"
DING_SECRET = "SEC" + "5a3ecf88f2b3eb50db30ecfc00f53033ac909c99bf7f88fd612bda89d7f3a9dc"


@dataclass
class Bots:
    """Each path answers the errcodes queued for it (then 0); what arrived, with the checks' results."""

    answers: dict[str, list[int]] = field(default_factory=dict)
    got: list[tuple[str, dict[str, list[str]], dict[str, Any], bool]] = field(default_factory=list)


def expected_sign(secret: str, timestamp: str) -> str:
    """DingTalk's documented 加签: base64 HmacSHA256(secret, "{timestamp}\\n{secret}")."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


@pytest.fixture
def bots() -> Iterator[tuple[Bots, str]]:
    state = Bots()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            signed = False
            if "timestamp" in query:
                ts = query["timestamp"][0]
                fresh = abs(int(ts) / 1000 - time.time()) < 3600  # DingTalk allows an hour
                signed = fresh and hmac.compare_digest(query["sign"][0], expected_sign(DING_SECRET, ts))
            state.got.append((parts.path, query, body, signed))
            queued = state.answers.get(parts.path) or [0]
            errcode = queued.pop(0)
            answer = json.dumps({"errcode": errcode, "errmsg": "ok" if errcode == 0 else "refused"})
            self.send_response(200)  # both bots answer 200 also when they refuse
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture
async def local_app(dev_env: Any, db_url: str) -> AsyncIterator[App]:
    async with running_app(dev_env.client, db_url, webhook_allow_private=True) as a:
        yield a


@pytest.fixture
async def app(dev_env: Any, db_url: str) -> AsyncIterator[App]:
    async with running_app(dev_env.client, db_url) as a:
        yield a


def drainer(app: App, *, allow_private: bool = True) -> OutboxDrainer:
    ring = KeyRing(app.settings.resolved_seal_key())
    channels = [WebhookChannel(allow_private=allow_private)]
    deliverer = Deliverer(app.engine, channels, ring=ring, backoff=timedelta(0))
    return OutboxDrainer(app.engine, deliverer=deliverer)


async def put_region(app: App, persons: list[dict[str, Any]]) -> httpx.Response:
    sup = app.token("sup-1", "supervisor", "500100")
    return await app.http.put(f"/v1/regions/{REGION}/contacts", headers=sup, json={"persons": persons})


async def settled(app: App, case_id: str) -> bool:
    async with app.engine.connect() as conn:
        q = select(func.count()).where(deliveries.c.case_id == case_id, deliveries.c.status == "pending")
        total = select(func.count()).where(deliveries.c.case_id == case_id)
        return bool((await conn.execute(total)).scalar_one()) and not (await conn.execute(q)).scalar_one()


async def outcomes(app: App) -> dict[str, Any]:
    async with app.engine.connect() as conn:
        return {r.recipient: r for r in await conn.execute(select(deliveries))}


async def test_bots_get_their_own_shape_and_their_errcode_decides(
    local_app: App, bots: tuple[Bots, str]
) -> None:
    app = local_app
    state, url = bots
    state.answers = {
        "/wecom/limited": [45009],  # WeCom's rate limit, then accepted: retried
        "/wecom/refused": [93000],  # invalid webhook key: refused for good
        "/ding/limited": [130101],  # DingTalk's rate limit, then accepted
        "/ding/refused": [310000],  # sign, keyword or IP check failed
    }
    persons = [
        {"role": "supervisor", "name": name, "webhook_url": f"{url}/{path}?key=K-{name}", **kind}
        for name, path, kind in (
            ("wecom-ok", "wecom/ok", {"webhook_kind": "wecom"}),
            ("wecom-limited", "wecom/limited", {"webhook_kind": "wecom"}),
            ("wecom-refused", "wecom/refused", {"webhook_kind": "wecom"}),
            ("ding-ok", "ding/ok", {"webhook_kind": "dingtalk", "dingtalk_secret": DING_SECRET}),
            ("ding-limited", "ding/limited", {"webhook_kind": "dingtalk", "dingtalk_secret": DING_SECRET}),
            ("ding-refused", "ding/refused", {"webhook_kind": "dingtalk", "dingtalk_secret": DING_SECRET}),
            ("ding-keyword", "ding/keyword", {"webhook_kind": "dingtalk"}),  # secured by a keyword
        )
    ]
    r = await put_region(app, persons)
    assert r.status_code == 200, r.text
    assert "webhook_secret" not in r.text and DING_SECRET not in r.text  # no whsec_ issued, SEC not shown
    assert {p["name"]: p["webhook_kind"] for p in r.json()["persons"]}["ding-ok"] == "dingtalk"

    await one_notification(app, "supervisor", REGION, "HZ-BOT")
    await settle(app, drainer(app), lambda: settled(app, "HZ-BOT"), "every bot's outcome")

    rows = await outcomes(app)
    for name in ("wecom-ok", "wecom-limited", "ding-ok", "ding-limited", "ding-keyword"):
        assert rows[name].status == "delivered", (name, rows[name].last_error)
    assert rows["wecom-limited"].attempts == 2 and rows["ding-limited"].attempts == 2
    assert rows["wecom-ok"].attempts == 1 and rows["ding-ok"].attempts == 1
    for name, code in (("wecom-refused", "WeCom errcode 93000"), ("ding-refused", "DingTalk errcode 310000")):
        assert rows[name].status == "failed_permanent" and rows[name].attempts == 1, rows[name]
        assert rows[name].last_error == f"{code}: refused"

    for path, query, body, signed in state.got:
        assert "webhook-signature" not in body
        if path.startswith("/wecom"):
            assert body["msgtype"] == "markdown" and set(body) == {"msgtype", "markdown"}, body
            assert body["markdown"]["content"].startswith("**【隐患整改】逾期"), body
            assert "timestamp" not in query and query["key"][0].startswith("K-wecom")
        elif path == "/ding/keyword":
            assert "sign" not in query and "timestamp" not in query
        else:
            assert signed, (path, query)  # the sign a DingTalk robot with 加签 recomputes
            assert body["msgtype"] == "markdown" and body["markdown"]["title"].startswith("【隐患整改】")
            assert "#### 【隐患整改】逾期" in body["markdown"]["text"]
            assert query["key"][0].startswith("K-ding")  # the robot's own query is kept
    assert sorted(p for p, *_ in state.got).count("/wecom/limited") == 2


async def test_bot_endpoints_to_internal_addresses_are_refused_too(app: App, bots: tuple[Bots, str]) -> None:
    """SSRF protection is the same for every kind: at registration and again at the send."""
    state, url = bots
    for kind in ("wecom", "dingtalk"):
        r = await put_region(
            app, [{"role": "supervisor", "name": "b", "webhook_url": f"{url}/x", "webhook_kind": kind}]
        )
        assert r.status_code == 422 and r.json()["rule"] == "public_webhook_target", r.text
    async with app.engine.begin() as conn:  # written before the rule, or a name since re-pointed
        await conn.execute(
            contacts.insert(),
            [
                {
                    "party_kind": "region",
                    "party_id": REGION,
                    "role": "supervisor",
                    "name": kind,
                    "webhook_url": f"{url}/{kind}",
                    "webhook_kind": kind,
                }
                for kind in ("wecom", "dingtalk")
            ],
        )
    await one_notification(app, "supervisor", REGION, "HZ-BOT-SSRF")
    await settle(app, drainer(app, allow_private=False), lambda: settled(app, "HZ-BOT-SSRF"), "refusals")
    rows = await outcomes(app)
    assert {n: r.status for n, r in rows.items()} == {
        "wecom": "failed_permanent",
        "dingtalk": "failed_permanent",
    }
    assert all("no request made" in r.last_error for r in rows.values())
    assert state.got == []


async def test_a_dingtalk_secret_is_checked_and_only_for_dingtalk(local_app: App) -> None:
    for person, field_ in (
        ({"webhook_kind": "wecom", "dingtalk_secret": DING_SECRET}, "dingtalk_secret"),
        ({"webhook_kind": "dingtalk", "dingtalk_secret": "SEC\u0000x"}, "dingtalk_secret"),
        ({"webhook_kind": "feishu"}, "webhook_kind"),
    ):
        body = {"role": "supervisor", "name": "b", "webhook_url": "http://127.0.0.1:9/x", **person}
        r = await put_region(local_app, [body])
        assert r.status_code == 422 and field_ in r.text, r.text
    async with local_app.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(contacts))).scalar_one() == 0
