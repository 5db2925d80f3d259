"""The worker: connects with the pydantic data converter, registers workflows and activities, shuts down
gracefully on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.archive import ArchiveActivities
from activities.bulletin import BulletinActivities
from activities.campaigns import CampaignActivities
from activities.daily_reports import DailyReportActivities
from activities.duties import DutyActivities
from activities.reports import ReportActivities
from activities.store import StoreActivities
from domain.policy import PolicyPack, parse_pack
from runtime.metrics import worker_runtime
from runtime.settings import Settings
from runtime.temporal_client import connect, connect_options, describe
from runtime.tracing import instrument_engine
from store.db import make_engine
from workflows.archiver import ArchiverWorkflow
from workflows.bulletin import EnforcementBulletinWorkflow
from workflows.daily_reports import DailyReportSweepWorkflow
from workflows.duties import DutySweepWorkflow
from workflows.reports import OverdueSweepWorkflow, ReportWorkflow

log = structlog.get_logger(__name__)

# pure modules shared by workflows: imported once, outside the sandbox
PASSTHROUGH = (
    "domain",
    "activities.contracts",
    "workflows.contracts",
    "workflows.search_attributes",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    # the log formatter (structlog, which loads rich lazily) runs when workflow.logger emits a record;
    # never re-import it inside the sandbox, where rich's import-time os.getcwd() is refused
    "structlog",
    "rich",
)

# a task the worker's process runs beside the worker, on its engine, until `stop` (the entry point passes the
# outbox drainer: notify/ sits above worker.py, so worker.py never imports it)
Alongside = Callable[[AsyncEngine, asyncio.Event], Coroutine[Any, Any, None]]

# the sticky cache bound: past it the least recently used workflow is evicted and replayed from its history
# when it next has work, so a worker's memory stays flat however many cases are open (bench: open cases)
MAX_CACHED_WORKFLOWS = 2000


def workflow_runner(extra_passthrough: Sequence[str] = ()) -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH, *extra_passthrough)
    )


def workflow_classes() -> list[type]:
    from workflows.kinds import WORKFLOW_BY_KIND

    return list(WORKFLOW_BY_KIND.values())


def with_records(workflows: Sequence[type]) -> list[type]:
    """A hazard or incident workflow starts its enterprise's record on its own task queue
    (workflows/case.py): a worker that runs one runs the record's workflow too."""
    from workflows.kinds import WORKFLOW_BY_KIND

    out = list(workflows)
    record = WORKFLOW_BY_KIND.get("enterprise")
    tellers = {WORKFLOW_BY_KIND.get("hazard"), WORKFLOW_BY_KIND.get("incident")} - {None}
    if record is not None and record not in out and tellers & set(out):
        out.append(record)
    return out


def activity_functions(store: StoreActivities, extra: Sequence[Any] = ()) -> list[Any]:
    return [
        store.record_events,
        CampaignActivities(store.engine).campaign_overdue,
        BulletinActivities(store.engine).generate_bulletin,
        *extra,
    ]


def build_worker(
    client: Client,
    task_queue: str,
    store: StoreActivities,
    *,
    max_cached_workflows: int = MAX_CACHED_WORKFLOWS,
    workflows: Sequence[type] | None = None,
    extra_activities: Sequence[Any] = (),
    extra_passthrough: Sequence[str] = (),
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=with_records(workflows) if workflows is not None else workflow_classes(),
        activities=activity_functions(store, extra_activities),
        workflow_runner=workflow_runner(extra_passthrough),
        max_cached_workflows=max_cached_workflows,
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


def _policy(settings: Settings) -> PolicyPack:
    """The pack in force for the duty sweep (HAZARDLOOP_POLICY: an id in the policy directory, or a path)."""
    name = Path(settings.policy)
    path = name if name.suffix == ".toml" else settings.policy_dir / f"{settings.policy}.toml"
    return parse_pack(path.read_text(encoding="utf-8"))


async def run_worker(
    settings: Settings, *, stop: asyncio.Event | None = None, alongside: Sequence[Alongside] = ()
) -> None:
    client = await connect(settings, worker_runtime(settings))
    engine = make_engine(settings.resolved_database_url, **settings.database_options())
    instrument_engine(engine, settings)
    store = StoreActivities(engine)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    archiver = ArchiveActivities(client, engine)
    reports = ReportActivities(engine)
    duties = DutyActivities(engine, _policy(settings))
    daily = DailyReportActivities(engine)
    worker = build_worker(
        client,
        settings.temporal_task_queue,
        store,
        workflows=[
            *workflow_classes(),
            ArchiverWorkflow,
            ReportWorkflow,
            OverdueSweepWorkflow,
            EnforcementBulletinWorkflow,
            DutySweepWorkflow,
            DailyReportSweepWorkflow,
        ],
        extra_activities=[
            archiver.archive_closed_histories,
            reports.generate_report,
            reports.overdue_sweep,
            duties.duty_sweep,
            daily.sweep_daily_reports,
        ],
    )
    where = describe(connect_options(settings))
    log.info("worker starting", task_queue=settings.temporal_task_queue, **where)
    async with worker:
        tasks = [asyncio.create_task(job(engine, stop)) for job in alongside]
        await stop.wait()
        log.info("worker stopping")
        await asyncio.gather(*tasks)
    await engine.dispose()
    log.info("worker stopped")
