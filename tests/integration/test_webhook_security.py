"""Webhooks reach only public addresses, each carries its own endpoint's signature with a timestamp,
and the delivery log shows addresses only to the registry's administrators, masked (issue #15,
findings 5 and 10). A real HTTP receiver on loopback, the real dev server and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from harness.apptest import App, running_app
from notify.delivery import Deliverer, WebhookChannel
from notify.outbox import OutboxDrainer
from store.schema import contacts, deliveries
from store.sealing import KeyRing
from tests.support.delivery import Hooks, one_notification, secrets_by_path, settle, webhook_receiver

REGION, ENT = "500107", "ENT-HOOK"
INTERNAL = (
    "http://127.0.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://192.168.1.10:8080/hook",
    "http://100.64.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://localhost:8080/",  # a name resolving to loopback
    "http://2130706433/",  # 127.0.0.1 written as a number
)


@pytest.fixture
async def app(dev_env: Any, db_url: str) -> AsyncIterator[App]:
    """The rule as deployed: HAZARDLOOP_WEBHOOK_ALLOW_PRIVATE is off by default."""
    async with running_app(dev_env.client, db_url) as a:
        yield a


@pytest.fixture
async def local_app(dev_env: Any, db_url: str) -> AsyncIterator[App]:
    """Local receivers allowed, as the embedded default does."""
    async with running_app(dev_env.client, db_url, webhook_allow_private=True) as a:
        yield a


@pytest.fixture
def receiver() -> Iterator[tuple[Hooks, str]]:
    with webhook_receiver() as r:
        yield r


async def put_region(app: App, persons: list[dict[str, Any]]) -> httpx.Response:
    sup = app.token("sup-1", "supervisor", "500100")
    return await app.http.put(f"/v1/regions/{REGION}/contacts", headers=sup, json={"persons": persons})


def drainer(app: App, *, allow_private: bool) -> OutboxDrainer:
    ring = KeyRing(app.settings.resolved_seal_key())
    channels = [WebhookChannel(allow_private=allow_private)]
    return OutboxDrainer(app.engine, deliverer=Deliverer(app.engine, channels, ring=ring))


async def settled(app: App, case_id: str) -> bool:
    async with app.engine.connect() as conn:
        q = select(func.count()).where(deliveries.c.case_id == case_id, deliveries.c.status == "pending")
        total = select(func.count()).where(deliveries.c.case_id == case_id)
        return bool((await conn.execute(total)).scalar_one()) and not (await conn.execute(q)).scalar_one()


async def test_webhooks_to_internal_addresses_are_refused_at_registration(app: App) -> None:
    sup = app.token("sup-1", "supervisor", "500100")
    for url in INTERNAL:
        persons = [
            {"role": "supervisor", "name": "mail", "email": "m@gov.test"},
            {"role": "inspector", "name": "hook", "webhook_url": url},
        ]
        r = await put_region(app, persons)
        assert r.status_code == 422, (url, r.text)
        problem = r.json()
        assert problem["code"] == "invalid_request" and problem["field"] == "persons.1.webhook_url", url
        assert problem["rule"] == "public_webhook_target"
        assert "public internet addresses" in problem["detail"], problem["detail"]
        assert "HAZARDLOOP_WEBHOOK_ALLOW_PRIVATE" in problem["detail"]
    body = {"region": REGION, "persons": [{"role": "enterprise", "name": "x", "webhook_url": INTERNAL[1]}]}
    r = await app.http.put(f"/v1/enterprises/{ENT}/responsible", headers=sup, json=body)
    assert r.status_code == 422 and r.json()["field"] == "persons.0.webhook_url"
    async with app.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM contacts"))).scalar_one() == 0

    # public addresses go in; a name that does not resolve yet is checked again at every send
    persons = [
        {"role": "supervisor", "name": "public", "webhook_url": "https://8.8.8.8/hook"},
        {"role": "inspector", "name": "later", "webhook_url": "https://hooks.invalid/h"},
    ]
    r = await put_region(app, persons)
    assert r.status_code == 200, r.text
    assert all(p["webhook_secret"].startswith("whsec_") for p in r.json()["persons"])


async def test_hostile_webhook_urls_are_refused_without_a_server_error(app: App) -> None:
    for url in (
        "http://" + "a" * 70 + ".com/",  # a label too long to resolve
        "http://a\x00b.example/",
        "http://[::1/",
        "http://example.com:99999/",
        "http://[fe80::1%25eth0]/",
        "https://user@/",
    ):
        r = await put_region(app, [{"role": "supervisor", "name": "x", "webhook_url": url}])
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    twice = [{"role": "supervisor", "name": "x", "webhook_url": "https://8.8.8.8/a"}] * 2
    assert (await put_region(app, twice)).status_code == 200  # the same person twice: the last one


async def test_the_allow_setting_lets_a_local_receiver_be_registered(local_app: App) -> None:
    r = await put_region(local_app, [{"role": "supervisor", "name": "l", "webhook_url": INTERNAL[0]}])
    assert r.status_code == 200, r.text


async def test_a_target_refused_at_send_time_fails_permanently_and_is_never_requested(
    app: App, receiver: tuple[Hooks, str]
) -> None:
    """Entries that name an internal target now (written before the rule, or a name since re-pointed to
    loopback) fail at the send, with the reason, and no request leaves."""
    hooks, url = receiver
    port = url.rsplit(":", 1)[1]
    targets = {
        "by-name": f"http://localhost:{port}/by-name",
        "loopback": f"{url}/loopback",
        "metadata": "http://169.254.169.254/latest/meta-data/",
    }
    async with app.engine.begin() as conn:
        await conn.execute(
            contacts.insert(),
            [
                {"party_kind": "region", "party_id": REGION, "role": "supervisor", "name": name, **url_}
                for name, url_ in ((n, {"webhook_url": u}) for n, u in targets.items())
            ],
        )
    await one_notification(app, "supervisor", REGION, "HZ-SSRF")
    await settle(app, drainer(app, allow_private=False), lambda: settled(app, "HZ-SSRF"), "the refusals")
    async with app.engine.connect() as conn:
        rows = {r.recipient: r for r in await conn.execute(select(deliveries))}
    assert set(rows) == set(targets)
    for name, kind in (("by-name", "loopback"), ("loopback", "loopback"), ("metadata", "link-local")):
        row = rows[name]
        assert row.status == "failed_permanent" and row.attempts == 1, row
        assert "no request made" in row.last_error and kind in row.last_error, row.last_error
    assert hooks.raw == []


async def test_a_redirect_is_not_followed(local_app: App, receiver: tuple[Hooks, str]) -> None:
    hooks, url = receiver
    r = await put_region(local_app, [{"role": "supervisor", "name": "r", "webhook_url": f"{url}/redirect"}])
    assert r.status_code == 200, r.text
    await one_notification(local_app, "supervisor", REGION, "HZ-REDIR")
    d = drainer(local_app, allow_private=True)
    await settle(local_app, d, lambda: settled(local_app, "HZ-REDIR"), "the redirect's outcome")
    async with local_app.engine.connect() as conn:
        row = (await conn.execute(select(deliveries))).one()
    assert row.status == "failed_permanent" and "redirects are not followed" in row.last_error
    assert [p for p, _, _ in hooks.raw] == ["/redirect"]  # never /target


def expected_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    """Standard Webhooks, computed here independently of the code under test."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


