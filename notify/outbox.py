"""The notification outbox drainer: delivers notification records written beside the events.

Records are written in the same transaction as the events that caused them (store/projector.py), so
nothing is lost and a command never waits for delivery. The drainer claims pending rows with
`FOR UPDATE SKIP LOCKED` (several workers can drain side by side), hands each to its channels and
records the outcome. The log channel writes one structured JSON line per notification.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from notify.delivery import Deliverer, build_deliverer
from notify.wake import OutboxWake
from runtime.settings import Settings
from store.deliveries import pending_notifications, settle_notification

log = structlog.get_logger("hazardloop.notify")


class Channel(Protocol):
    name: str

    async def deliver(self, notification: dict[str, Any]) -> None: ...


class LogChannel:
    """Writes each notification as a JSON log line (the channel of record until real channels are set up)."""

    name = "log"

    async def deliver(self, notification: dict[str, Any]) -> None:
        log.info(
            "notification",
            channel=self.name,
            **{
                k: notification[k]
                for k in (
                    "id",
                    "case_id",
                    "case_kind",
                    "kind",
                    "recipient_role",
                    "recipient_party",
                    "due_at",
                    "subject",
                )
            },
        )


class OutboxDrainer:
    """Claims pending notifications, records them on the notification-level channels (the log), fans each
    out to people through the `Deliverer` (notify/delivery.py) in the same transaction, then sends
    the deliveries that are due."""

    def __init__(
        self,
        engine: AsyncEngine,
        channels: Sequence[Channel] | None = None,
        batch: int = 200,
        deliverer: Deliverer | None = None,
    ) -> None:
        self.engine = engine
        self.channels = list(channels or [LogChannel()])
        self.batch = batch
        self.deliverer = deliverer

    async def drain_once(self) -> int:
        """Deliver up to one batch of pending notifications; returns how many were handled."""
        async with self.engine.begin() as conn:
            rows = await pending_notifications(conn, self.batch)
            for row in rows:
                outcome, error = "delivered", None
                for ch in self.channels:
                    try:
                        await ch.deliver(dict(row))
                    except Exception as e:  # recorded and surfaced; other notifications go on
                        outcome, error = "failed", f"{ch.name}: {e}"[:1000]
                        log.warning("notification failed", id=row["id"], channel=ch.name, error=str(e)[:300])
                if self.deliverer is not None:
                    await self.deliverer.expand(conn, dict(row))
                await settle_notification(conn, row["id"], outcome, error, datetime.now(UTC))
        return len(rows)

    async def run(
        self, stop: asyncio.Event, idle_interval: float = 1.0, wake: OutboxWake | None = None
    ) -> None:
        """Drain until `stop`. Idle, it sleeps `idle_interval`, or until `wake` says notifications were
        committed on this engine (notify/wake.py): then a rare fallback poll is enough."""
        while not stop.is_set():
            try:
                handled = await self.drain_once()
                if self.deliverer is not None:
                    handled += await self.deliverer.deliver_due()
            except Exception as e:  # the database may be restarting: try again shortly
                log.warning("outbox drain failed", error=str(e)[:300])
                handled = 0
            if handled == 0:
                await _sleep(stop, idle_interval, wake)


async def _sleep(stop: asyncio.Event, seconds: float, wake: OutboxWake | None) -> None:
    """Until `stop`, a wake, or `seconds`; a wake is consumed before the next drain pass (a commit after
    this point wakes the next sleep)."""
    waits = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waits.append(asyncio.ensure_future(wake.event.wait()))
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in waits:
            t.cancel()
    if wake is not None:
        wake.event.clear()


def outbox_drainer(settings: Settings) -> Callable[[AsyncEngine, asyncio.Event], Coroutine[Any, Any, None]]:
    """The drainer a worker process runs beside its worker (`run_worker(alongside=...)`), on its engine:
    e-mail when an SMTP server is configured, signed webhooks always."""

    async def drain(engine: AsyncEngine, stop: asyncio.Event) -> None:
        wake = OutboxWake(engine)
        try:
            drainer = OutboxDrainer(engine, deliverer=build_deliverer(settings, engine))
            await drainer.run(stop, settings.outbox_poll_seconds, wake)
        finally:
            wake.close()

    return drain
