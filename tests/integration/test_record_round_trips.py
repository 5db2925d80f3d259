"""record_events in one round trip (issue #21): a command's events, hash chain, projection row and outbox
are written by one call of `hl_record_events`; a process that did not record the stream's last command
reads it first (two). The guarantees stay: idempotent re-recording, refused conflicts and gaps, the hash
chain verifying, the projection equal to a fold of the events, the outbox written with the events.

A round trip is counted as one write of the client to the PostgreSQL socket: asyncpg sends each
statement's messages (Parse/Bind/Execute/Sync, or BEGIN, or COMMIT) in one write and waits for the answer.
Real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.contracts import APPEND_CONFLICT, EventData, RecordEventsInput
from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.policy import PolicyRef
from store.db import make_engine
from store.events import read_stream, verify_chain
from store.projector import projection_values
from store.schema import cases, notifications
from tests.integration.test_event_store import opened as opened_event
from tests.support.ticket import TICKET  # registers the kind

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INSPECTOR = Actor(id="insp-1", role=Role.inspector, region="500107")
POLICY = PolicyRef(id="test-fast", version="1")


class Trips:
    """Counts the writes to one asyncpg connection's socket."""

    def __init__(self) -> None:
        self.n = 0

    def wrap(self, write: Callable[[Any], None]) -> Callable[[Any], None]:
        def counted(data: Any) -> None:
            self.n += 1
            write(data)

        return counted


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    # one pooled connection, so every statement of a recording goes through the socket counted
    e = make_engine(db_url, pool_size=1, max_overflow=0)
    yield e
    await e.dispose()


@pytest.fixture
async def trips(engine: AsyncEngine) -> Trips:
    counter = Trips()
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        transport = raw.driver_connection._transport  # type: ignore[union-attr]
        transport.write = counter.wrap(transport.write)
    return counter


def opened(case_id: str) -> EventData:
    e = opened_event(case_id)
    return EventData(type=e.type, data=e.data)


def reminded() -> EventData:
    return EventData(
        type="reminded", data={"type": "reminded", "due_at": (T0 + timedelta(hours=1)).isoformat()}
    )


def noted(text: str) -> EventData:
    return EventData(type="noted", data={"type": "noted", "text": text, "by": "u1"})


def command(case_id: str, expected: int, events: list[EventData], command_id: str) -> RecordEventsInput:
    return RecordEventsInput(
        stream_id=case_id,
        kind=TICKET.kind,
        expected_version=expected,
        events=events,
        actor=INSPECTOR,
        occurred_at=T0 + timedelta(minutes=expected),
        policy=POLICY,
        command_id=command_id,
    )


async def recorded(store: StoreActivities, inp: RecordEventsInput) -> Any:
    return await ActivityEnvironment().run(store.record_events, inp)


async def warm(engine: AsyncEngine, case_id: str) -> None:
    """Prepare the call and the read on the connection (once per connection, then cached)."""
    await recorded(StoreActivities(engine), command(case_id, 0, [opened(case_id)], "c0"))
    await recorded(StoreActivities(engine), command(case_id, 1, [noted("w")], "c1"))


async def test_a_recording_is_one_round_trip(engine: AsyncEngine, trips: Trips) -> None:
    await warm(engine, "RT-1w")
    store = StoreActivities(engine)
    counts = []
    for inp in (
        command("RT-1", 0, [opened("RT-1")], "c1"),
        command("RT-1", 1, [noted("a"), reminded()], "c2"),
        command("RT-1", 3, [noted("b")], "c3"),
    ):
        before = trips.n
        result = await recorded(store, inp)
        counts.append(trips.n - before)
        assert not result.duplicate and result.version == inp.expected_version + len(inp.events)
    assert counts == [1, 1, 1]
    async with engine.connect() as conn:
        stream = await read_stream(conn, "RT-1")
        row = (await conn.execute(select(cases).where(cases.c.id == "RT-1"))).one()
        outbox = (
            await conn.execute(
                select(notifications.c.kind, notifications.c.stream_version).where(
                    notifications.c.case_id == "RT-1"
                )
            )
        ).all()
    assert [e.version for e in stream] == [1, 2, 3, 4] and verify_chain(stream) == []
    assert [tuple(r) for r in outbox] == [("reminder", 3)]
    folded = projection_values(TICKET.kind, "RT-1", stream)
    assert {k: getattr(row, k) for k in folded} == folded


async def test_a_process_that_did_not_record_the_last_command_reads_first(
    engine: AsyncEngine, trips: Trips
) -> None:
    await warm(engine, "RT-2w")
    first, second = StoreActivities(engine), StoreActivities(engine)
    await recorded(first, command("RT-2", 0, [opened("RT-2")], "c1"))
    before = trips.n
    await recorded(second, command("RT-2", 1, [noted("a")], "c2"))
    assert trips.n - before == 2  # the head and the row read, then the call
    # the same command retried on the first process, whose memory of the stream is out of date: the
    # function finds the versions taken, the process reads and finds them taken by these very events
    before = trips.n
    result = await recorded(first, command("RT-2", 1, [noted("a")], "c2"))
    assert trips.n - before == 3 and result.duplicate
    before = trips.n
    result = await recorded(first, command("RT-2", 2, [noted("b")], "c3"))
    assert trips.n - before == 2 and result.version == 3 and not result.duplicate
    async with engine.connect() as conn:
        stream = await read_stream(conn, "RT-2")
        row = (await conn.execute(select(cases).where(cases.c.id == "RT-2"))).one()
    assert verify_chain(stream) == [] and row.version == 3
    folded = projection_values(TICKET.kind, "RT-2", stream)
    assert {k: getattr(row, k) for k in folded} == folded


async def test_a_retried_recording_is_a_duplicate_and_a_conflict_is_refused(engine: AsyncEngine) -> None:
    store = StoreActivities(engine)
    await recorded(store, command("RT-3", 0, [opened("RT-3")], "c1"))
    first = await recorded(store, command("RT-3", 1, [reminded()], "c2"))
    again = await recorded(StoreActivities(engine), command("RT-3", 1, [reminded()], "c2"))
    assert again.duplicate and [e.hash for e in again.events] == [e.hash for e in first.events]
    assert (await recorded(store, command("RT-3", 0, [opened("RT-3")], "c1"))).duplicate
    for inp in (command("RT-3", 1, [noted("other")], "c9"), command("RT-3", 5, [noted("gap")], "c10")):
        with pytest.raises(ApplicationError) as err:
            await recorded(store, inp)
        assert err.value.type == APPEND_CONFLICT and err.value.non_retryable
    async with engine.connect() as conn:
        stream = await read_stream(conn, "RT-3")
        n_out = (
            await conn.execute(
                select(func.count()).select_from(notifications).where(notifications.c.case_id == "RT-3")
            )
        ).scalar_one()
    assert [e.type for e in stream] == ["opened", "reminded"] and n_out == 1