async def test_each_endpoint_signs_with_its_own_secret_and_the_timestamp(
    local_app: App, receiver: tuple[Hooks, str]
) -> None:
    app = local_app
    hooks, url = receiver
    persons = [
        {"role": "supervisor", "name": "a", "webhook_url": f"{url}/a"},
        {"role": "supervisor", "name": "b", "webhook_url": f"{url}/b"},
    ]
    r = await put_region(app, persons)
    assert r.status_code == 200, r.text
    secrets = secrets_by_path(r.json()["persons"])
    assert set(secrets) == {"/a", "/b"} and secrets["/a"] != secrets["/b"]
    assert all(s.startswith("whsec_") and len(base64.b64decode(s[6:])) == 32 for s in secrets.values())

    # shown once: neither a read nor an unchanged write shows it again, and it is not stored in clear
    sup = app.token("sup-1", "supervisor", "500100")
    read = await app.http.get(f"/v1/regions/{REGION}/contacts", headers=sup)
    again = await put_region(app, persons)
    assert again.status_code == 200
    for resp in (read, again):
        assert "webhook_secret" not in resp.text and not any(s in resp.text for s in secrets.values())
    async with app.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT string_agg(t::text, '|') FROM contacts t"))).scalar_one()
    assert not any(s in stored or s[6:] in stored for s in secrets.values())

    await one_notification(app, "supervisor", REGION, "HZ-SIGN")
    sent = time.time()
    await settle(app, drainer(app, allow_private=True), lambda: settled(app, "HZ-SIGN"), "both deliveries")
    assert sorted(p for p, _, _ in hooks.raw) == ["/a", "/b"]
    for path, headers, body in hooks.raw:
        other = secrets["/b" if path == "/a" else "/a"]
        msg_id, ts, sig = headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"]
        assert msg_id == headers["x-hazardloop-delivery"] and msg_id.endswith(":webhook")
        assert abs(int(ts) - sent) < 60
        assert expected_signature(secrets[path], msg_id, ts, body) in sig.split()
        assert expected_signature(other, msg_id, ts, body) not in sig.split()
        assert expected_signature(secrets[path], msg_id, str(int(ts) - 600), body) not in sig.split()

    # a fresh secret on request, for that endpoint only
    rotated = await put_region(app, [{**persons[0], "new_webhook_secret": True}, persons[1]])
    assert rotated.status_code == 200, rotated.text
    fresh = secrets_by_path(rotated.json()["persons"])
    assert set(fresh) == {"/a"} and fresh["/a"] != secrets["/a"]


