"""What the delivery tests share: a real HTTP webhook receiver on loopback, a notification written
straight into the outbox, and a bounded loop that drains and delivers until a condition holds."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text

from harness.apptest import App
from notify.outbox import OutboxDrainer
from notify.webhooks import verify


@dataclass
class Hooks:
    """What the receiver got. Paths under `/gone` answer 410, under `/redirect` 302 to `/target`."""

    fail_first: dict[str, int] = field(default_factory=dict)  # path → how many 500s before success
    secrets: dict[str, str] = field(default_factory=dict)  # path → the endpoint's signing secret
    got: list[tuple[str, dict[str, Any], bool, str]] = field(
        default_factory=list
    )  # path, body, signed ok, key
    raw: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)  # path, headers, body
    failed: list[str] = field(default_factory=list)


@contextmanager
def webhook_receiver() -> Iterator[tuple[Hooks, str]]:
    hooks = Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            path = urlsplit(self.path).path
            headers = {k.lower(): v for k, v in self.headers.items()}
            hooks.raw.append((path, headers, body))
            if hooks.fail_first.get(path, 0) > 0:
                hooks.fail_first[path] -= 1
                hooks.failed.append(path)
                self.send_response(500)
                self.end_headers()
                return
            ok = path in hooks.secrets and verify(hooks.secrets[path], headers, body)
            hooks.got.append((path, json.loads(body), ok, self.headers["X-Hazardloop-Delivery"]))
            if path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", "/target")
            else:
                self.send_response(410 if path.startswith("/gone") else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hooks, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def secrets_by_path(persons: list[dict[str, Any]]) -> dict[str, str]:
    """The secrets a registry write issued, by the path of their webhook (for `Hooks.secrets`)."""
    return {urlsplit(p["webhook_url"]).path: p["webhook_secret"] for p in persons if p.get("webhook_secret")}


async def one_notification(app: App, party_role: str, party: str, case_id: str) -> None:
    async with app.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO notifications (case_id, case_kind, stream_version, seq, kind, recipient_role,"
                " recipient_party, subject, data, created_at) VALUES (:c, 'hazard', 1, 0, 'overdue', :r, :p,"
                " 'hazard overdue', '{}'::jsonb, now())"
            ),
            {"c": case_id, "r": party_role, "p": party},
        )


async def settle(
    app: App, drainer: OutboxDrainer, until: Callable[[], Awaitable[bool]], what: str, within: float = 60.0
) -> None:
    """Drain and deliver until a condition holds (bounded): timers and deliveries arrive asynchronously."""
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while True:
        await drainer.drain_once()
        assert drainer.deliverer is not None
        await drainer.deliverer.deliver_due()
        if await until():
            return
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
