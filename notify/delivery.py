"""Delivery of notification records to people: resolve, fan out, send, retry, record
(docs/rules.md#notifications).

A notification names a role or responsibility at a party (`enterprise_responsible` of ENT-1,
`supervisor` of 500100). The responsibility registry (`contacts`) says who that is and how to reach
them. Each notification fans out into one `deliveries` row per person × channel, keyed by
`<notification id>:<contact id>:<channel>` so a retry never creates a second delivery. Rows are claimed
with a lease in a short transaction, sent outside it, and settled: delivered, retried with exponential
backoff, or `failed_permanent` (a refusal such as SMTP 5xx or HTTP 4xx, or too many attempts). A crash
between sending and settling re-sends after the lease (at least once); the idempotency key travels in
the webhook headers `webhook-id` and `X-Hazardloop-Delivery` and the e-mail `Message-ID` so receivers
can drop a repeat. A notification nobody is registered for is recorded as one `unroutable` delivery
row, not dropped. Each send reads the recipient's registry entry again (`deliveries.contact_id`): its
current address and, for a webhook, the endpoint's own signing secret (notify/webhooks.py).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib
import httpx
import structlog
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.notice_roles import responsible_roles
from domain.registry import specs
from notify.bots import (
    BOT_KINDS,
    PermanentFailure,
    TransientFailure,
    bot_body,
    check_answer,
    dingtalk_params,
)
from notify.metrics import record_delivery
from notify.webhooks import UnsafeTarget, pinned_address, signed_headers
from runtime.settings import Settings
from store.deliveries import add_deliveries, claim_due, contact, contacts_for, settle_delivery
from store.sealed import is_sealed, reporter_contact
from store.sealing import KeyRing, SealError
from store.webhook_secrets import endpoint_secret, stored_secret

log = structlog.get_logger("hazardloop.delivery")


TITLES: dict[str, tuple[str, str]] = {
    "action_required": ("待办", "Action required"),
    "reminder": ("期限提醒", "Deadline approaching"),
    "overdue": ("逾期", "Overdue"),
    "escalation": ("逾期上报", "Escalation"),
    "major_hazard": ("重大事故隐患", "Major hazard"),
    "listed": ("挂牌督办", "Listed for supervision"),
    "warning_list": ("警示曝光", "Warning list"),
    "publication_due": ("待公开", "Publication due"),
    "penalty": ("行政处罚", "Penalty"),
    "closure_proposal": ("提请关闭", "Closure proposal"),
    "stop_work": ("停产停业", "Stop-work order"),
    "closed": ("已销号", "Closed"),
    "cancelled": ("已撤销", "Cancelled"),
    "incident_reported": ("事故报告", "Accident reported"),
    "late_report": ("迟报", "Late report"),
    "listed_for_supervision": ("挂牌督办", "Listed for supervision"),
    "accountability": ("问责", "Accountability"),
    "report": ("统计报表", "Report"),
}
KIND_NAMES = {spec.name: (spec.label_zh, spec.name) for spec in specs()}


@dataclass(frozen=True)
class Recipient:
    contact_id: int
    name: str
    email: str | None
    webhook_url: str | None
    webhook_secret: str | None = None  # whsec_… (a DingTalk robot's SEC…), opened only to send
    webhook_kind: str = "webhook"  # the endpoint's adapter: webhook | wecom | dingtalk (notify/bots.py)
    role: str = ""  # the registry role reached, e.g. administrative


@dataclass(frozen=True)
class Message:
    idempotency_key: str
    subject: str
    body: str
    payload: dict[str, Any]


class DeliveryChannel(Protocol):
    name: str

    def address(self, r: Recipient) -> str | None: ...

    async def send(self, to: Recipient, message: Message) -> None: ...


REPORTER = "reporter"  # a tip's reporter, named by tip id only (domain/tip/notices.py)
SEALED = "(sealed)"  # the address of a reporter's delivery until it is sent: their contact stays sealed
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
UNROUTABLE_REPORTER = {
    False: "anonymous tip: the reporter follows it on its status page with the claim token",
    True: "no e-mail channel is configured (HAZARDLOOP_SMTP_HOST) to reach the reporter",
}


def mask_email(address: str) -> str:
    """`w***@e***`: enough to tell two addresses apart in the log, not to reach or recognise anyone."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def _scrub(text: str, hidden: str | None) -> str:
    return text.replace(hidden, mask_email(hidden)) if hidden else text