async def test_the_delivery_log_shows_addresses_only_to_administrators_and_masks_secrets(
    local_app: App, receiver: tuple[Hooks, str]
) -> None:
    app = local_app
    _, url = receiver
    hook = url.replace("http://", "http://alice:pa55word@") + "/hook?access_token=TOPSECRET123&kind=bot"
    r = await put_region(app, [{"role": "inspector", "name": "执法一", "webhook_url": hook}])
    assert r.status_code == 200, r.text
    ent = app.token("ent-1", "enterprise", REGION, ENT)
    report = {
        "title": "配电箱",
        "enterprise_id": ENT,
        "region": REGION,
        "source": "self_inspection",
        "category": "unsafe_condition",
    }
    r = await app.http.post("/v1/hazards", json=report, headers=ent)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]

    async def delivered() -> bool:
        async with app.engine.connect() as conn:
            done = deliveries.c.status == "delivered"
            q = select(func.count()).where(deliveries.c.case_id == case_id, done)
            return bool((await conn.execute(q)).scalar_one())

    await settle(app, drainer(app, allow_private=True), delivered, "the inspector's webhook")

    def webhook_deliveries(log: dict[str, Any]) -> list[dict[str, Any]]:
        return [d for n in log["notifications"] for d in n["deliveries"] if d["channel"] == "webhook"]

    seen = await app.http.get(f"/v1/hazards/{case_id}/notifications", headers=ent)
    assert seen.status_code == 200, seen.text
    assert webhook_deliveries(seen.json())  # the enterprise sees that it went out …
    for leak in ("TOPSECRET123", "pa55word", "alice", "127.0.0.1", "/hook"):  # … and not where
        assert leak not in seen.text, leak
    assert all(d["address"] is None for d in webhook_deliveries(seen.json()))

    for role, region in (("supervisor", "500100"), ("inspector", REGION), ("operator", REGION)):
        admin = await app.http.get(
            f"/v1/hazards/{case_id}/notifications", headers=app.token(f"{role}-1", role, region)
        )
        assert admin.status_code == 200, admin.text
        port = url.rsplit(":", 1)[1]
        assert {d["address"] for d in webhook_deliveries(admin.json())} == {
            f"http://***@127.0.0.1:{port}/hook?access_token=***&kind=***"
        }, role
        assert "TOPSECRET123" not in admin.text and "pa55word" not in admin.text
