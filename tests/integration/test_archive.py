"""The history archive on the real dev server and PostgreSQL: the scheduled archiver, audit after the
workflow is gone from Temporal, and an edited archived history caught by verify."""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from activities.archive import (
    ArchiveActivities,
    ensure_archive_schedule,
    history_bytes,
    sha256_hex,
)
from activities.contracts import ArchiveInput, ArchiveResult
from activities.store import StoreActivities
from audit.archive import read_archived
from harness.apptest import App, running_app
from harness.servers import unique_queue
from runtime.embedded import venv_binary
from runtime.temporal_client import data_converter
from store.schema import history_archive
from tests.integration.test_audit import auditor_headers, cli, cli_env, closed_ticket, poll
from tests.support.ticket_workflow import TicketWorkflow
from worker import build_worker
from workflows.archiver import ArchiverWorkflow
from workflows.kinds import HazardWorkflow
from workflows.search_attributes import ALL_KEYS

pytestmark = pytest.mark.usefixtures("cli_env")
__all__ = ["cli_env"]  # the fixture, shared with test_audit


@pytest.fixture(scope="module")
async def delete_env() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server that deletes closed workflows within seconds: DeleteWorkflowExecution of a closed run
    waits for the visibility queue's ack level, persisted every 30 s by default."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=ALL_KEYS,
        data_converter=data_converter(),
        dev_server_log_level="error",
        dev_server_extra_args=[
            "--dynamic-config-value",
            'history.visibilityProcessorUpdateAckInterval="500ms"',
            "--dynamic-config-value",
            'history.transferProcessorUpdateAckInterval="500ms"',
        ],
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def app(delete_env: WorkflowEnvironment, db_url: str) -> AsyncIterator[App]:
    """The API + ticket worker, and an archiver worker (ArchiverWorkflow + its activity)."""
    async with running_app(
        delete_env.client,
        db_url,
        workflows=[TicketWorkflow, HazardWorkflow],
        extra_passthrough=["tests.support.ticket"],
    ) as a:
        archiver = ArchiveActivities(a.client, a.engine)
        queue = unique_queue("archiver")
        worker = build_worker(
            a.client,
            queue,
            StoreActivities(a.engine),
            workflows=[ArchiverWorkflow],
            extra_activities=[archiver.archive_closed_histories],
        )
        async with worker:
            a.archiver_queue = queue  # type: ignore[attr-defined]
            yield a


async def run_archiver(app: App) -> ArchiveResult:
    result: ArchiveResult = await app.client.execute_workflow(
        ArchiverWorkflow.run,
        ArchiveInput(task_queue=app.queue),
        id=f"archiver-{uuid.uuid4().hex[:8]}",
        task_queue=app.archiver_queue,  # type: ignore[attr-defined]
    )
    return result


async def archived_ids(app: App) -> set[str]:
    async with app.engine.connect() as conn:
        return set((await conn.execute(select(history_archive.c.workflow_id))).scalars())


async def delete_from_temporal(app: App, case_id: str) -> None:
    await app.client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=app.client.namespace, workflow_execution=WorkflowExecution(workflow_id=case_id)
        )
    )

    async def gone() -> bool:
        try:
            await app.client.get_workflow_handle(case_id).describe()
        except RPCError as e:
            return e.status == RPCStatusCode.NOT_FOUND
        return False

    await poll(gone, f"{case_id} to be deleted from Temporal")


