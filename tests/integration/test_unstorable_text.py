"""Issue #15, findings 1 and 4: text PostgreSQL cannot store (a NUL character, an unpaired surrogate) is
refused at the edge and by the rules; a value the database refuses anyway fails its command fast with
`invalid_command`, and the case keeps working (commands, timers); a failed record puts no plaintext into
the workflow history.

Uses the test `ticket` kind, whose rules do not check text, so the edge and the database are what refuse.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import select, text
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import ActivityEnvironment

from activities.contracts import EventData, RecordEventsInput
from activities.store import StoreActivities
from domain.errors import InvalidCommand
from domain.registry import get_decider
from harness.apptest import App
from starter.service import CaseService, case_id_for
from store.events import read_stream
from store.schema import cases
from tests.integration.test_api_foundation import app  # noqa: F401  (the ticket API)
from tests.integration.test_case_workflow import INSPECTOR, POLICY, harness, start  # noqa: F401
from tests.support.poll import eventually
from tests.support.ticket_workflow import TicketWorkflow
from workflows.contracts import CommandRequest

# a refused value must fail within this; before the fix the command waited forever
FAST = 20.0
MARKER = "SECRET-FINDING-7f3a"


async def send(api: App, method: str, url: str, **kw: Any) -> httpx.Response:
    async with asyncio.timeout(FAST):
        return await api.http.request(method, url, **kw)


def refused(r: httpx.Response, location: str, field: str) -> None:
    assert r.status_code == 422, r.text
    doc = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert (doc["code"], doc["location"], doc["field"], doc["rule"]) == (
        "invalid_request",
        location,
        field,
        "storable_text",
    ), doc
    assert field in doc["detail"] and "U+" in doc["detail"], doc


async def not_started(api: App, case_id: str) -> bool:
    try:
        await api.client.get_workflow_handle(case_id).describe()
    except RPCError as e:
        return e.status == RPCStatusCode.NOT_FOUND
    return False


async def test_unstorable_text_in_a_body_query_or_header_is_refused_at_the_edge(app: App) -> None:  # noqa: F811
    insp = app.token("insp-1", "inspector", "500107")
    r = await send(app, "POST", "/v1/tickets", json={"region": "500107", "title": "ok"}, headers=insp)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    handle = app.client.get_workflow_handle(cid)
    history = len((await handle.fetch_history()).events)

    # bodies: a NUL, an unpaired surrogate (JSON escapes), in a creation: no workflow is started
    bad_bodies = [
        (json.dumps({"region": "500107", "title": "a\u0000b"}).encode(), "title"),
        (b'{"region": "500107", "title": "x\\ud800"}', "title"),
        (b'{"region": "500107", "title": "x", "tags": {"k\\u0000": 1}}', "tags"),  # a key
    ]
    for i, (content, field) in enumerate(bad_bodies):
        key = f"bad-{i}"
        r = await send(
            app,
            "POST",
            "/v1/tickets",
            content=content,
            headers={**insp, "Content-Type": "application/json", "Idempotency-Key": key},
        )
        refused(r, "body", field)
        assert await not_started(app, case_id_for("ticket", INSPECTOR, key))

    # a command: nested value; the case is unchanged
    r = await send(
        app, "POST", f"/v1/tickets/{cid}/commands", json={"type": "note", "text": "x\u0000"}, headers=insp
    )
    refused(r, "body", "text")
    r = await send(
        app,
        "POST",
        f"/v1/tickets/{cid}/commands",
        json={"type": "note", "text": "ok", "extra": {"a": ["fine", "\u0000"]}},
        headers=insp,
    )
    refused(r, "body", "extra.a.1")

    # query values and names
    refused(await send(app, "GET", f"/v1/tickets/{cid}?note=a%00b", headers=insp), "query", "note")
    refused(await send(app, "GET", "/v1/tickets?status=open%00", headers=insp), "query", "status")
    # header values: a harmless one, and the idempotency key of a command
    refused(
        await send(app, "GET", f"/v1/tickets/{cid}", headers={**insp, "X-Trace": "a\x00b"}),
        "header",
        "x-trace",
    )
    r = await send(
        app,
        "POST",
        f"/v1/tickets/{cid}/commands",
        json={"type": "note", "text": "fine"},
        headers={**insp, "Idempotency-Key": "k\x00"},
    )
    refused(r, "header", "idempotency-key")

    assert len((await handle.fetch_history()).events) == history  # nothing reached the workflow
    got = (await send(app, "GET", f"/v1/tickets/{cid}", headers=insp)).json()
    assert got["version"] == 1 and got["notes"] == []

    # storable text passes: Chinese and a paired surrogate escape (an emoji) are fine
    r = await send(
        app,
        "POST",
        f"/v1/tickets/{cid}/commands",
        content=json.dumps({"type": "note", "text": "整改 \U0001f600"}).encode(),  # ASCII escapes
        headers={**insp, "Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["case"]["notes"] == ["整改 \U0001f600"]


def test_the_rules_refuse_unstorable_text_in_every_command_field() -> None:
    hazard = get_decider("hazard")
    body = {
        "type": "report",
        "title": "t",
        "enterprise_id": "ENT-1",
        "region": "500107",
        "source": "self_inspection",
        "category": "unsafe_act",
    }
    hazard.parse_command(body)  # storable: parses
    with pytest.raises(ValidationError) as err:
        hazard.parse_command({**body, "title": "a\x00b"})
    assert "U+0000" in err.value.errors()[0]["msg"]
    for change, loc in [
        ({"title": "a\x00b"}, ("report", "title")),
        ({"evidence": [{"uri": "s3://x\x00", "sha256": "0" * 64}]}, ("report", "evidence", 0, "uri")),
        ({"location": "\ud800"}, ("report", "location")),  # pydantic itself refuses a lone surrogate in a str
    ]:
        with pytest.raises(ValidationError) as err:
            hazard.parse_command({**body, **change})
        errors = err.value.errors()
        assert [e["loc"] for e in errors] == [loc], errors


async def recorded_status(engine: Any, case_id: str) -> str | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(cases.c.status).where(cases.c.id == case_id))).first()
    return None if row is None else str(row.status)


async def status_is(engine: Any, case_id: str, expected: str) -> bool:
    return await recorded_status(engine, case_id) == expected


async def test_a_command_the_database_refuses_fails_fast_and_the_case_keeps_working(harness) -> None:  # noqa: F811
    client, queue, engine = harness
    handle = await start(client, queue, ttl=8)
    async with asyncio.timeout(FAST):
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await handle.execute_update(
                TicketWorkflow.execute,
                CommandRequest(command={"type": "note", "text": f"{MARKER}\x00"}, actor=INSPECTOR),
            )
    cause = err.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "invalid_command", cause
    assert MARKER not in str(cause) and "INSERT" not in str(cause)
    assert (await handle.query(TicketWorkflow.state))["version"] == 1  # the state is as before
    # the timers still fire: the reminder, then the expiry closes the ticket
    assert await keeps_working(handle, engine) == ["opened", "noted", "reminded", "closed"]


async def keeps_working(handle: Any, engine: Any) -> list[str]:
    """The case accepts a good command, then its expiry closes it: the recorded event types."""
    async with asyncio.timeout(FAST):
        ok = await handle.execute_update(
            TicketWorkflow.execute, CommandRequest(command={"type": "note", "text": "fine"}, actor=INSPECTOR)
        )
    assert ok.version == 2
    await eventually(lambda: status_is(engine, handle.id, "closed"), "the expiry to fire")
    async with engine.connect() as conn:
        return [e.type for e in await read_stream(conn, handle.id)]


async def test_a_creation_the_database_refuses_fails_fast_and_leaves_no_live_workflow(harness) -> None:  # noqa: F811
    client, queue, engine = harness
    handle = await start(client, queue, title="t\x00", wait=False)
    case_id = handle.id
    async with asyncio.timeout(FAST):
        with pytest.raises(WorkflowUpdateFailedError) as err:
            await handle.execute_update(TicketWorkflow.created)
        assert isinstance(err.value.cause, ApplicationError) and err.value.cause.type == "invalid_command"
        with pytest.raises(WorkflowFailureError):
            await handle.result()
    assert (await handle.describe()).status == WorkflowExecutionStatus.FAILED
    assert await recorded_status(engine, case_id) is None


async def test_a_deadline_the_database_refuses_does_not_stop_the_case(harness) -> None:  # noqa: F811
    client, queue, engine = harness
    async with engine.begin() as conn:  # the database refuses the reminder's event (a check, SQLSTATE 23514)
        await conn.execute(text("ALTER TABLE events ADD CONSTRAINT no_reminders CHECK (type <> 'reminded')"))
    handle = await start(client, queue, ttl=8)

    async def reminder_refused() -> bool:
        async for e in handle.fetch_history_events():
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
                return True
        return False

    await eventually(reminder_refused, "the reminder to be refused")
    assert await keeps_working(handle, engine) == ["opened", "noted", "closed"]
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED


async def test_a_refused_record_leaves_no_plaintext_in_the_history(harness) -> None:  # noqa: F811
    client, queue, _ = harness
    handle = await start(client, queue)
    async with asyncio.timeout(FAST):
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(
                TicketWorkflow.execute,
                CommandRequest(command={"type": "note", "text": f"{MARKER}\x00"}, actor=INSPECTOR),
            )
    history = await handle.fetch_history()
    failed = [
        e.activity_task_failed_event_attributes.failure
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED
    ]
    assert len(failed) == 1
    assert failed[0].HasField("encoded_attributes") and failed[0].message == "Encoded failure"
    assert failed[0].application_failure_info.type == "unstorable_value"
    assert failed[0].application_failure_info.non_retryable
    raw = b"".join(e.SerializeToString() for e in history.events)
    for plain in (MARKER.encode(), b"INSERT", b"parameters", b"invalid byte sequence"):
        assert plain not in raw, plain


async def test_record_events_failure_names_the_sqlstate_and_statement_but_no_value(db_url) -> None:
    from datetime import UTC, datetime

    from store.db import make_engine

    engine = make_engine(db_url)
    try:
        inp = RecordEventsInput(
            stream_id="TK-raw",
            kind="ticket",
            expected_version=0,
            events=[EventData(type="opened", data={"title": f"{MARKER}\x00"})],
            actor=INSPECTOR,
            occurred_at=datetime.now(UTC),
            policy=POLICY.ref,
            command_id="create",
        )
        with pytest.raises(ApplicationError) as err:
            await ActivityEnvironment().run(StoreActivities(engine).record_events, inp)
    finally:
        await engine.dispose()
    e = err.value
    assert e.type == "unstorable_value" and e.non_retryable
    assert "SQLSTATE 22" in e.message and "insert events" in e.message, e.message
    assert MARKER not in e.message and e.__cause__ is None


async def test_the_service_answers_a_raw_unstorable_value_with_invalid_command(harness) -> None:  # noqa: F811
    client, queue, engine = harness
    svc = CaseService(client, engine, queue, POLICY)
    async with asyncio.timeout(FAST):
        with pytest.raises(InvalidCommand):
            await svc.create("ticket", {"region": "500107", "title": "t\x00"}, INSPECTOR)
        result, _ = await svc.create("ticket", {"region": "500107", "title": "t"}, INSPECTOR)
        case_id = result.case["id"]
        assert await recorded_status(engine, case_id) == "open"
        with pytest.raises(InvalidCommand):
            await svc.command("ticket", case_id, {"type": "note", "text": "\x00"}, INSPECTOR)
        ok = await svc.command("ticket", case_id, {"type": "note", "text": "fine"}, INSPECTOR)
    assert ok.version == 2


async def test_a_body_over_the_limit_is_413_before_it_is_read_and_changes_nothing(app: App) -> None:  # noqa: F811
    insp = app.token("insp-1", "inspector", "500107")
    r = await send(app, "POST", "/v1/tickets", json={"region": "500107", "title": "ok"}, headers=insp)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    handle = app.client.get_workflow_handle(cid)
    history = len((await handle.fetch_history()).events)
    limit = app.settings.max_body_bytes
    huge = json.dumps({"type": "note", "text": "隐" * limit}).encode()

    async def chunks() -> Any:  # no Content-Length: the bound holds on what has arrived
        for i in range(0, len(huge), 65536):
            yield huge[i : i + 65536]

    for content in (huge, chunks()):
        r = await send(
            app,
            "POST",
            f"/v1/tickets/{cid}/commands",
            content=content,
            headers={**insp, "Content-Type": "application/json"},
        )
        assert r.status_code == 413, r.text
        doc = r.json()
        assert (doc["code"], doc["limit"]) == ("payload_too_large", limit), doc
    assert len((await handle.fetch_history()).events) == history
    # a body within the limit is read and applied as usual
    r = await send(
        app, "POST", f"/v1/tickets/{cid}/commands", json={"type": "note", "text": "x" * 1000}, headers=insp
    )
    assert r.status_code == 200 and r.json()["case"]["version"] == 2, r.text
