"""The case loop's timers on the time-skipping server: a month-long deadline fires without waiting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.policy import parse_pack
from harness.servers import unique_queue
from runtime.settings import REPO_ROOT
from store.db import make_engine
from store.events import read_stream
from store.schema import cases
from tests.support.ticket import QUIET
from tests.support.ticket_workflow import TicketWorkflow, open_ticket
from worker import build_worker
from workflows.contracts import CommandRequest

POLICY = parse_pack((REPO_ROOT / "policies" / "cn-national.toml").read_text())
INSPECTOR = Actor(id="insp-1", role=Role.inspector, region="500107")


@pytest.fixture
async def tickets(ts_env: WorkflowEnvironment, db_url: str) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A worker running the ticket workflow: its task queue and the event store's engine."""
    engine = make_engine(db_url)
    queue = unique_queue()
    async with build_worker(
        ts_env.client,
        queue,
        StoreActivities(engine),
        workflows=[TicketWorkflow],
        extra_passthrough=["tests.support.ticket"],
    ):
        yield queue, engine
    await engine.dispose()


async def start(env: WorkflowEnvironment, queue: str, case_id: str, title: str, ttl: timedelta) -> Any:
    inp = open_ticket(case_id, INSPECTOR, POLICY, title, int(ttl.total_seconds()))
    return await env.client.start_workflow(TicketWorkflow.run, inp, id=case_id, task_queue=queue)


async def test_a_thirty_day_expiry_fires_with_its_reminder(ts_env, tickets) -> None:
    queue, engine = tickets
    handle = await start(ts_env, queue, "TK-TS-1", "t", timedelta(days=30))
    final = await handle.result()
    assert final["status"] == "closed" and final["reminded"] is True
    async with engine.connect() as conn:
        stream = await read_stream(conn, "TK-TS-1")
        row = (await conn.execute(select(cases.c.status).where(cases.c.id == "TK-TS-1"))).one()
    assert [e.type for e in stream] == ["opened", "reminded", "closed"]
    # the reminder halfway, the expiry at 30 days (to the second: timers fire at their due time)
    assert abs(stream[1].occurred_at - stream[0].occurred_at - timedelta(days=15)) < timedelta(seconds=1)
    assert abs(stream[2].occurred_at - stream[0].occurred_at - timedelta(days=30)) < timedelta(seconds=1)
    assert row.status == "closed"


async def workflow_task_failures(handle: WorkflowHandle[Any, Any]) -> int:
    n = 0
    async for e in handle.fetch_history_events():
        n += e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    return n


async def test_a_deadline_that_records_nothing_is_not_fired_again_at_once(ts_env, tickets) -> None:
    """The quiet ticket's reminder falls due and records nothing, so it stays owed: the loop must not
    spin on it (no failed workflow task); a later command still works and the expiry still fires."""
    queue, engine = tickets
    handle = await start(ts_env, queue, "TK-TS-QUIET", QUIET, timedelta(days=1))
    await handle.execute_update(TicketWorkflow.created)
    await ts_env.sleep(timedelta(hours=13))  # past the reminder (at 12 h), before the expiry
    noted = await asyncio.wait_for(
        handle.execute_update(
            TicketWorkflow.execute, CommandRequest(command={"type": "note", "text": "after"}, actor=INSPECTOR)
        ),
        timeout=60,
    )
    assert noted.case["notes"] == ["after"] and noted.case["reminded"] is False
    final = await asyncio.wait_for(handle.result(), timeout=60)
    assert await workflow_task_failures(handle) == 0
    assert final["status"] == "closed" and final["reminded"] is False
    async with engine.connect() as conn:
        stream = await read_stream(conn, "TK-TS-QUIET")
    assert [e.type for e in stream] == ["opened", "noted", "closed"]
    assert stream[-1].data["reason"] == "expired"
    assert stream[1].occurred_at - stream[0].occurred_at > timedelta(hours=12)
    assert abs(stream[2].occurred_at - stream[0].occurred_at - timedelta(days=1)) < timedelta(seconds=1)