def render(n: Mapping[str, Any]) -> tuple[str, str]:
    """Subject in Chinese; body in Chinese, then the same in English. Notifications carry no tip-reporter
    data by construction."""
    zh, en = TITLES.get(str(n["kind"]), (str(n["kind"]), str(n["kind"])))
    kzh, ken = KIND_NAMES.get(str(n["case_kind"]), (str(n["case_kind"]), str(n["case_kind"])))
    data = n.get("data") or {}
    title = str(data.get("title") or "")
    due = n.get("due_at")
    due_text = due.isoformat() if isinstance(due, datetime) else (str(due) if due else "")
    note, status = str(n.get("subject") or ""), str(data.get("status") or "")
    case = f"{n['case_id']}" + (f" — {title}" if title else "")
    subject = f"【隐患整改】{zh}：{kzh} {n['case_id']}" + (f" {title}" if title else "")
    zh_lines = [zh, f"{kzh}：{case}", f"事项：{note}" * bool(note), f"期限：{due_text}" * bool(due_text)]
    zh_lines.append(f"状态：{status}" * bool(status))
    note_en = str(data.get("subject_en") or "")  # the subject's English rendition, when the notice has one
    en_lines = [f"{en}: {ken} {case}", f"{note_en}" * bool(note_en), f"due: {due_text}" * bool(due_text)]
    return subject, "\n".join([*filter(None, zh_lines), "", "---", *filter(None, en_lines)]) + "\n"


