"""A worker that dies holding `record_events` stalls its command about ten seconds (issue #20, finding:
it was 30 s, the activity's start-to-close timeout, and a deadline could pass meanwhile). The first
attempt of the command's `record_events` never answers, as on a killed worker; the retry records it.
Real dev server and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client

from activities.contracts import RECORD_EVENTS, RecordEventsInput, RecordEventsResult
from activities.store import StoreActivities
from harness.servers import unique_queue
from store.db import make_engine
from store.events import read_stream
from tests.integration.test_case_workflow import INSPECTOR, start
from tests.support.ticket_workflow import TicketWorkflow
from worker import build_worker
from workflows.contracts import CommandRequest


class DyingFirstAttempt(StoreActivities):
    """`record_events` whose first attempt for a "stall" note never answers (until the test ends)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.release = asyncio.Event()
        self.stalled = 0

    @activity.defn(name=RECORD_EVENTS)
    async def record_events(self, inp: RecordEventsInput) -> RecordEventsResult:
        if activity.info().attempt == 1 and any(e.data.get("text") == "stall" for e in inp.events):
            self.stalled += 1
            await self.release.wait()
        return await super().record_events(inp)


@pytest.fixture
async def harness(dev_env: Any, db_url: str) -> AsyncIterator[tuple[Client, str, DyingFirstAttempt]]:
    engine = make_engine(db_url)
    store = DyingFirstAttempt(engine)
    queue = unique_queue()
    worker = build_worker(
        dev_env.client, queue, store, workflows=[TicketWorkflow], extra_passthrough=["tests.support.ticket"]
    )
    try:
        async with worker:
            yield dev_env.client, queue, store
            store.release.set()
    finally:
        await engine.dispose()


async def test_a_lost_record_events_attempt_is_retried_within_seconds(
    harness: tuple[Client, str, DyingFirstAttempt],
) -> None:
    client, queue, store = harness
    handle = await start(client, queue)
    began = time.monotonic()
    result = await handle.execute_update(
        TicketWorkflow.execute, CommandRequest(command={"type": "note", "text": "stall"}, actor=INSPECTOR)
    )
    took = time.monotonic() - began
    assert store.stalled == 1
    assert result.version == 2 and result.case["notes"] == ["stall"]
    assert took < 20, f"the command waited {took:.1f} s for its lost attempt"
    async with store.engine.connect() as conn:
        assert [e.type for e in await read_stream(conn, handle.id)] == ["opened", "noted"]
