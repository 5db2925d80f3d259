"""A notice for an identified tip's reporter reaches them through their sealed contact, opened only in
the delivery step and shown nowhere but masked; an anonymous tip's stays `unroutable` (issue #20,
"Channels people use"). A real SMTP server (aiosmtpd), the real dev server and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
import structlog
from sqlalchemy import func, select, text

from harness.apptest import App, running_app
from notify.delivery import Deliverer, EmailChannel
from notify.outbox import OutboxDrainer
from store.schema import deliveries, reveal_log
from store.sealed import seal_identity
from store.sealing import KeyRing
from tests.integration.test_delivery import Mailbox
from tests.integration.test_delivery import smtp as smtp  # the fixture
from tests.support.delivery import one_notification, settle

CONTACT = "zhang.san@example.test"


@pytest.fixture
async def app(dev_env: Any, db_url: str) -> AsyncIterator[App]:
    async with running_app(dev_env.client, db_url) as a:
        yield a


@pytest.fixture
def logs() -> Iterator[list[dict[str, Any]]]:
    with structlog.testing.capture_logs() as captured:
        yield captured


def drainer(app: App, channels: list[Any]) -> OutboxDrainer:
    ring = KeyRing(app.settings.resolved_seal_key())
    deliverer = Deliverer(app.engine, channels, ring=ring, backoff=timedelta(milliseconds=20))
    return OutboxDrainer(app.engine, deliverer=deliverer)


async def rows(app: App) -> dict[str, Any]:
    async with app.engine.connect() as conn:
        return {r.case_id: r for r in await conn.execute(select(deliveries))}


async def test_an_identified_reporter_gets_the_feedback_by_mail_and_the_log_shows_a_mask(
    app: App, smtp: tuple[Mailbox, int], logs: list[dict[str, Any]]
) -> None:
    box, port = smtp
    ring = KeyRing(app.settings.resolved_seal_key())
    async with app.engine.begin() as conn:
        await seal_identity(conn, ring, "TP-NAMED", {"name": "张三", "contact": CONTACT})
        await seal_identity(conn, ring, "TP-PHONE", {"name": "李四", "contact": "13800138000"})
    for tip in ("TP-NAMED", "TP-PHONE", "TP-ANON"):
        await one_notification(app, "reporter", tip, tip)

    mail = EmailChannel("127.0.0.1", port, "hazardloop@test")
    d = drainer(app, [mail])

    async def all_settled() -> bool:
        got = await rows(app)
        return len(got) == 3 and all(r.status != "pending" for r in got.values())

    await settle(app, d, all_settled, "the reporters' deliveries")
    got = await rows(app)
    assert [to for to, _, _ in box.mails] == [CONTACT]  # delivered, to the sealed contact
    assert "TP-NAMED" in box.mails[0][1]
    named = got["TP-NAMED"]
    assert (named.status, named.channel, named.address) == ("delivered", "email", "z***@e***")
    phone = got["TP-PHONE"]
    assert phone.status == "failed_permanent" and "not an e-mail address" in phone.last_error
    assert "13800138000" not in phone.last_error and phone.address == "(sealed)"
    anon = got["TP-ANON"]
    assert anon.status == "unroutable" and "anonymous" in anon.last_error

    # the contact is nowhere else: not in any table's text, not in a log line, and not a reveal
    async with app.engine.connect() as conn:
        for table in ("deliveries", "notifications"):
            dump = (await conn.execute(text(f"SELECT string_agg(t::text, '|') FROM {table} t"))).scalar_one()
            assert CONTACT not in dump and "zhang" not in dump, table
        assert (await conn.execute(select(func.count()).select_from(reveal_log))).scalar_one() == 0
    assert logs and not any(CONTACT in str(entry) or "13800138000" in str(entry) for entry in logs)


async def test_without_a_mail_channel_an_identified_reporter_is_unroutable_with_the_reason(app: App) -> None:
    ring = KeyRing(app.settings.resolved_seal_key())
    async with app.engine.begin() as conn:
        await seal_identity(conn, ring, "TP-NOMAIL", {"name": "王五", "contact": CONTACT})
    await one_notification(app, "reporter", "TP-NOMAIL", "TP-NOMAIL")

    async def settled() -> bool:
        return "TP-NOMAIL" in await rows(app)

    await settle(app, drainer(app, []), settled, "the reporter's delivery row")
    row = (await rows(app))["TP-NOMAIL"]
    assert row.status == "unroutable" and "HAZARDLOOP_SMTP_HOST" in row.last_error