class EmailChannel:
    """E-mail over SMTP (aiosmtplib): plain, STARTTLS or implicit TLS."""

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        tls: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender, self.tls = host, port, sender, tls
        self.username, self.password, self.timeout = username, password, timeout

    def address(self, r: Recipient) -> str | None:
        return r.email

    async def send(self, to: Recipient, message: Message) -> None:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to.email or ""
        msg["Subject"] = message.subject
        msg["Message-ID"] = f"<{message.idempotency_key.replace(':', '.')}@hazardloop>"
        msg.set_content(message.body)
        try:
            await aiosmtplib.send(
                msg,
                hostname=self.host,
                port=self.port,
                use_tls=self.tls == "tls",
                start_tls=True if self.tls == "starttls" else False,
                username=self.username,
                password=self.password,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as e:
            raise PermanentFailure(f"recipient refused: {e}") from e
        except aiosmtplib.SMTPResponseException as e:
            if 500 <= e.code < 600:
                raise PermanentFailure(f"SMTP {e.code}: {e.message}") from e
            raise


class WebhookChannel:
    """A JSON POST to the endpoint, in the shape its kind needs: the generic webhook (SMS gateways, own
    receivers) signed as Standard Webhooks with the endpoint's own secret; a WeCom or DingTalk group bot
    in its `msgtype` shape, judged by the `errcode` of its answer (notify/bots.py). Only to public
    addresses unless `allow_private`, never following a redirect."""

    name = "webhook"

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.client = client or httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    def address(self, r: Recipient) -> str | None:
        return r.webhook_url

    def _request(self, to: Recipient, message: Message) -> tuple[bytes, dict[str, str], dict[str, str]]:
        """Body, headers and extra query parameters for the endpoint's kind."""
        headers = {"Content-Type": "application/json", "X-Hazardloop-Delivery": message.idempotency_key}
        if to.webhook_kind in BOT_KINDS:
            params = dingtalk_params(to.webhook_secret) if to.webhook_kind == "dingtalk" else {}
            return bot_body(to.webhook_kind, message.subject, message.body), headers, params
        if not to.webhook_secret:
            raise PermanentFailure("the endpoint has no signing secret (is a seal key configured?)")
        body = json.dumps(
            {"subject": message.subject, "text": message.body, **message.payload},
            ensure_ascii=False,
            default=str,
        ).encode()
        return body, headers | signed_headers(to.webhook_secret, message.idempotency_key, body), {}

    async def send(self, to: Recipient, message: Message) -> None:
        if not to.webhook_url:
            raise PermanentFailure("the endpoint has no address")
        body, headers, params = self._request(to, message)
        try:
            target, server_name = await pinned_address(to.webhook_url, allow_private=self.allow_private)
        except UnsafeTarget as e:
            raise PermanentFailure(f"refused, no request made: {e}") from e
        extensions: dict[str, Any] = {}
        if server_name:  # connect to the address that was checked; name it for HTTP and TLS
            headers["Host"] = httpx.URL(to.webhook_url).netloc.decode()
            extensions["sni_hostname"] = server_name
        url = httpx.URL(target).copy_merge_params(params) if params else target
        r = await self.client.post(
            url, content=body, headers=headers, extensions=extensions, follow_redirects=False
        )
        if r.is_redirect:
            raise PermanentFailure(
                f"HTTP {r.status_code}: redirects are not followed; register the address it points to"
            )
        if 400 <= r.status_code < 500 and r.status_code not in (408, 429):
            raise PermanentFailure(f"HTTP {r.status_code}")
        if not r.is_success:
            raise TransientFailure(f"HTTP {r.status_code}")
        if to.webhook_kind in BOT_KINDS:
            check_answer(to.webhook_kind, r.status_code, r.content)


async def resolve(conn: AsyncConnection, role: str, party: str, kind: str = "") -> list[Recipient]:
    """The people a notice of `kind` for `role` at `party` reaches (an enterprise's responsible persons
    whose duty the kind concerns, domain/notice_roles.py; a region's duty roles)."""
    rows = await contacts_for(conn, role, party, responsible_roles(kind))
    return [
        Recipient(
            r["id"], r["name"], r["email"], r["webhook_url"], webhook_kind=r["webhook_kind"], role=r["role"]
        )
        for r in rows
    ]


async def registered(conn: AsyncConnection, contact_id: int | None) -> RowMapping | None:
    """A delivery's registry entry as it is now (None when it was removed)."""
    if contact_id is None:
        return None
    return await contact(conn, contact_id)


@dataclass
class Deliverer:
    """Fans notifications out to people and delivers them through the configured channels."""

    engine: AsyncEngine
    channels: Sequence[DeliveryChannel]
    max_attempts: int = 6
    backoff: timedelta = timedelta(seconds=30)
    lease: timedelta = timedelta(minutes=2)
    batch: int = 100
    ring: KeyRing | None = None  # opens the webhook endpoints' sealed secrets
    _by_name: dict[str, DeliveryChannel] = field(init=False)

    def __post_init__(self) -> None:
        self._by_name = {c.name: c for c in self.channels}

    async def expand(self, conn: AsyncConnection, notification: Mapping[str, Any]) -> int:
        """One delivery row per person × channel (idempotent); `unroutable` when nobody is registered."""
        people = await resolve(
            conn,
            str(notification["recipient_role"]),
            str(notification["recipient_party"]),
            str(notification["kind"]),
        )
        rows = []
        for p in people:
            for ch in self.channels:
                addr = ch.address(p)
                if addr:
                    rows.append(
                        {
                            "notification_id": notification["id"],
                            "idempotency_key": f"{notification['id']}:{p.contact_id}:{ch.name}",
                            "case_id": notification["case_id"],
                            "recipient": p.name,
                            "contact_role": p.role,
                            "channel": ch.name,
                            "address": addr,
                            "contact_id": p.contact_id,
                        }
                    )
        reporter = str(notification["recipient_role"]) == REPORTER
        sealed = reporter and await is_sealed(conn, str(notification["recipient_party"]))
        if sealed and EmailChannel.name in self._by_name:  # the contact is opened only to send
            rows.append(
                {
                    "notification_id": notification["id"],
                    "idempotency_key": f"{notification['id']}:reporter:{EmailChannel.name}",
                    "case_id": notification["case_id"],
                    "recipient": f"{REPORTER}@{notification['recipient_party']}",
                    "channel": EmailChannel.name,
                    "address": SEALED,
                }
            )
        if not rows:
            rows.append(
                {
                    "notification_id": notification["id"],
                    "idempotency_key": f"{notification['id']}:none",
                    "case_id": notification["case_id"],
                    "recipient": f"{notification['recipient_role']}@{notification['recipient_party']}",
                    "channel": "none",
                    "address": "",
                    "status": "unroutable",
                    "last_error": UNROUTABLE_REPORTER[sealed]
                    if reporter
                    else "nobody is registered for this role at this party",
                }
            )
        await add_deliveries(conn, rows)
        return len(rows)

    async def deliver_due(self) -> int:
        """Claim due deliveries with a lease, send them outside the transaction, settle each."""
        now = datetime.now(UTC)
        async with self.engine.begin() as conn:
            claimed, notes = await claim_due(conn, now, self.lease, self.batch)
        for row in claimed:
            note = notes.get(row["notification_id"])
            await self._send_one(row, dict(note) if note is not None else None)
        return len(claimed)

    async def _recipient(self, row: Mapping[str, Any]) -> Recipient | None:
        """Who a delivery goes to now, with the webhook secret when it is a webhook (issued on first use
        for an endpoint registered before secrets existed)."""
        async with self.engine.begin() as conn:
            c = await registered(conn, row["contact_id"])
            if c is None:
                return None
            secret, kind = None, str(c["webhook_kind"])
            if row["channel"] == WebhookChannel.name and c["webhook_url"] and self.ring is not None:
                if kind == "webhook":
                    secret = await endpoint_secret(conn, self.ring, c)
                else:  # a bot's own secret, when its owner gave one (DingTalk 加签)
                    secret = stored_secret(self.ring, c)
        return Recipient(c["id"], c["name"], c["email"], c["webhook_url"], secret, kind)

    async def _reporter(self, tip_id: str) -> tuple[Recipient | None, str | None]:
        """A tip reporter as a recipient, their sealed contact opened for this send only."""
        if self.ring is None:
            raise PermanentFailure("no seal key: the reporter's contact cannot be opened")
        async with self.engine.connect() as conn:
            contact_text = await reporter_contact(conn, self.ring, tip_id)
        if contact_text is None:
            return None, None
        if not EMAIL.fullmatch(contact_text):
            raise PermanentFailure(
                "the reporter's contact is not an e-mail address: an officer reaches them as it says"
                f" (POST /v1/tips/{tip_id}/reveal)"
            )
        return Recipient(0, REPORTER, contact_text, None), contact_text

    async def _send_one(self, row: Mapping[str, Any], n: Mapping[str, Any] | None) -> None:
        channel = self._by_name.get(row["channel"])
        values: dict[str, Any]
        if channel is None or n is None:
            values = {
                "status": "failed_permanent",
                "last_error": f"channel {row['channel']} is not configured",
            }
        else:
            subject, body = render(n)
            payload = {
                "case_id": n["case_id"],
                "case_kind": n["case_kind"],
                "kind": n["kind"],
                "recipient_role": n["recipient_role"],
                "recipient_party": n["recipient_party"],
                "due_at": n["due_at"],
            }
            hidden: str | None = None  # a sealed contact: never in an error, a log or the row
            started = time.monotonic()
            try:
                if n["recipient_role"] == REPORTER:
                    to, hidden = await self._reporter(str(n["recipient_party"]))
                else:
                    to = await self._recipient(row)
                address = channel.address(to) if to is not None else None
                if to is None or not address:
                    raise PermanentFailure(f"the recipient no longer has a {channel.name} in the registry")
                await channel.send(to, Message(row["idempotency_key"], subject, body, payload))
                values = {
                    "status": "delivered",
                    "delivered_at": datetime.now(UTC),
                    "last_error": None,
                    "address": mask_email(address) if hidden else address,
                }
            except (PermanentFailure, SealError) as e:
                values = {"status": "failed_permanent", "last_error": _scrub(str(e), hidden)[:1000]}
            except Exception as e:  # transient: retry with exponential backoff, up to max_attempts
                error = _scrub(f"{type(e).__name__}: {e}", hidden)[:1000]
                if row["attempts"] >= self.max_attempts:
                    values = {
                        "status": "failed_permanent",
                        "last_error": f"gave up after {row['attempts']}: {error}",
                    }
                else:
                    wait = self.backoff * (2 ** (row["attempts"] - 1))
                    values = {"last_error": error, "next_attempt_at": datetime.now(UTC) + wait}
        log.info(
            "delivery",
            delivery_id=row["id"],
            case_id=row["case_id"],
            channel=row["channel"],
            attempt=row["attempts"],
            outcome=values.get("status", "retry"),
        )
        if channel is not None and n is not None:
            record_delivery(row["channel"], values.get("status", "retry"), time.monotonic() - started)
        await settle_delivery(self.engine, row["id"], values)


def build_deliverer(settings: Settings, engine: AsyncEngine) -> Deliverer:
    """E-mail when an SMTP server is configured; signed webhooks always (a contact may have neither)."""
    channels: list[DeliveryChannel] = [WebhookChannel(allow_private=settings.webhook_allow_private)]
    if settings.smtp_host:
        channels.insert(
            0,
            EmailChannel(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_sender,
                tls=settings.smtp_tls,
                username=settings.smtp_username,
                password=settings.smtp_password,
            ),
        )
    return Deliverer(
        engine,
        channels,
        max_attempts=settings.delivery_max_attempts,
        backoff=timedelta(seconds=settings.delivery_backoff_seconds),
        ring=KeyRing(settings.resolved_seal_key()),
    )
