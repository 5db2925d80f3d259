"""Record workflow histories for the replay tests (`make record-histories`).

    python -m tests.histories.record              # every scenario
    python -m tests.histories.record happy_path   # only these
    python -m tests.histories.record --list

Starts its own Temporal dev server and PostgreSQL, runs each scenario against a worker with every
workflow of the project (plus the test `ticket` workflow), and writes one JSON file per workflow run:
`tests/histories/<WorkflowType>__<scenario>[-<n>][-run<k>].json` (`-<n>` for the scenario's further
workflow ids, `-run<k>` for runs after a continue-as-new). The files are `WorkflowHistory.to_json()`;
payloads are encrypted with the fixed test key of tests/support/servers.py, so they replay in CI.

Adding a path: write `async def my_path(client, task_queue) -> list[str]` that drives one or more cases
to the state worth keeping (usually closed) and returns the workflow ids to record; register it with
`@scenario("hazard_major_listed")` (names are unique across kinds: prefix them with the kind). Run
`make record-histories`, review and commit the new files. Re-record an existing scenario only when its
old history no longer describes a path worth protecting: recorded histories are the promise that old
workflows still replay.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import structlog
from temporalio.client import Client

from activities.archive import ArchiveActivities
from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.policy import parse_pack
from starter.audit import load_histories, replay_workflows, workflow_name
from starter.settings import REPO_ROOT
from store.db import make_engine
from tests.support.servers import PgServer, start_dev_server, unique_queue  # sets the test seal key first
from tests.support.ticket_workflow import TicketWorkflow
from worker import build_worker
from workflows.archiver import ArchiveInput, ArchiverWorkflow
from workflows.contracts import CaseInput, CommandRequest

log = structlog.get_logger("hazardloop.record")

HERE = Path(__file__).resolve().parent
PASSTHROUGH = ["tests.support.ticket"]
Scenario = Callable[[Client, str], Awaitable[list[str]]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        if name in SCENARIOS:
            raise ValueError(f"scenario {name!r} is registered twice")
        SCENARIOS[name] = fn
        return fn

    return register


# ---- the ticket workflow (the shared case loop, independent of the domain deciders) -------------------

TEST_POLICY = parse_pack((REPO_ROOT / "policies" / "test-fast.toml").read_text())
INSPECTOR = Actor(id="insp-1", name="Inspector One", role=Role.inspector, region="500107")


async def _open_ticket(client: Client, task_queue: str, ttl: int = 3600) -> Any:
    case_id = f"TK-REC-{uuid.uuid4().hex[:10].upper()}"
    handle = await client.start_workflow(
        TicketWorkflow.run,
        CaseInput(
            case_id=case_id,
            kind="ticket",
            policy=TEST_POLICY,
            actor=INSPECTOR,
            command={"type": "open", "region": "500107", "title": "recorded", "ttl_seconds": ttl},
            command_id="create",
        ),
        id=case_id,
        task_queue=task_queue,
    )
    await handle.execute_update(TicketWorkflow.created)
    return handle


async def _execute(handle: Any, command: dict[str, Any], command_id: str | None = None) -> None:
    await handle.execute_update(
        TicketWorkflow.execute, CommandRequest(command=command, actor=INSPECTOR, command_id=command_id)
    )


@scenario("happy_path")
async def ticket_happy_path(client: Client, task_queue: str) -> list[str]:
    """open → note (with a command id) → close."""
    handle = await _open_ticket(client, task_queue)
    await _execute(handle, {"type": "note", "text": "checked"}, "note-1")
    await _execute(handle, {"type": "close", "reason": "fixed"})
    await handle.result()
    return [handle.id]


@scenario("deadline_fired")
async def ticket_deadline_fired(client: Client, task_queue: str) -> list[str]:
    """open with a short ttl: the reminder, then the expiry fire through `deadline_elapsed`."""
    handle = await _open_ticket(client, task_queue, ttl=2)
    await handle.result()
    return [handle.id]


@scenario("parent_with_child")
async def ticket_parent_with_child(client: Client, task_queue: str) -> list[str]:
    """spawn a child ticket; the child closes and tells its parent; then the parent closes."""
    parent = await _open_ticket(client, task_queue)
    await _execute(parent, {"type": "spawn", "title": "child"})
    child = client.get_workflow_handle(f"{parent.id}-c1")
    await _wait_created(child)
    await _execute(child, {"type": "close", "reason": "child done"})
    await child.result()
    for _ in range(200):  # bounded: the parent records child_closed from the child's signal
        state = await parent.query(TicketWorkflow.state)
        if state["children"].get(child.id) == "closed":
            break
        await asyncio.sleep(0.05)
    else:
        raise RuntimeError("the parent never recorded its child's closure")
    await _execute(parent, {"type": "close", "reason": "all done"})
    await parent.result()
    return [parent.id, child.id]


async def _wait_created(handle: Any) -> None:
    for _ in range(200):
        try:
            await handle.execute_update(TicketWorkflow.created)
            return
        except Exception:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{handle.id} was never created")


# ---- the archiver ----------------------------------------------------------------------------------------


@scenario("archive_pass")
async def archiver_pass(client: Client, task_queue: str) -> list[str]:
    """one archiver run over the closed cases of this task queue."""
    await ticket_happy_path(client, task_queue)
    wid = f"archiver-rec-{uuid.uuid4().hex[:8]}"
    await client.execute_workflow(
        ArchiverWorkflow.run, ArchiveInput(task_queue=task_queue), id=wid, task_queue=task_queue
    )
    return [wid]


# ---- recording -------------------------------------------------------------------------------------------


def file_names(workflow_type: str, name: str, index: int, run: int, runs: int) -> str:
    suffix = (f"-{index + 1}" if index else "") + (f"-run{run + 1}" if runs > 1 else "")
    return f"{workflow_type}__{name}{suffix}.json"


async def record(names: list[str], out: Path = HERE) -> list[Path]:
    pg = PgServer()
    await pg.start()
    env = await start_dev_server()
    engine = make_engine(await pg.fresh_database())
    written: list[Path] = []
    try:
        workflows, passthrough = replay_workflows()
        classes = {workflow_name(c): c for c in [*workflows, TicketWorkflow, ArchiverWorkflow]}
        task_queue = unique_queue("record")
        worker = build_worker(
            env.client,
            task_queue,
            StoreActivities(engine),
            workflows=list(classes.values()),
            extra_activities=[ArchiveActivities(env.client, engine).archive_closed_histories],
            extra_passthrough=[*passthrough, *PASSTHROUGH],
        )
        async with worker:
            for name in names:
                ids = await SCENARIOS[name](env.client, task_queue)
                for i, wid in enumerate(ids):
                    runs, problems = await load_histories(env.client, engine, wid)
                    if problems or not runs:
                        raise RuntimeError(f"{name}: cannot read the history of {wid}: {problems}")
                    for k, run in enumerate(runs):
                        path = out / file_names(run.workflow_type, name, i, k, len(runs))
                        path.write_text(run.history.to_json() + "\n", encoding="utf-8")
                        written.append(path)
                        log.info("history recorded", scenario=name, workflow_id=wid, file=path.name)
    finally:
        await engine.dispose()
        await env.shutdown()
        pg.stop()
    return written


def main(argv: list[str]) -> int:
    if "--list" in argv:
        for name, fn in SCENARIOS.items():
            print(f"{name:24} {(fn.__doc__ or '').strip()}")
        return 0
    names = argv or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenarios {unknown}; known: {sorted(SCENARIOS)}", file=sys.stderr)
        return 2
    from starter.logging import configure_logging

    configure_logging("WARNING")
    for path in asyncio.run(record(names)):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