async def test_the_schedule_archives_closed_cases_idempotently(app: App) -> None:
    closed = await closed_ticket(app)
    still_open = (
        await app.http.post(
            "/v1/tickets", json={"region": "500107", "title": "open"}, headers=app.token("i", "inspector")
        )
    ).json()["id"]
    schedule_id = f"archiver-{uuid.uuid4().hex[:8]}"
    queue = app.archiver_queue  # type: ignore[attr-defined]
    inp = ArchiveInput(task_queue=app.queue)
    assert await ensure_archive_schedule(app.client, queue, schedule_id=schedule_id, inp=inp) == schedule_id
    assert await ensure_archive_schedule(app.client, queue, schedule_id=schedule_id, inp=inp) == schedule_id
    handle = app.client.get_schedule_handle(schedule_id)
    try:
        await handle.trigger()

        async def archived() -> bool:
            return closed in await archived_ids(app)

        await poll(archived, "the scheduled archiver to archive the closed case")
    finally:
        await handle.delete()
    assert still_open not in await archived_ids(app)
    [run] = await read_archived(app.engine, closed)
    assert run.problem is None and run.workflow_type == "TicketWorkflow"
    assert run.sha256 == sha256_hex(run.raw or b"")
    server = await app.client.get_workflow_handle(closed).fetch_history()
    assert run.event_count == len(server.events) and run.raw == history_bytes(server)
    # a second pass archives nothing new (and checks the stored copy against the server's)
    again = await ArchiveActivities(app.client, app.engine).archive_closed_histories(
        ArchiveInput(task_queue=app.queue, full_scan=True)
    )
    assert again.archived == 0 and again.already_archived >= 1 and again.failed == []


async def test_audit_from_the_archive_after_the_workflow_is_deleted(app: App) -> None:
    case_id = await closed_ticket(app)
    result = await run_archiver(app)
    assert result.archived >= 1 and result.failed == []
    await delete_from_temporal(app, case_id)

    trail = (await app.http.get(f"/v1/tickets/{case_id}/audit", headers=auditor_headers(app))).json()
    assert [s["events"][0]["type"] for s in trail["steps"]] == ["opened", "noted", "closed"]
    verification = trail["verification"]
    assert verification["ok"] is True, verification
    assert [h["source"] for h in verification["histories"]] == ["archive"]
    assert verification["events_implied"] == verification["events_in_store"] == 3
    replay = (await app.http.get(f"/v1/tickets/{case_id}/audit/replay", headers=auditor_headers(app))).json()
    assert replay["ok"] is True and [r["source"] for r in replay["runs"]] == ["archive"]
    res = await cli("audit", "verify", case_id)
    assert res.exit_code == 0, res.output
    res = await cli("audit", "replay", case_id)
    assert res.exit_code == 0 and "from archive" in res.output, res.output
    bundle = (await app.http.get(f"/v1/tickets/{case_id}/audit/export", headers=auditor_headers(app))).json()
    assert [h["source"] for h in bundle["histories"]] == ["archive"]
    assert bundle["policy_pack"]["id"] == "test-fast"


def _drop_record_events(raw: bytes, occurrence: int) -> bytes:
    """Rename the n-th `record_events` activity of a history: the history then implies one event fewer."""
    doc = json.loads(raw)
    seen = 0
    for ev in doc["events"]:
        attrs = ev.get("activityTaskScheduledEventAttributes")
        if attrs and attrs["activityType"]["name"] == "record_events":
            seen += 1
            if seen == occurrence:
                attrs["activityType"]["name"] = "something_else"
    return json.dumps(doc).encode()


async def test_an_edited_archived_history_is_caught(app: App) -> None:
    case_id = await closed_ticket(app)
    await run_archiver(app)
    async with app.engine.begin() as conn:
        stored = (
            await conn.execute(
                select(history_archive.c.history).where(history_archive.c.workflow_id == case_id)
            )
        ).scalar_one()
        edited = _drop_record_events(zlib.decompress(stored), occurrence=2)  # the `note` command
        await conn.execute(
            update(history_archive)
            .where(history_archive.c.workflow_id == case_id)
            .values(history=zlib.compress(edited))
        )
    # still on the server: the archived copy no longer matches its sha nor the server's history
    r = await app.http.get(f"/v1/tickets/{case_id}/audit/verify", headers=auditor_headers(app))
    problems = {(f["check"], f["problem"].split(":")[0]) for f in r.json()["findings"]}
    assert ("archive", "archived history sha256 mismatch") in problems, problems
    assert ("archive", "archived history differs from the server's") in problems

    await delete_from_temporal(app, case_id)
    res = await cli("audit", "verify", case_id, "--json")
    assert res.exit_code == 1, res.output
    findings = json.loads(res.output)["findings"]
    archive = [f for f in findings if f["check"] == "archive"]
    assert archive and archive[0]["problem"].startswith("archived history sha256 mismatch")
    events = [(f["version"], f["problem"]) for f in findings if f["check"] == "events"]
    assert events == [(2, "in the event store but not implied by the history")]
    assert any(f["check"] == "replay" for f in findings)  # the edited history no longer replays


