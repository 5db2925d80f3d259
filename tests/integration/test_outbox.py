"""The notification outbox: records written with the events are delivered once; a failing channel is
recorded and does not block the others."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from harness.servers import unique_queue, world_traversable_tmpdir
from notify.outbox import LogChannel, OutboxDrainer
from store.db import make_engine
from store.schema import notifications
from tests.integration.test_event_store import T0
from tests.support.poll import eventually


class Collect:
    name = "collect"

    def __init__(self, fail_for: set[str] | None = None) -> None:
        self.got: list[dict[str, Any]] = []
        self.fail_for = fail_for or set()

    async def deliver(self, n: dict[str, Any]) -> None:
        if n["recipient_party"] in self.fail_for:
            raise ConnectionRefusedError("receiver down")
        self.got.append(n)


async def pending(engine: Any, parties: list[str]) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            notifications.insert(),
            [
                {
                    "case_id": f"C{i}",
                    "case_kind": "hazard",
                    "stream_version": 1,
                    "seq": 0,
                    "kind": "overdue",
                    "recipient_role": "enterprise_responsible",
                    "recipient_party": party,
                    "subject": "s",
                    "data": {},
                    "created_at": T0,
                }
                for i, party in enumerate(parties)
            ],
        )


async def test_pending_notifications_are_delivered_once_and_failures_recorded(db_url) -> None:
    engine = make_engine(db_url)
    await pending(engine, ["E1", "E2", "BROKEN", "E3"])
    channel = Collect(fail_for={"BROKEN"})
    drainer = OutboxDrainer(engine, [LogChannel(), channel], batch=2)
    handled = [await drainer.drain_once() for _ in range(3)]
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(
                    notifications.c.recipient_party,
                    notifications.c.status,
                    notifications.c.attempts,
                    notifications.c.last_error,
                ).order_by(notifications.c.id)
            )
        ).all()
    await engine.dispose()
    assert handled == [2, 2, 0]
    assert [n["recipient_party"] for n in channel.got] == ["E1", "E2", "E3"]
    assert [(r.recipient_party, r.status, r.attempts) for r in rows] == [
        ("E1", "delivered", 1),
        ("E2", "delivered", 1),
        ("BROKEN", "failed", 1),
        ("E3", "delivered", 1),
    ]
    assert "receiver down" in rows[2].last_error


async def test_the_worker_process_drains_the_outbox(dev_env, db_url) -> None:
    """`hazardloop worker` runs the drainer beside the worker (the entry point hands notify's drainer to
    worker.py, which imports nothing above it), and stops both on SIGTERM."""
    engine = make_engine(db_url)
    await pending(engine, ["E1"])
    env = {
        **os.environ,
        "HAZARDLOOP_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "HAZARDLOOP_DATABASE_URL": db_url,
        "HAZARDLOOP_TEMPORAL_TASK_QUEUE": unique_queue("worker-cli"),
        "HAZARDLOOP_DATA_DIR": str(world_traversable_tmpdir("hazardloop-worker-")),
    }
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "hazardloop"),
        "worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )

    async def delivered() -> bool:
        assert proc.returncode is None, "the worker exited"
        async with engine.connect() as conn:
            return (await conn.execute(select(notifications.c.status))).scalar_one() == "delivered"

    try:
        await eventually(delivered, "the worker process to drain the outbox", within=60)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
        await engine.dispose()
    assert proc.returncode == 0, err.decode()[-2000:]
