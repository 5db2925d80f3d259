"""Notifications reach people through real channels: a real SMTP server (aiosmtpd) and a real HTTP
receiver on loopback, the real dev server and PostgreSQL, the outbox drainer and the deliverer."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text

from domain.enterprise import record_id
from harness.apptest import App, running_app
from notify.delivery import Deliverer, EmailChannel, WebhookChannel
from notify.outbox import OutboxDrainer
from runtime.embedded import free_port
from runtime.settings import REPO_ROOT
from store.schema import deliveries, notifications
from store.sealing import KeyRing
from tests.support.delivery import Hooks, one_notification, secrets_by_path, settle, webhook_receiver
from tests.support.poll import eventually

REGION, ENT = "500107", "ENT-DLV"


# ---- the receivers ---------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    refuse: set[str] = field(default_factory=set)
    mails: list[tuple[str, str, str]] = field(default_factory=list)  # (to, subject, body)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content)
        subject = str(make_header(decode_header(msg["Subject"])))
        body = msg.get_payload(decode=True).decode()
        for to in envelope.rcpt_tos:
            self.mails.append((to, subject, body))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def receiver() -> Iterator[tuple[Hooks, str]]:
    with webhook_receiver() as r:
        yield r


def quick_pack(tmp: Path) -> str:
    """The test pack with a 3-second explanation window, so an overdue hazard escalates within seconds."""
    text_ = (REPO_ROOT / "policies" / "test-fast.toml").read_text()
    text_ = text_.replace('id = "test-fast"', 'id = "test-fast-delivery"')
    text_ = text_.replace(
        '"hazard.explanation_due" = { value = "PT20S"', '"hazard.explanation_due" = { value = "PT3S"'
    )
    path = tmp / "test-fast-delivery.toml"
    path.write_text(text_)
    return str(path)


@pytest.fixture
async def app(dev_env, db_url, tmp_path) -> AsyncIterator[App]:
    async with running_app(
        dev_env.client, db_url, policy=quick_pack(tmp_path), webhook_allow_private=True
    ) as a:
        yield a


def deliverer(app: App, smtp_port: int, **kw: Any) -> Deliverer:
    channels = [EmailChannel("127.0.0.1", smtp_port, "hazardloop@test"), WebhookChannel(allow_private=True)]
    ring = KeyRing(app.settings.resolved_seal_key())
    return Deliverer(app.engine, channels, backoff=timedelta(milliseconds=20), ring=ring, **kw)


def later(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def register(app: App, hook_url: str) -> dict[str, str]:
    """The registry of the scenario; returns the webhook secrets it issued, by path."""
    sup = app.token("sup-1", "supervisor", "500100")
    r = await app.http.put(
        f"/v1/enterprises/{ENT}/responsible",
        headers=sup,
        json={
            "region": REGION,
            "persons": [
                {"role": "administrative", "name": "王厂长", "email": "boss@ent.test"},
                {"role": "supervisory", "name": "李安监", "email": "safety@ent.test"},
                {"role": "enterprise", "name": "张主任", "webhook_url": f"{hook_url}/ent"},
            ],
        },
    )
    assert r.status_code == 200, r.text
    secrets = secrets_by_path(r.json()["persons"])
    for code, persons in (
        (
            REGION,
            [
                {"role": "inspector", "name": "执法一", "email": "insp@gov.test"},
                {"role": "supervisor", "name": "区安委办", "email": "district@gov.test"},
            ],
        ),
        ("500100", [{"role": "supervisor", "name": "市安委办", "webhook_url": f"{hook_url}/city"}]),
    ):
        r = await app.http.put(f"/v1/regions/{code}/contacts", headers=sup, json={"persons": persons})
        assert r.status_code == 200, r.text
        secrets |= secrets_by_path(r.json()["persons"])
    return secrets


async def test_the_right_people_get_the_right_messages_through_mail_and_webhooks(app, smtp, receiver) -> None:
    box, port = smtp
    hooks, url = receiver
    hooks.secrets |= await register(app, url)
    drainer = OutboxDrainer(app.engine, deliverer=deliverer(app, port))
    ent = app.token("ent-1", "enterprise", REGION, ENT)
    insp = app.token("insp-1", "inspector", REGION)
    sup = app.token("sup-1", "supervisor", "500100")
    report = {
        "title": "液氨罐区",
        "enterprise_id": ENT,
        "region": REGION,
        "source": "self_inspection",
        "category": "unsafe_condition",
    }

    # a new major hazard, listed
    major = (await app.http.post("/v1/hazards", json=report, headers=ent)).json()["id"]
    for who, body in (
        (insp, {"type": "grade", "level": "major", "basis": {"standard": "s", "clause": "c"}}),
        (
            sup,
            {
                "type": "list_for_supervision",
                "authority": "区安委办",
                "deadline": later(500),
                "requirements": "r",
                "stop_work": "none",
            },
        ),
    ):
        assert (
            await app.http.post(f"/v1/hazards/{major}/commands", json=body, headers=who)
        ).status_code == 200
    # a general hazard that nears its deadline, goes overdue, and escalates without an explanation
    general = (await app.http.post("/v1/hazards", json={**report, "title": "配电箱"}, headers=ent)).json()[
        "id"
    ]
    r = await app.http.post(
        f"/v1/hazards/{general}/commands",
        json={"type": "grade", "level": "general", "deadline": later(11)},
        headers=insp,
    )
    assert r.status_code == 200, r.text

    def subjects(to: str, case: str) -> list[str]:
        return [s for t, s, _ in box.mails if t == to and case in s]

    async def everything_arrived() -> bool:
        city = [b for p, b, _, _ in hooks.got if p == "/city" and b["case_id"] == general]
        return (
            bool(city)
            and bool(subjects("boss@ent.test", general))
            and any("逾期" in s for s in subjects("safety@ent.test", general))
        )

    await settle(app, drainer, everything_arrived, "reminder, overdue and escalation deliveries")

    assert any("待办" in s for s in subjects("insp@gov.test", major))  # new hazard: grade it
    assert any("重大事故隐患" in s for s in subjects("district@gov.test", major))  # major: list it
    for to in ("boss@ent.test", "safety@ent.test"):  # the enterprise's 三个责任人 by mail …
        assert any("挂牌督办" in s for s in subjects(to, major))
        assert any("逾期" in s for s in subjects(to, general))
        # … but a reminder is the enterprise's own work: its 企业单位负责人 only (domain/notice_roles.py)
        assert not any("期限提醒" in s for s in subjects(to, general))
    ent_hooks = [b for p, b, _, _ in hooks.got if p == "/ent"]  # … and by webhook
    assert {b["kind"] for b in ent_hooks if b["case_id"] == general} >= {"reminder", "overdue"}
    city = [b for p, b, _, _ in hooks.got if p == "/city" and b["case_id"] == general]
    assert [b["kind"] for b in city] == ["escalation"]  # one level up, only the escalation
    assert hooks.got and all(ok for _, _, ok, _ in hooks.got)  # each signed with its endpoint's secret
    assert not [
        m for m in box.mails if m[0] == "insp@gov.test" and "逾期上报" in m[1]
    ]  # nobody else escalated to

    log = (await app.http.get(f"/v1/hazards/{general}/notifications", headers=sup)).json()["notifications"]
    overdue = [n for n in log if n["kind"] == "overdue" and n["recipient_role"] == "enterprise_responsible"]
    assert overdue and {(d["channel"], d["status"]) for d in overdue[0]["deliveries"]} == {
        ("email", "delivered"),
        ("webhook", "delivered"),
    }
    # the log says which of the 三个责任人 each delivery went to
    assert {(d["recipient"], d["contact_role"]) for d in overdue[0]["deliveries"]} == {
        ("王厂长", "administrative"),
        ("李安监", "supervisory"),
        ("张主任", "enterprise"),
    }
    reminders = [n for n in log if n["kind"] == "reminder"]
    assert reminders and [d["contact_role"] for d in reminders[0]["deliveries"]] == ["enterprise"]
    other = app.token("ent-x", "enterprise", REGION, "ENT-OTHER")
    assert (await app.http.get(f"/v1/hazards/{general}/notifications", headers=other)).status_code == 403


async def test_a_receiver_failing_twice_then_succeeding_gets_exactly_one_delivery(
    app, smtp, receiver
) -> None:
    _, port = smtp
    hooks, url = receiver
    sup = app.token("sup-1", "supervisor", "500100")
    persons = [{"role": "supervisor", "name": "flaky", "webhook_url": f"{url}/flaky"}]
    assert (
        await app.http.put(f"/v1/regions/{REGION}/contacts", headers=sup, json={"persons": persons})
    ).status_code == 200
    hooks.fail_first["/flaky"] = 2
    await one_notification(app, "supervisor", REGION, "HZ-FLAKY")
    drainer = OutboxDrainer(app.engine, deliverer=deliverer(app, port))

    async def delivered() -> bool:
        async with app.engine.connect() as conn:
            row = (
                (await conn.execute(select(deliveries).where(deliveries.c.case_id == "HZ-FLAKY")))
                .mappings()
                .one_or_none()
            )
        return row is not None and row["status"] == "delivered"

    await settle(app, drainer, delivered, "the third attempt")
    for _ in range(3):  # nothing more goes out afterwards
        await drainer.drain_once()
        await drainer.deliverer.deliver_due()  # type: ignore[union-attr]
    assert hooks.failed == ["/flaky", "/flaky"]
    assert [p for p, *_ in hooks.got] == ["/flaky"]
    async with app.engine.connect() as conn:
        row = (
            (await conn.execute(select(deliveries).where(deliveries.c.case_id == "HZ-FLAKY")))
            .mappings()
            .one()
        )
    assert row["attempts"] == 3 and row["last_error"] is None


async def test_a_permanently_failing_address_is_recorded_and_does_not_block_others(
    app, smtp, receiver
) -> None:
    box, port = smtp
    _hooks, url = receiver
    box.refuse.add("nobody@gov.test")
    sup = app.token("sup-1", "supervisor", "500100")
    persons = [
        {"role": "supervisor", "name": "gone", "email": "nobody@gov.test"},
        {"role": "supervisor", "name": "moved", "webhook_url": f"{url}/gone"},
        {"role": "supervisor", "name": "present", "email": "present@gov.test"},
    ]
    assert (
        await app.http.put(f"/v1/regions/{REGION}/contacts", headers=sup, json={"persons": persons})
    ).status_code == 200
    await one_notification(app, "supervisor", REGION, "HZ-PERM")
    await one_notification(app, "inspector", "500199", "HZ-NOBODY")  # nobody registered there
    drainer = OutboxDrainer(app.engine, deliverer=deliverer(app, port))

    async def settled() -> bool:
        async with app.engine.connect() as conn:
            pending = (
                await conn.execute(text("SELECT count(*) FROM deliveries WHERE status = 'pending'"))
            ).scalar_one()
            total = (await conn.execute(text("SELECT count(*) FROM deliveries"))).scalar_one()
        return total == 4 and pending == 0

    await settle(app, drainer, settled, "every delivery settled")
    async with app.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    deliveries.c.recipient,
                    deliveries.c.channel,
                    deliveries.c.status,
                    deliveries.c.attempts,
                    deliveries.c.last_error,
                ).order_by(deliveries.c.id)
            )
        ).all()
    by_name = {r.recipient: r for r in rows}
    assert by_name["gone"].status == "failed_permanent" and "550" in by_name["gone"].last_error
    assert by_name["gone"].attempts == 1  # a refusal is not retried
    assert by_name["moved"].status == "failed_permanent" and "410" in by_name["moved"].last_error
    assert by_name["present"].status == "delivered"
    assert by_name["inspector@500199"].status == "unroutable"
    assert [m[0] for m in box.mails] == ["present@gov.test"]


async def test_commands_do_not_wait_for_a_hung_mail_server(app) -> None:
    """An SMTP server that accepts connections and never answers: deliveries hang, commands do not."""
    hung = await asyncio.start_server(lambda r, w: asyncio.sleep(3600), "127.0.0.1", 0)
    port = hung.sockets[0].getsockname()[1]
    sup = app.token("sup-1", "supervisor", "500100")
    ent = app.token("ent-1", "enterprise", REGION, ENT)
    persons = [{"role": "inspector", "name": "insp", "email": "insp@gov.test"}]
    assert (
        await app.http.put(f"/v1/regions/{REGION}/contacts", headers=sup, json={"persons": persons})
    ).status_code == 200
    slow = Deliverer(
        app.engine,
        [EmailChannel("127.0.0.1", port, "hazardloop@test", timeout=30)],
        backoff=timedelta(seconds=1),
    )
    drainer = OutboxDrainer(app.engine, deliverer=slow)
    stop = asyncio.Event()
    running = asyncio.create_task(drainer.run(stop, idle_interval=0.05))
    report = {
        "title": "t",
        "enterprise_id": ENT,
        "region": REGION,
        "source": "self_inspection",
        "category": "unsafe_act",
    }

    async def stuck() -> int:
        async with app.engine.connect() as conn:
            q = "SELECT count(*) FROM deliveries WHERE status = 'pending' AND attempts >= 1"
            return int((await conn.execute(text(q))).scalar_one())

    try:
        assert (await app.http.post("/v1/hazards", json=report, headers=ent)).status_code == 201
        for _ in range(200):  # bounded: the drainer claims the first delivery and hangs in SMTP
            if await stuck():
                break
            await asyncio.sleep(0.05)
        assert await stuck() >= 1
        ids = []
        for _ in range(5):  # while it hangs, every command is answered
            r = await app.http.post("/v1/hazards", json=report, headers=ent)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        async with app.engine.connect() as conn:
            delivered = (
                await conn.execute(text("SELECT count(*) FROM deliveries WHERE status = 'delivered'"))
            ).scalar_one()
        assert len(ids) == 5 and await stuck() >= 1 and delivered == 0
    finally:
        stop.set()
        running.cancel()
        hung.close()


async def test_registry_csv_import_is_idempotent_and_reports_bad_rows(app, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from runtime.settings import get_settings
    from starter.cli import app as cli_app

    monkeypatch.setenv("HAZARDLOOP_DATABASE_URL", str(app.engine.url.render_as_string(hide_password=False)))
    monkeypatch.setenv("HAZARDLOOP_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(
        "party_kind,party_id,region,role,name,department,email,webhook_url\n"
        "enterprise,ENT-CSV,500107,administrative,王厂长,,boss@ent.test,\n"
        "enterprise,ENT-CSV,500107,technical,刘工,,,https://hooks.test/t\n"
        "region,500107,,supervisor,区安委办,安委办,district@gov.test,\n"
        "region,5001,,supervisor,bad region,,x@gov.test,\n"
        "enterprise,ENT-CSV,500107,cook,nobody,,c@ent.test,\n"
        "region,500107,,inspector,no channel,,,\n"
        "region,500107,,expert,metadata,,,http://169.254.169.254/latest/meta-data/\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    try:
        for run in range(2):
            res = await asyncio.to_thread(
                runner.invoke, cli_app, ["registry", "import", str(csv_file), "--json"]
            )
            assert res.exit_code == 1, res.output
            report = json.loads(res.output)
            assert report["imported"] == 3 and [e["line"] for e in report["failed"]] == [5, 6, 7, 8]
            assert "link-local" in report["failed"][-1]["error"]  # an internal target is refused
            # the webhook's own secret is printed by the import that issued it, never again
            issued = [(s["line"], s["webhook_secret"][:6]) for s in report["webhook_secrets"]]
            assert issued == ([(3, "whsec_")] if run == 0 else [])
        async with app.engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM contacts"))).scalar_one() == 3
        sup = app.token("sup-1", "supervisor", "500100")
        got = (await app.http.get("/v1/enterprises/ENT-CSV/responsible", headers=sup)).json()
        assert sorted(p["role"] for p in got["persons"]) == ["administrative", "technical"]
    finally:
        get_settings.cache_clear()


async def test_registry_writes_are_checked_and_bad_bodies_refused(app) -> None:
    far = app.token("sup-9", "supervisor", "510000")
    ent_other = app.token("ent-x", "enterprise", REGION, "ENT-OTHER")
    sup = app.token("sup-1", "supervisor", "500100")
    body = {"region": REGION, "persons": [{"role": "administrative", "name": "王", "email": "w@ent.test"}]}
    assert (
        await app.http.put(f"/v1/enterprises/{ENT}/responsible", headers=far, json=body)
    ).status_code == 403
    assert (
        await app.http.put(f"/v1/enterprises/{ENT}/responsible", headers=ent_other, json=body)
    ).status_code == 403
    bad = {"region": REGION, "persons": [{"role": "chef", "name": "王", "email": "w@ent.test"}]}
    r = await app.http.put(f"/v1/enterprises/{ENT}/responsible", headers=sup, json=bad)
    assert r.status_code == 422 and "chef" in r.text
    unreachable = {"persons": [{"role": "supervisor", "name": "x"}]}
    assert (
        await app.http.put(f"/v1/regions/{REGION}/contacts", headers=sup, json=unreachable)
    ).status_code == 422
    async with app.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM contacts"))).scalar_one() == 0


async def test_a_credit_listing_reaches_the_registered_department(app, smtp, receiver) -> None:
    """联合惩戒: a department registered at the enterprise's region (role `department:<code>`) receives
    the enterprise's credit listing by its webhook; one registered nowhere stays `unroutable`."""
    _box, port = smtp
    hooks, url = receiver
    ent = f"ENT-{uuid.uuid4().hex[:8]}"
    sup = app.token("sup-1", "supervisor", "500100")
    persons = [
        {"role": "department:market_regulation", "name": "区市场监管局", "webhook_url": f"{url}/market"}
    ]
    r = await app.http.put(f"/v1/regions/{REGION}/contacts", headers=sup, json={"persons": persons})
    assert r.status_code == 200, r.text
    hooks.secrets |= secrets_by_path(r.json()["persons"])
    r = await app.http.put(
        f"/v1/regions/{REGION}/contacts",
        headers=sup,
        json={"persons": [{**persons[0], "role": "department:"}]},
    )
    assert r.status_code == 422, r.text

    incident = {
        "enterprise_id": ent,
        "region": REGION,
        "occurred_at": later(-300),
        "incident_type": "industrial",
        "deaths": 1,
        "serious_injuries": 0,
        "direct_loss": "0",
        "description": "高处坠落",
    }
    r = await app.http.post(
        "/v1/incidents", json=incident, headers=app.token("ent-1", "enterprise", REGION, ent)
    )
    assert r.status_code == 201, r.text
    flag = {"type": "flag_concealment", "source": "tip", "note": "举报揭出瞒报"}
    r = await app.http.post(f"/v1/incidents/{r.json()['id']}/commands", json=flag, headers=sup)
    assert r.status_code == 200, r.text
    rid = record_id(ent)

    async def cause_found() -> bool:
        r = await app.http.get(f"/v1/enterprises/{rid}", headers=sup)
        return r.status_code == 200 and "decide_listing" in r.json()["allowed_commands"]

    await eventually(cause_found, "the concealment as a listing cause")
    listing = {"type": "decide_listing", "listed": True, "decision_no": "渝应急失信〔2026〕9号"}
    r = await app.http.post(f"/v1/enterprises/{rid}/commands", json=listing, headers=sup)
    assert r.status_code == 200, r.text

    drainer = OutboxDrainer(app.engine, deliverer=deliverer(app, port))

    async def department_told() -> bool:
        return any(p == "/market" and b["case_id"] == rid for p, b, _, _ in hooks.got)

    await settle(app, drainer, department_told, "the listing at the registered department")
    got = [(b["kind"], ok) for p, b, ok, _ in hooks.got if p == "/market"]
    assert got == [("joint_punishment", True)]
    async with app.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(deliveries.c.recipient, deliveries.c.status)
                .join(notifications, notifications.c.id == deliveries.c.notification_id)
                .where(notifications.c.case_id == rid, notifications.c.kind == "joint_punishment")
            )
        ).all()
    status = {row.recipient: row.status for row in rows}
    assert status["区市场监管局"] == "delivered"
    assert status[f"department:taxation@{REGION}"] == "unroutable"