async def test_an_archive_copy_with_a_recomputed_sha_is_still_caught(app: App) -> None:
    case_id = await closed_ticket(app)
    await run_archiver(app)
    [run] = await read_archived(app.engine, case_id)
    edited = _drop_record_events(run.raw or b"", occurrence=3)  # the `close` command
    WorkflowHistory.from_json(case_id, edited.decode())  # still a well-formed history
    async with app.engine.begin() as conn:
        await conn.execute(
            update(history_archive)
            .where(history_archive.c.workflow_id == case_id)
            .values(history=zlib.compress(edited), sha256=sha256_hex(edited))
        )
    await delete_from_temporal(app, case_id)
    res = await cli("audit", "verify", case_id, "--json")
    assert res.exit_code == 1
    findings = json.loads(res.output)["findings"]
    assert [(f["version"], f["problem"]) for f in findings if f["check"] == "events"] == [
        (3, "in the event store but not implied by the history")
    ]


async def test_a_closed_hazard_audited_from_the_archive_and_read_as_of_three_moments(app: App) -> None:
    ent = app.token("ent-1", "enterprise", "500107", "ENT-A")
    insp = app.token("insp-1", "inspector", "500107")
    sup = app.token("sup-1", "supervisor", "500100")
    aud = app.token("aud-1", "auditor", "500000")
    report = {
        "title": "t",
        "enterprise_id": "ENT-A",
        "region": "500107",
        "source": "self_inspection",
        "category": "unsafe_act",
    }
    r = await app.http.post("/v1/hazards", json=report, headers=ent)
    assert r.status_code == 201, r.text
    hid = r.json()["id"]
    for who, body in (
        (insp, {"type": "grade", "level": "general"}),
        (ent, {"type": "submit_rectification", "summary": "done"}),
        (sup, {"type": "review", "passed": True, "comment": "ok"}),
    ):
        r = await app.http.post(f"/v1/hazards/{hid}/commands", json=body, headers=who)
        assert r.status_code == 200, r.text
    await app.client.get_workflow_handle(hid).result()
    events = (await app.http.get(f"/v1/hazards/{hid}/events", headers=aud)).json()["events"]
    moments = [events[i]["occurred_at"] for i in (0, 1, 3)]  # reported, graded, reviewed
    views = [
        (await app.http.get(f"/v1/hazards/{hid}", params={"as_of": at}, headers=aud)).json() for at in moments
    ]
    assert [(v["status"], v["version"]) for v in views] == [("reported", 1), ("rectifying", 2), ("closed", 4)]

    result = await run_archiver(app)
    assert hid in await archived_ids(app) and result.failed == []
    await delete_from_temporal(app, hid)
    trail = (await app.http.get(f"/v1/hazards/{hid}/audit", headers=aud)).json()
    assert [s["events"][0]["type"] for s in trail["steps"]][:2] == ["hazard_reported", "graded"]
    assert trail["verification"]["ok"] is True, trail["verification"]
    assert [h["source"] for h in trail["verification"]["histories"]] == ["archive"]
    replay = (await app.http.get(f"/v1/hazards/{hid}/audit/replay", headers=aud)).json()
    assert replay["ok"] is True
    res = await cli("audit", "verify", hid)
    assert res.exit_code == 0, res.output
