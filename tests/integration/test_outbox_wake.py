"""The idle drainer sleeps until notifications are committed on its engine (notify/wake.py): a worker's
commit is delivered at once however long the fallback poll, a rolled-back insert or another table's
write wakes nobody, and the drainer's own writes do not keep it spinning."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from notify.outbox import OutboxDrainer
from notify.wake import OutboxWake
from store.db import make_engine
from tests.integration.test_outbox import Collect
from tests.support.poll import eventually

INSERT = text(
    "INSERT INTO notifications (case_id, case_kind, stream_version, seq, kind, recipient_role,"
    " recipient_party, subject, data, created_at) VALUES"
    " (:party, 'hazard', 1, 0, 'overdue', 'enterprise_responsible', :party, 's', '{}', now())"
)


async def notify(engine: AsyncEngine, party: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(INSERT, {"party": party})


class Counting(OutboxDrainer):
    passes = 0

    async def drain_once(self) -> int:
        self.passes += 1
        return await super().drain_once()


async def test_a_commit_wakes_the_idle_drainer_at_once(db_url: str) -> None:
    engine = make_engine(db_url)
    wake = OutboxWake(engine)
    channel = Collect()
    drainer = Counting(engine, [channel])
    stop = asyncio.Event()
    # a fallback poll far beyond the test: only the wake can deliver in time
    running = asyncio.create_task(drainer.run(stop, idle_interval=600.0, wake=wake))
    try:
        await eventually(lambda: _true_after(drainer.passes >= 1), "the first (empty) pass")
        latencies: list[float] = []
        for party in ("E1", "E2"):
            t0 = time.monotonic()
            await notify(engine, party)

            async def got(p: str = party) -> bool:
                return any(n["recipient_party"] == p for n in channel.got)

            await eventually(got, f"{party} delivered", within=10.0)
            latencies.append(time.monotonic() - t0)
        passes = drainer.passes
    finally:
        stop.set()
        await running
        wake.close()
        await engine.dispose()
    assert [n["recipient_party"] for n in channel.got] == ["E1", "E2"]
    assert max(latencies) < 2.0, latencies  # the old 1 s poll gave up to 1 s; here it is the wake's
    # the first pass, then per notification: the woken pass that delivers it and one that finds nothing
    # (its own settle wrote no notification, so nothing wakes it again)
    assert passes <= 5, passes


async def test_only_a_committed_insert_into_notifications_wakes(db_url: str) -> None:
    engine = make_engine(db_url)
    wake = OutboxWake(engine)
    try:
        async with engine.connect() as conn:  # inserted, then rolled back
            await conn.execute(INSERT, {"party": "E9"})
            await conn.rollback()
        async with engine.begin() as conn:  # committed, but no notification
            await conn.execute(text("CREATE TEMP TABLE scratch (x int)"))
        await asyncio.sleep(0)  # let a wake scheduled by the checkins run, if any was
        assert not wake.event.is_set()
        await notify(engine, "E1")
        await asyncio.sleep(0)
        assert wake.event.is_set()
    finally:
        wake.close()
        await engine.dispose()


async def _true_after(value: Any) -> bool:
    return bool(value)


async def test_the_event_stores_own_write_of_a_notice_wakes(db_url: str) -> None:
    """Through both paths record_events takes: the one-statement recording (`hl_record_events` in
    autocommit) and the old transaction (append + project_append) it falls back to. If either write ever
    stops being seen by the wake, this fails rather than notices waiting for the fallback poll."""
    from datetime import timedelta

    from store.events import NewEvent
    from store.record import Recording, StreamCache
    from store.record import record as record_one
    from tests.integration.test_event_store import ACTOR, T0, opened, record

    def reminded() -> NewEvent:
        due = (T0 + timedelta(hours=1)).isoformat()
        return NewEvent(type="reminded", data={"type": "reminded", "due_at": due})

    def recording(case_id: str, expected: int, new: list[NewEvent]) -> Recording:
        return Recording(
            stream_id=case_id,
            kind="ticket",
            expected_version=expected,
            new=new,
            actor=ACTOR,
            occurred_at=T0 + timedelta(minutes=expected),
            policy_id="p",
            policy_version="1",
            command_id=None,
            parent_id=None,
        )

    engine = make_engine(db_url)
    wake = OutboxWake(engine)
    cache = StreamCache()
    try:
        # the one-statement path
        await record_one(engine, cache, recording("T-W0", 0, [opened("T-W0")]))
        await asyncio.sleep(0)
        assert not wake.event.is_set()  # no notice in these events
        await record_one(engine, cache, recording("T-W0", 1, [reminded()]))
        await asyncio.sleep(0)
        assert wake.event.is_set()
        wake.event.clear()
        # the transaction path
        await record(engine, "T-W1", 0, [opened("T-W1")])
        await asyncio.sleep(0)
        assert not wake.event.is_set()
        await record(engine, "T-W1", 1, [reminded()])
        await asyncio.sleep(0)
        assert wake.event.is_set()
    finally:
        wake.close()
        await engine.dispose()
