"""The shared case loop on a real dev server and PostgreSQL, driven by the test `ticket` decider."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.policy import parse_pack
from harness.servers import unique_queue
from runtime.codec import ENCODING_V2
from runtime.settings import REPO_ROOT
from store.db import make_engine
from store.events import read_stream, verify_chain
from store.schema import cases, notifications
from tests.support.ticket import CALLS
from tests.support.ticket_workflow import TicketWorkflow, open_ticket
from worker import build_worker
from workflows.contracts import CommandRequest

POLICY = parse_pack((REPO_ROOT / "policies" / "test-fast.toml").read_text())
INSPECTOR = Actor(id="insp-1", role=Role.inspector, region="500107")
OUTSIDER = Actor(id="insp-2", role=Role.inspector, region="500108")


@pytest.fixture
async def harness(dev_env, db_url):
    engine = make_engine(db_url)
    queue = unique_queue()
    worker = build_worker(
        dev_env.client,
        queue,
        StoreActivities(engine),
        workflows=[TicketWorkflow],
        extra_passthrough=["tests.support.ticket"],
    )
    async with worker:
        yield dev_env.client, queue, engine
    await engine.dispose()


async def start(client, queue, ttl: int = 3600, case_id: str | None = None, title: str = "t", wait=True):
    """Start a ticket; with `wait`, wait for its creation as the API does before answering 201."""
    case_id = case_id or f"TK-{uuid.uuid4().hex[:10]}"
    handle = await client.start_workflow(
        TicketWorkflow.run,
        open_ticket(case_id, INSPECTOR, POLICY, title, ttl),
        id=case_id,
        task_queue=queue,
    )
    if wait:
        created = await handle.execute_update(TicketWorkflow.created)
        assert created.version == 1
    return handle


async def update_count(handle) -> int:
    """How many `execute` updates entered the history."""
    n = 0
    async for e in handle.fetch_history_events():
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED and (
            e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name == "execute"
        ):
            n += 1
    return n


async def test_a_command_is_recorded_projected_and_answered(harness) -> None:
    client, queue, engine = harness
    handle = await start(client, queue)
    result = await handle.execute_update(
        TicketWorkflow.execute, CommandRequest(command={"type": "note", "text": "hello"}, actor=INSPECTOR)
    )
    assert result.version == 2
    assert [e.type for e in result.events] == ["noted"]
    async with engine.connect() as conn:
        stream = await read_stream(conn, handle.id)
        row = (await conn.execute(select(cases).where(cases.c.id == handle.id))).one()
    assert [e.type for e in stream] == ["opened", "noted"]
    assert verify_chain(stream) == []
    assert row.version == 2 and row.state["notes"] == ["hello"]
    assert (await handle.query(TicketWorkflow.state))["notes"] == ["hello"]
    desc = await handle.describe()
    assert desc.typed_search_attributes is not None


async def test_a_command_is_parsed_and_decided_once_in_the_workflow(harness) -> None:
    """The validator's parse and decision are the handler's: one each per command (no replay here)."""
    client, queue, _engine = harness
    handle = await start(client, queue)
    text = f"once-{uuid.uuid4().hex}"
    r = await handle.execute_update(
        TicketWorkflow.execute, CommandRequest(command={"type": "note", "text": text}, actor=INSPECTOR)
    )
    assert r.case["notes"] == [text]
    assert (CALLS[("parse", text)], CALLS[("decide", text)]) == (1, 1)


@pytest.mark.parametrize(
    ("command", "actor", "code"),
    [
        ({"type": "note", "text": "forbidden"}, INSPECTOR, "invalid_command"),
        ({"type": "note"}, INSPECTOR, "invalid_command"),
        ({"type": "bogus"}, INSPECTOR, "invalid_command"),
        ({"type": "note", "text": "x"}, OUTSIDER, "forbidden"),
        ({"type": "open", "region": "500107", "title": "again"}, INSPECTOR, "not_allowed_in_state"),
        (
            {"type": "deadline_elapsed", "key": "expiry", "due_at": "2030-01-01T00:00:00Z"},
            INSPECTOR,
            "forbidden",
        ),
    ],
)
async def test_a_refused_command_never_reaches_the_history(harness, command, actor, code) -> None:
    client, queue, engine = harness
    handle = await start(client, queue)
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(TicketWorkflow.execute, CommandRequest(command=command, actor=actor))
    cause = err.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == code
    assert await update_count(handle) == 0
    async with engine.connect() as conn:
        assert [e.type for e in await read_stream(conn, handle.id)] == ["opened"]


async def test_the_same_command_id_is_applied_once(harness) -> None:
    client, queue, engine = harness
    handle = await start(client, queue)
    req = CommandRequest(command={"type": "note", "text": "once"}, actor=INSPECTOR, command_id="k-1")
    r1 = await handle.execute_update(TicketWorkflow.execute, req)
    r2 = await handle.execute_update(TicketWorkflow.execute, req)
    assert r1 == r2
    async with engine.connect() as conn:
        assert [e.type for e in await read_stream(conn, handle.id)] == ["opened", "noted"]


async def test_deadlines_fire_through_decide_and_notify(harness) -> None:
    client, queue, engine = harness
    handle = await start(client, queue, ttl=2)
    final = await handle.result()
    assert final["status"] == "closed" and final["reminded"] is True
    async with engine.connect() as conn:
        types = [e.type for e in await read_stream(conn, handle.id)]
        notes = (
            await conn.execute(
                select(notifications.c.kind, notifications.c.recipient_role).where(
                    notifications.c.case_id == handle.id
                )
            )
        ).all()
    assert types == ["opened", "reminded", "closed"]
    assert [tuple(n) for n in notes] == [("reminder", "supervisor")]


async def test_a_child_case_reports_back_to_its_parent(harness) -> None:
    client, queue, engine = harness
    handle = await start(client, queue)
    r = await handle.execute_update(
        TicketWorkflow.execute, CommandRequest(command={"type": "spawn", "title": "child"}, actor=INSPECTOR)
    )
    child_id = r.case["children"] and next(iter(r.case["children"]))
    child = client.get_workflow_handle(child_id)
    await child.execute_update(
        TicketWorkflow.execute, CommandRequest(command={"type": "close", "reason": "done"}, actor=INSPECTOR)
    )
    assert (await child.result())["status"] == "closed"

    async def parent_saw_it() -> bool:
        return (await handle.query(TicketWorkflow.state))["children"][child_id] == "closed"

    await wait_until(parent_saw_it, within=timedelta(seconds=20))
    async with engine.connect() as conn:
        assert [e.type for e in await read_stream(conn, handle.id)][-1] == "child_closed"


async def wait_until(predicate, within: timedelta) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    end = loop.time() + within.total_seconds()
    while not await predicate():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_history_payloads_are_encrypted_before_they_leave_the_process(harness) -> None:
    client, queue, _engine = harness
    handle = await start(client, queue)
    await handle.execute_update(
        TicketWorkflow.execute,
        CommandRequest(command={"type": "note", "text": "SECRET-MARKER"}, actor=INSPECTOR),
    )
    raw = await client.workflow_service.get_workflow_execution_history(
        GetWorkflowExecutionHistoryRequest(
            namespace=client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
        )
    )
    blob = raw.SerializeToString()
    assert b"SECRET-MARKER" not in blob and b"insp-1" not in blob
    assert ENCODING_V2 in blob  # the codec's mark (runtime/codec.py)
    assert (await handle.query(TicketWorkflow.state))["notes"] == ["SECRET-MARKER"]  # decoded with the key
