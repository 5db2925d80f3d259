"""Replay a workflow's histories (every run) against the current code with the `Replayer`, reporting the
first divergence; in bulk over a visibility query. `register_replay_workflows` adds classes (tests
register their `ticket` workflow)."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import structlog
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.service import RPCError
from temporalio.worker import Replayer

from audit.models import BulkFailure, BulkReplayReport, ReplayReport, ReplayRun, RunHistory, run_of, ts

log = structlog.get_logger("hazardloop.audit")

# ---- which workflow classes replay runs against --------------------------------------------------------

_EXTRA_WORKFLOWS: dict[str, type] = {}
_EXTRA_PASSTHROUGH: list[str] = []


def workflow_name(cls: type) -> str:
    defn = getattr(cls, "__temporal_workflow_definition", None)
    if defn is None or not isinstance(defn.name, str):
        raise TypeError(f"{cls!r} is not a @workflow.defn class")
    return defn.name


def register_replay_workflows(classes: Sequence[type], passthrough: Sequence[str] = ()) -> None:
    """Replay also against these classes (tests register the `ticket` workflow); same name replaces."""
    for cls in classes:
        _EXTRA_WORKFLOWS[workflow_name(cls)] = cls
    for mod in passthrough:
        if mod not in _EXTRA_PASSTHROUGH:
            _EXTRA_PASSTHROUGH.append(mod)


@functools.cache
def _project_workflows() -> tuple[type, ...]:
    from workflows.archiver import ArchiverWorkflow

    classes: list[type] = []
    try:
        from worker import workflow_classes

        classes.extend(workflow_classes())
    except (KeyError, ImportError) as e:  # a case kind whose decider is not there yet
        log.warning("case workflows not all available for replay", error=str(e))
    return (*classes, ArchiverWorkflow)


def replay_workflows() -> tuple[list[type], list[str]]:
    """(workflow classes, extra pass-through modules): the current code every replay runs against."""
    classes = {workflow_name(c): c for c in _project_workflows()}
    classes.update(_EXTRA_WORKFLOWS)
    return list(classes.values()), list(_EXTRA_PASSTHROUGH)


# ---- replay -------------------------------------------------------------------------------------------


def _replayer(
    converter: DataConverter,
    executor: ThreadPoolExecutor,
    workflows: Sequence[type] | None,
    passthrough: Sequence[str] | None,
) -> Replayer:
    from worker import workflow_runner

    default_wf, default_pt = replay_workflows()
    return Replayer(
        workflows=list(workflows) if workflows is not None else default_wf,
        data_converter=converter,
        workflow_runner=workflow_runner(list(passthrough) if passthrough is not None else default_pt),
        workflow_task_executor=executor,
    )


def _failure_text(e: BaseException) -> tuple[str, str]:
    return type(e).__name__, str(e)


async def replay_runs(
    workflow_id: str,
    runs: Sequence[RunHistory],
    converter: DataConverter,
    *,
    workflows: Sequence[type] | None = None,
    passthrough: Sequence[str] | None = None,
) -> ReplayReport:
    """Replay each run against the current code; the report names the first divergence."""
    results: list[ReplayRun] = []
    if runs:
        with ThreadPoolExecutor(max_workers=4) as executor:
            replayer = _replayer(converter, executor, workflows, passthrough)
            for run in runs:
                try:
                    res = await replayer.replay_workflow(run.history, raise_on_replay_failure=False)
                    failure: BaseException | None = res.replay_failure
                except Exception as e:  # a history the replayer cannot even start on
                    failure = e
                et, msg = _failure_text(failure) if failure else (None, None)
                results.append(
                    ReplayRun(
                        workflow_id=workflow_id,
                        run_id=run.run_id,
                        workflow_type=run.workflow_type,
                        source=run.source,
                        ok=failure is None,
                        error_type=et,
                        error=msg,
                    )
                )
    first = next((f"{r.error_type}: {r.error}" for r in results if not r.ok), None)
    return ReplayReport(
        workflow_id=workflow_id,
        ok=bool(results) and all(r.ok for r in results),
        runs=results,
        first_divergence=first if results else "no history to replay",
    )


def visibility_query(
    workflow_type: str | None = None, since: datetime | None = None, until: datetime | None = None
) -> str:
    parts: list[str] = []
    if workflow_type:
        if "'" in workflow_type:
            raise ValueError("a workflow type has no quotes")
        parts.append(f"WorkflowType = '{workflow_type}'")
    if since:
        parts.append(f"StartTime >= '{ts(since).astimezone(UTC).isoformat().replace('+00:00', 'Z')}'")
    if until:
        parts.append(f"StartTime <= '{ts(until).astimezone(UTC).isoformat().replace('+00:00', 'Z')}'")
    return " AND ".join(parts)


async def replay_all(
    client: Client,
    converter: DataConverter,
    *,
    workflow_type: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    workflows: Sequence[type] | None = None,
    passthrough: Sequence[str] | None = None,
    on_total: Callable[[int], None] | None = None,
    on_progress: Callable[[ReplayRun], None] | None = None,
) -> BulkReplayReport:
    """Replay every history matching a visibility query; one failure does not stop the others."""
    query = visibility_query(workflow_type, since, until)
    executions = [e async for e in client.list_workflows(query or None)]
    if on_total:
        on_total(len(executions))
    failures: list[BulkFailure] = []
    replayed = 0
    fetch_failures: list[BulkFailure] = []

    async def histories() -> AsyncIterator[WorkflowHistory]:
        for e in executions:
            try:
                yield await client.get_workflow_handle(e.id, run_id=e.run_id).fetch_history()
            except RPCError as err:
                fetch_failures.append(
                    BulkFailure(
                        workflow_id=e.id,
                        run_id=e.run_id,
                        workflow_type=e.workflow_type,
                        error_type="RPCError",
                        error=f"history not fetched: {err.message}",
                    )
                )
                if on_progress:
                    on_progress(
                        ReplayRun(
                            workflow_id=e.id,
                            run_id=e.run_id,
                            workflow_type=e.workflow_type,
                            source="server",
                            ok=False,
                            error=err.message,
                        )
                    )

    with ThreadPoolExecutor(max_workers=4) as executor:
        replayer = _replayer(converter, executor, workflows, passthrough)
        async with replayer.workflow_replay_iterator(histories()) as results:
            async for res in results:
                replayed += 1
                run = run_of(res.history, "server")
                et, msg = _failure_text(res.replay_failure) if res.replay_failure else (None, None)
                rr = ReplayRun(
                    workflow_id=res.history.workflow_id,
                    run_id=run.run_id,
                    workflow_type=run.workflow_type,
                    source="server",
                    ok=res.replay_failure is None,
                    error_type=et,
                    error=msg,
                )
                if not rr.ok:
                    failures.append(
                        BulkFailure(
                            workflow_id=rr.workflow_id,
                            run_id=rr.run_id,
                            workflow_type=rr.workflow_type,
                            error_type=et,
                            error=msg or "",
                        )
                    )
                if on_progress:
                    on_progress(rr)
    failures = fetch_failures + failures
    log.info("bulk replay", query=query, replayed=replayed, failed=len(failures))
    return BulkReplayReport(query=query, replayed=replayed, failed=len(failures), failures=failures)
