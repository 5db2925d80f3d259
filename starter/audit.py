"""The auditor (ARCHITECTURE.md, the third shell): show and verify what happened to a case.

- **trail**: every step in order — when, who, which command, which events the rules decided, under which
  policy pack, which deadlines were set / moved / met / elapsed, which notifications went out;
- **verify**: the event-store hash chain is intact; the event store holds exactly the events the Temporal
  history implies (the inputs of every completed `record_events` activity); the projection row equals a
  fold of the events; archived histories are intact; the history replays against the current code;
- **replay**: the workflow's histories (all runs, following continue-as-new) replayed with the
  `Replayer`, reporting the first divergence; in bulk over a visibility query;
- **export / verify_bundle**: a self-contained JSON bundle (histories, events with hashes, policy pack,
  projection row, sha256) that can be verified offline.

Histories come from the Temporal server when it still has them and from the archive
(`history_archive`, activities/archive.py) otherwise, transparently.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from activities.archive import ArchivedRun, history_bytes, read_archived, sha256_hex
from activities.contracts import RECORD_EVENTS, RecordEventsInput
from domain.access import check_read
from domain.actors import Actor, Role
from domain.registry import get_decider
from store.events import CONTENT_HASH_MISMATCH, StoredEvent, read_stream, redact, verify_chain
from store.projector import fold_records, projection_values
from store.queries import get_case
from store.schema import notifications
from workflows.contracts import CaseInput, key_of

log = structlog.get_logger("hazardloop.audit")

BUNDLE_FORMAT = "hazardloop.audit-bundle/1"

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


# ---- reports ----------------------------------------------------------------------------------------------

Check = Literal["chain", "events", "projection", "archive", "history", "replay", "bundle", "evidence"]


class Finding(BaseModel):
    """One precise difference: which check, which stream and version (or run), what differs."""

    check: Check
    stream_id: str
    version: int | None = None
    run_id: str | None = None
    field: str | None = None
    problem: str
    expected: Any = None
    found: Any = None

    def line(self) -> str:
        where = self.stream_id + (f" v{self.version}" if self.version is not None else "")
        where += f" run {self.run_id}" if self.run_id else ""
        what = f"{self.field}: " if self.field else ""
        tail = ""
        if self.expected is not None or self.found is not None:
            tail = f" (expected {_short(self.expected)}, found {_short(self.found)})"
        return f"[{self.check}] {where}: {what}{self.problem}{tail}"


class ReplayRun(BaseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    source: Literal["server", "archive", "bundle", "file"]
    ok: bool
    error_type: str | None = None
    error: str | None = None


class ReplayReport(BaseModel):
    workflow_id: str
    ok: bool
    runs: list[ReplayRun]
    first_divergence: str | None = Field(default=None, description="the first failure's message, if any")


class HistorySource(BaseModel):
    run_id: str
    workflow_type: str
    source: Literal["server", "archive", "bundle", "file"]
    events: int


class VerifyReport(BaseModel):
    case_id: str
    kind: str
    ok: bool
    checked_at: datetime
    histories: list[HistorySource]
    events_in_store: int
    events_implied: int
    findings: list[Finding]
    replay: ReplayReport | None


class DeadlineChange(BaseModel):
    key: str
    kind: str
    change: Literal["set", "moved", "met", "elapsed"]
    due_at: datetime
    previous_due_at: datetime | None = None
    note: str = ""


class TrailEvent(BaseModel):
    version: int
    type: str
    data: dict[str, Any]
    hash: str


class TrailNotification(BaseModel):
    version: int
    kind: str
    recipient_role: str
    recipient_party: str
    due_at: datetime | None
    subject: str
    status: str
    attempts: int
    delivered_at: datetime | None
    last_error: str | None


class Step(BaseModel):
    n: int
    at: datetime
    actor: dict[str, Any]
    command_id: str | None
    policy: dict[str, str]
    status_before: str | None
    status_after: str
    events: list[TrailEvent]
    deadlines: list[DeadlineChange]
    notifications: list[TrailNotification]


class Trail(BaseModel):
    case_id: str
    kind: str
    status: str
    version: int
    steps: list[Step]
    verification: VerifyReport | None = None


class BulkFailure(BaseModel):
    workflow_id: str
    run_id: str
    workflow_type: str
    error_type: str | None
    error: str


class BulkReplayReport(BaseModel):
    query: str
    replayed: int
    failed: int
    failures: list[BulkFailure]

    @property
    def ok(self) -> bool:
        return self.failed == 0


class CaseNotFound(LookupError):
    def __init__(self, case_id: str, kind: str | None = None) -> None:
        super().__init__(f"no {kind or 'case'} with id {case_id}")
        self.case_id = case_id
        self.kind = kind


# ---- helpers ------------------------------------------------------------------------------------------


def _short(v: Any, n: int = 160) -> str:
    s = v if isinstance(v, str) else json.dumps(to_jsonable_python(v), ensure_ascii=False, sort_keys=True)
    return s if len(s) <= n else s[: n - 1] + "…"


def _norm(v: Any) -> Any:
    """JSON-normal form for comparisons (datetimes as ISO strings, tuples as lists...)."""
    return json.loads(json.dumps(to_jsonable_python(v), sort_keys=True, default=str))


def _canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def _ts(v: datetime | str) -> datetime:
    t = datetime.fromisoformat(v) if isinstance(v, str) else v
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass
class RunHistory:
    """One run's history and where it came from."""

    run_id: str
    workflow_type: str
    source: Literal["server", "archive", "bundle", "file"]
    history: WorkflowHistory

    def describe(self) -> HistorySource:
        return HistorySource(
            run_id=self.run_id,
            workflow_type=self.workflow_type,
            source=self.source,
            events=len(self.history.events),
        )


def _started(history: WorkflowHistory) -> Any:
    if not history.events or not history.events[0].HasField("workflow_execution_started_event_attributes"):
        raise ValueError("the history does not begin with WorkflowExecutionStarted")
    return history.events[0].workflow_execution_started_event_attributes


def _run_of(history: WorkflowHistory, source: Literal["server", "archive", "bundle", "file"]) -> RunHistory:
    st = _started(history)
    return RunHistory(
        run_id=st.original_execution_run_id,
        workflow_type=st.workflow_type.name,
        source=source,
        history=history,
    )


async def _server_history(client: Client | None, workflow_id: str, run_id: str | None) -> RunHistory | None:
    """The run's history from Temporal, or None when the server no longer has it."""
    if client is None:
        return None
    try:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        history = await handle.fetch_history()
    except RPCError as e:
        if e.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            return None
        raise
    if not history.events:
        return None
    return _run_of(history, "server")


async def load_histories(
    client: Client | None, engine: AsyncEngine, workflow_id: str
) -> tuple[list[RunHistory], list[Finding]]:
    """Every run of `workflow_id`, oldest first (following continue-as-new back from the newest run),
    each from the server when it has it, from the archive otherwise. Findings: archive integrity."""
    findings: list[Finding] = []
    archived = await read_archived(engine, workflow_id)
    by_run: dict[str, ArchivedRun] = {a.run_id: a for a in archived}
    for a in archived:
        if a.problem:
            findings.append(
                Finding(check="archive", stream_id=workflow_id, run_id=a.run_id, problem=a.problem)
            )

    def from_archive(run_id: str) -> RunHistory | None:
        a = by_run.get(run_id)
        if a is None or a.raw is None:
            return None
        try:
            h = a.history()
        except Exception as e:
            findings.append(
                Finding(check="archive", stream_id=workflow_id, run_id=run_id, problem=f"unreadable: {e}")
            )
            return None
        return RunHistory(run_id=run_id, workflow_type=a.workflow_type, source="archive", history=h)

    def compare_with_archive(run: RunHistory) -> None:
        a = by_run.get(run.run_id)
        if a is None or run.source != "server":
            return
        last = run.history.events[-1].event_type if run.history.events else None
        if last is None or not _is_close_event(last):
            return  # still running: the archive cannot hold it yet
        sha = sha256_hex(history_bytes(run.history))
        stored = a.actual_sha256 or a.sha256
        if stored != sha or a.sha256 != sha:
            findings.append(
                Finding(
                    check="archive",
                    stream_id=workflow_id,
                    run_id=run.run_id,
                    problem="archived history differs from the server's",
                    expected=sha,
                    found=stored,
                )
            )

    chain: list[RunHistory] = []
    latest = await _server_history(client, workflow_id, None)
    if latest is not None:
        chain.append(latest)
        seen = {latest.run_id}
        prev = _started(latest.history).continued_execution_run_id
        while prev and prev not in seen:
            seen.add(prev)
            run = await _server_history(client, workflow_id, prev) or from_archive(prev)
            if run is None:
                findings.append(
                    Finding(
                        check="history",
                        stream_id=workflow_id,
                        run_id=prev,
                        problem="an earlier run is neither on the server nor in the archive",
                    )
                )
                break
            chain.append(run)
            prev = _started(run.history).continued_execution_run_id
        chain.reverse()
        for run in chain:
            compare_with_archive(run)
    else:
        runs = [r for r in (from_archive(a.run_id) for a in archived) if r is not None]
        runs.sort(key=lambda r: r.history.events[0].event_time.ToDatetime())
        chain = runs
    return chain, findings


def _is_close_event(t: int) -> bool:
    return t in (
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    )


# ---- what the history implies -------------------------------------------------------------------------


class ImpliedEvent(BaseModel):
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]
    actor: dict[str, Any]
    occurred_at: datetime
    command_id: str | None
    policy_id: str
    policy_version: str
    run_id: str
    history_event_id: int
    in_flight: bool = False  # scheduled in a run still open, not completed yet: may or may not be stored


async def implied_events(
    runs: Sequence[RunHistory], converter: DataConverter, stream_id: str
) -> tuple[list[ImpliedEvent], list[Finding]]:
    """The events the histories imply: inputs of `record_events` activities that completed (and, in a run
    still open, those in flight, which may or may not be in the store yet)."""
    out: list[ImpliedEvent] = []
    findings: list[Finding] = []
    for run in runs:
        scheduled: dict[int, Any] = {}
        completed: set[int] = set()
        for ev in run.history.events:
            if ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attrs = ev.activity_task_scheduled_event_attributes
                if attrs.activity_type.name == RECORD_EVENTS:
                    scheduled[ev.event_id] = attrs
            elif ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                completed.add(ev.activity_task_completed_event_attributes.scheduled_event_id)
        last = run.history.events[-1].event_type if run.history.events else None
        open_run = last is None or not _is_close_event(last)
        for event_id, attrs in scheduled.items():
            in_flight = event_id not in completed
            if in_flight and not open_run:
                continue  # never completed: the append was refused or never happened
            try:
                [inp] = await converter.decode(list(attrs.input.payloads), [RecordEventsInput])
            except Exception as e:
                findings.append(
                    Finding(
                        check="history",
                        stream_id=stream_id,
                        run_id=run.run_id,
                        problem=f"record_events input at history event {event_id} cannot be decoded: "
                        f"{type(e).__name__}: {e}",
                    )
                )
                continue
            assert isinstance(inp, RecordEventsInput)
            if inp.stream_id != stream_id:
                findings.append(
                    Finding(
                        check="history",
                        stream_id=stream_id,
                        run_id=run.run_id,
                        problem=f"history event {event_id} records to another stream",
                        expected=stream_id,
                        found=inp.stream_id,
                    )
                )
                continue
            for i, new in enumerate(inp.events):
                out.append(
                    ImpliedEvent(
                        stream_id=inp.stream_id,
                        version=inp.expected_version + 1 + i,
                        type=new.type,
                        data=new.data,
                        actor=inp.actor.model_dump(mode="json"),
                        occurred_at=inp.occurred_at,
                        command_id=inp.command_id,
                        policy_id=inp.policy.id,
                        policy_version=inp.policy.version,
                        run_id=run.run_id,
                        history_event_id=event_id,
                        in_flight=in_flight,
                    )
                )
    return out, findings


def compare_events(
    stream_id: str, implied: Sequence[ImpliedEvent], stored: Sequence[StoredEvent]
) -> list[Finding]:
    """Version by version: missing, extra and different events, field by field."""
    findings: list[Finding] = []
    by_version: dict[int, ImpliedEvent] = {}
    for dup in implied:
        if dup.version in by_version:
            findings.append(
                Finding(
                    check="events",
                    stream_id=stream_id,
                    version=dup.version,
                    run_id=dup.run_id,
                    problem="the history records two events at this version",
                    expected=by_version[dup.version].type,
                    found=dup.type,
                )
            )
            continue
        by_version[dup.version] = dup
    store = {e.version: e for e in stored}
    for v in sorted(set(by_version) | set(store)):
        ie, se = by_version.get(v), store.get(v)
        if se is None:
            assert ie is not None
            if ie.in_flight:
                continue  # the activity is still running: not written yet is fine
            findings.append(
                Finding(
                    check="events",
                    stream_id=stream_id,
                    version=v,
                    run_id=ie.run_id,
                    problem="implied by the history but missing from the event store",
                    expected={"type": ie.type, "data": ie.data},
                )
            )
            continue
        if ie is None:
            findings.append(
                Finding(
                    check="events",
                    stream_id=stream_id,
                    version=v,
                    problem="in the event store but not implied by the history",
                    found={"type": se.type, "data": se.data},
                )
            )
            continue
        pairs: list[tuple[str, Any, Any]] = [
            ("type", ie.type, se.type),
            ("data", _norm(ie.data), _norm(se.data)),
            ("actor", _norm(ie.actor), _norm(se.actor)),
            ("occurred_at", _ts(ie.occurred_at), _ts(se.occurred_at)),
            ("command_id", ie.command_id, se.command_id),
            ("policy", [ie.policy_id, ie.policy_version], [se.policy_id, se.policy_version]),
        ]
        for field, want, got in pairs:
            if want != got:
                findings.append(
                    Finding(
                        check="events",
                        stream_id=stream_id,
                        version=v,
                        run_id=ie.run_id,
                        field=field,
                        problem="the event store differs from the history",
                        expected=_norm(want),
                        found=_norm(got),
                    )
                )
    return findings


PROJECTION_FIELDS = ("status", "version", "state", "view")


def compare_projection(
    kind: str, stream_id: str, stored: Sequence[StoredEvent], row: dict[str, Any] | None
) -> list[Finding]:
    if not stored:
        if row is not None:
            return [Finding(check="projection", stream_id=stream_id, problem="projection row without events")]
        return []
    want = projection_values(kind, stream_id, stored)
    if row is None:
        return [
            Finding(
                check="projection",
                stream_id=stream_id,
                problem="the projection row is missing",
                expected={"status": want["status"], "version": want["version"]},
            )
        ]
    findings: list[Finding] = []
    for f in PROJECTION_FIELDS:
        w, g = _norm(want[f]), _norm(row.get(f))
        if w == g:
            continue
        if isinstance(w, dict) and isinstance(g, dict):
            keys = sorted(k for k in set(w) | set(g) if w.get(k) != g.get(k))
            for k in keys:
                findings.append(
                    Finding(
                        check="projection",
                        stream_id=stream_id,
                        field=f"{f}.{k}",
                        problem="the projection differs from a fold of the events",
                        expected=w.get(k),
                        found=g.get(k),
                    )
                )
        else:
            findings.append(
                Finding(
                    check="projection",
                    stream_id=stream_id,
                    field=f,
                    problem="the projection differs from a fold of the events",
                    expected=w,
                    found=g,
                )
            )
    return findings


def chain_findings(stream: Sequence[StoredEvent]) -> list[Finding]:
    return [
        Finding(
            check="chain",
            stream_id=b.stream_id,
            version=b.version,
            problem=b.problem,
            expected=b.expected,
            found=b.found,
        )
        for b in verify_chain(stream)
    ]


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
        parts.append(f"StartTime >= '{_ts(since).astimezone(UTC).isoformat().replace('+00:00', 'Z')}'")
    if until:
        parts.append(f"StartTime <= '{_ts(until).astimezone(UTC).isoformat().replace('+00:00', 'Z')}'")
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
                run = _run_of(res.history, "server")
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


# ---- trail --------------------------------------------------------------------------------------------


def _group_steps(stream: Sequence[StoredEvent]) -> list[list[StoredEvent]]:
    """Consecutive events recorded together (one accepted command = one record_events call)."""
    steps: list[list[StoredEvent]] = []
    for e in stream:
        if steps:
            last = steps[-1][-1]
            if (
                last.occurred_at == e.occurred_at
                and last.actor == e.actor
                and last.command_id == e.command_id
                and (last.policy_id, last.policy_version) == (e.policy_id, e.policy_version)
            ):
                steps[-1].append(e)
                continue
        steps.append([e])
    return steps


def deadline_changes(
    before: Sequence[Any], after: Sequence[Any], at: datetime, actor: dict[str, Any]
) -> list[DeadlineChange]:
    """Set / moved / met / elapsed, from `deadlines(state)` before and after a step."""
    b = {d.key: d for d in before}
    a = {d.key: d for d in after}
    out: list[DeadlineChange] = []
    for key, d in a.items():
        if key not in b:
            out.append(DeadlineChange(key=key, kind=d.kind, change="set", due_at=d.due_at, note=d.note))
        elif b[key].due_at != d.due_at:
            out.append(
                DeadlineChange(
                    key=key,
                    kind=d.kind,
                    change="moved",
                    due_at=d.due_at,
                    previous_due_at=b[key].due_at,
                    note=d.note,
                )
            )
    for key, d in b.items():
        if key in a:
            continue
        fired = actor.get("role") == Role.system.value and d.due_at <= at
        out.append(
            DeadlineChange(
                key=key, kind=d.kind, change="elapsed" if fired else "met", due_at=d.due_at, note=d.note
            )
        )
    return out


async def _notifications(engine: AsyncEngine, case_id: str) -> dict[int, list[TrailNotification]]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(notifications)
                .where(notifications.c.case_id == case_id)
                .order_by(notifications.c.stream_version, notifications.c.seq)
            )
        ).all()
    out: dict[int, list[TrailNotification]] = {}
    for r in rows:
        out.setdefault(r.stream_version, []).append(
            TrailNotification(
                version=r.stream_version,
                kind=r.kind,
                recipient_role=r.recipient_role,
                recipient_party=r.recipient_party,
                due_at=r.due_at,
                subject=r.subject,
                status=r.status,
                attempts=r.attempts,
                delivered_at=r.delivered_at,
                last_error=r.last_error,
            )
        )
    return out


def build_trail(
    kind: str,
    case_id: str,
    stream: Sequence[StoredEvent],
    sent: dict[int, list[TrailNotification]] | None = None,
) -> Trail:
    decider = get_decider(kind)
    state = decider.initial_state()
    steps: list[Step] = []
    status_before: str | None = None
    for n, group in enumerate(_group_steps(stream), start=1):
        owed_before = decider.deadlines(state)
        for e in group:
            state = decider.evolve(state, decider.parse_event(e.data))
        status_after = decider.index(state).status
        first = group[0]
        steps.append(
            Step(
                n=n,
                at=first.occurred_at,
                actor=first.actor,
                command_id=key_of(first.command_id) if first.command_id else None,
                policy={"id": first.policy_id, "version": first.policy_version},
                status_before=status_before,
                status_after=status_after,
                events=[
                    TrailEvent(version=e.version, type=e.type, data=redact(e.data), hash=e.hash)
                    for e in group
                ],
                deadlines=deadline_changes(
                    owed_before, decider.deadlines(state), first.occurred_at, first.actor
                ),
                notifications=[x for e in group for x in (sent or {}).get(e.version, [])],
            )
        )
        status_before = status_after
    idx = decider.index(state)
    return Trail(
        case_id=case_id,
        kind=kind,
        status=idx.status if stream else "none",
        version=stream[-1].version if stream else 0,
        steps=steps,
    )


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "审计轨迹",
        "case": "案件",
        "kind": "类型",
        "status": "状态",
        "version": "版本",
        "step": "步骤",
        "when": "时间",
        "who": "操作人",
        "role": "角色",
        "region": "辖区",
        "command": "指令编号",
        "policy": "政策包",
        "decided": "规则决定(事件)",
        "deadlines": "时限",
        "notifications": "通知",
        "set": "设定",
        "moved": "变更",
        "met": "按期解除",
        "elapsed": "到期(已触发/逾期)",
        "due": "到期",
        "was": "原定",
        "verification": "核验",
        "ok": "通过",
        "failed": "未通过",
        "replay": "历史重放(当前代码)",
        "chain": "事件链",
        "findings": "发现的问题",
        "none": "无",
        "system": "系统",
        "transition": "状态变化",
        "sources": "历史来源",
    },
    "en": {
        "title": "Audit trail",
        "case": "Case",
        "kind": "kind",
        "status": "status",
        "version": "version",
        "step": "Step",
        "when": "when",
        "who": "who",
        "role": "role",
        "region": "region",
        "command": "command id",
        "policy": "policy pack",
        "decided": "rules decided (events)",
        "deadlines": "deadlines",
        "notifications": "notifications",
        "set": "set",
        "moved": "moved",
        "met": "met",
        "elapsed": "elapsed (fired / missed)",
        "due": "due",
        "was": "was",
        "verification": "Verification",
        "ok": "passed",
        "failed": "FAILED",
        "replay": "history replayed against current code",
        "chain": "event chain",
        "findings": "findings",
        "none": "none",
        "system": "system",
        "transition": "status",
        "sources": "history sources",
    },
}


ROLE_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "enterprise": "生产经营单位",
        "inspector": "执法人员",
        "supervisor": "监管负责人",
        "expert": "专家",
        "operator": "平台运维",
        "auditor": "审计/纪检监察",
        "system": "系统",
    },
}


def render_trail(trail: Trail, lang: str = "zh") -> str:
    """The trail for a person (Chinese or English labels)."""
    t = LABELS.get(lang, LABELS["zh"])
    lines = [
        f"{t['title']} — {t['case']} {trail.case_id} ({t['kind']} {trail.kind}, "
        f"{t['status']} {trail.status}, {t['version']} {trail.version})",
        "",
    ]
    for s in trail.steps:
        who = s.actor.get("name") or s.actor.get("id", "?")
        role = str(s.actor.get("role", "?"))
        role = ROLE_LABELS.get(lang, {}).get(role, role)
        if s.actor.get("role") == Role.system.value:
            who = f"{t['system']} ({s.actor.get('id', 'system')})"
        lines.append(f"{t['step']} {s.n}  {s.at.astimezone(UTC).isoformat()}")
        lines.append(
            f"  {t['who']}: {who}  {t['role']}: {role}  {t['region']}: {s.actor.get('region', '-')}"
            + (f"  enterprise: {s.actor['enterprise_id']}" if s.actor.get("enterprise_id") else "")
        )
        lines.append(
            f"  {t['command']}: {s.command_id or '-'}  {t['policy']}: {s.policy['id']}@{s.policy['version']}"
        )
        lines.append(f"  {t['transition']}: {s.status_before or '-'} → {s.status_after}")
        lines.append(f"  {t['decided']}:")
        for e in s.events:
            lines.append(f"    v{e.version} {e.type} {_short(e.data, 120)}  #{e.hash[:12]}")
        if s.deadlines:
            lines.append(f"  {t['deadlines']}:")
            for d in s.deadlines:
                extra = f" ({t['was']} {d.previous_due_at.isoformat()})" if d.previous_due_at else ""
                lines.append(
                    f"    {t[d.change]}: {d.key} [{d.kind}] {t['due']} {d.due_at.isoformat()}{extra}"
                )
        if s.notifications:
            lines.append(f"  {t['notifications']}:")
            for x in s.notifications:
                lines.append(
                    f"    {x.kind} → {x.recipient_role}@{x.recipient_party} [{x.status}] {x.subject}".rstrip()
                )
        lines.append("")
    if trail.verification is not None:
        lines.extend(render_verification(trail.verification, lang))
    return "\n".join(lines)


def render_verification(v: VerifyReport, lang: str = "zh") -> list[str]:
    t = LABELS.get(lang, LABELS["zh"])
    lines = [f"{t['verification']}: {t['ok'] if v.ok else t['failed']}"]
    srcs = ", ".join(f"{h.run_id[:8]}…={h.source}" for h in v.histories) or t["none"]
    lines.append(f"  {t['sources']}: {srcs}")
    if v.replay is not None:
        rep = t["ok"] if v.replay.ok else f"{t['failed']}: {v.replay.first_divergence}"
        lines.append(f"  {t['replay']}: {rep}")
    lines.append(f"  {t['findings']}: {len(v.findings) or t['none']}")
    for f in v.findings:
        lines.append(f"    {f.line()}")
    return lines


# ---- the auditor ----------------------------------------------------------------------------------------


@dataclass
class CaseRef:
    case_id: str
    kind: str
    region: str
    enterprise_id: str | None


# (event version, cited sha256) → (version, sha256, problem) for each stored file that is missing or altered;
# the shell that knows the blob store provides it (starter/evidence.py `evidence_check`)
EvidenceCheck = Callable[[Iterable[tuple[int, str]]], Awaitable[list[tuple[int, str, str]]]]


def cited_hashes(data: Any) -> set[str]:
    """Every `{uri, sha256}` evidence reference anywhere in an event's data."""
    if isinstance(data, dict):
        found = {data["sha256"]} if isinstance(data.get("sha256"), str) and "uri" in data else set()
        return found.union(*(cited_hashes(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(cited_hashes(v) for v in data))
    return set()


class Auditor:
    """Audit one case or many. `client` may be None (Temporal unreachable): histories then come from the
    archive."""

    def __init__(
        self,
        client: Client | None,
        engine: AsyncEngine,
        converter: DataConverter,
        *,
        workflows: Sequence[type] | None = None,
        passthrough: Sequence[str] | None = None,
        evidence_check: EvidenceCheck | None = None,
    ) -> None:
        self.evidence_check = evidence_check
        self.client = client
        self.engine = engine
        self.converter = converter
        self.workflows = workflows
        self.passthrough = passthrough

    async def locate(self, case_id: str) -> CaseRef:
        """Kind, region and enterprise of a case: from the projection, or a fold of its events."""
        async with self.engine.connect() as conn:
            row = await get_case(conn, case_id)
            if row is not None:
                return CaseRef(case_id, row.kind, row.region, row.enterprise_id)
            stream = await read_stream(conn, case_id)
        if not stream:
            raise CaseNotFound(case_id)
        kind = stream[0].kind
        idx = get_decider(kind).index(fold_records(kind, stream))
        return CaseRef(case_id, kind, idx.region, idx.enterprise_id)

    async def authorize(self, case_id: str, kind: str, actor: Actor) -> CaseRef:
        """Auditors read every trail; anyone else as they may read the case."""
        ref = await self.locate(case_id)
        if ref.kind != kind:
            raise CaseNotFound(case_id, kind)
        if actor.role != Role.auditor:
            check_read(actor, ref.region, ref.enterprise_id)
        return ref

    async def _stream_and_row(self, case_id: str) -> tuple[list[StoredEvent], dict[str, Any] | None]:
        async with self.engine.connect() as conn:
            stream = await read_stream(conn, case_id)
            row = await get_case(conn, case_id)
        return stream, (dict(row._mapping) if row is not None else None)

    async def replay(self, case_id: str) -> ReplayReport:
        runs, _ = await load_histories(self.client, self.engine, case_id)
        return await replay_runs(
            case_id, runs, self.converter, workflows=self.workflows, passthrough=self.passthrough
        )

    async def verify(self, case_id: str, *, replay: bool = True) -> VerifyReport:
        ref = await self.locate(case_id)
        runs, findings = await load_histories(self.client, self.engine, case_id)
        stream, row = await self._stream_and_row(case_id)
        report = await verify_parts(
            case_id,
            ref.kind,
            stream,
            runs,
            row,
            self.converter,
            findings=findings,
            replay=replay,
            workflows=self.workflows,
            passthrough=self.passthrough,
        )
        if self.evidence_check is None:
            return report
        # the stored evidence files still hash to what the events record
        cited = [(e.version, sha) for e in stream for sha in sorted(cited_hashes(e.data))]
        found = [
            Finding(check="evidence", stream_id=case_id, version=v, field="sha256", problem=p, expected=sha)
            for v, sha, p in await self.evidence_check(cited)
        ]
        findings = [*report.findings, *found]
        return report.model_copy(update={"findings": findings, "ok": not findings})

    async def trail(self, case_id: str, *, verify: bool = True) -> Trail:
        ref = await self.locate(case_id)
        async with self.engine.connect() as conn:
            stream = await read_stream(conn, case_id)
        trail = build_trail(ref.kind, case_id, stream, await _notifications(self.engine, case_id))
        if verify:
            trail.verification = await self.verify(case_id)
        return trail

    async def export(self, case_id: str) -> dict[str, Any]:
        """A self-contained bundle: histories, events with hashes, policy pack, projection row, sha256."""
        ref = await self.locate(case_id)
        runs, findings = await load_histories(self.client, self.engine, case_id)
        stream, row = await self._stream_and_row(case_id)
        policy: dict[str, Any] | None = None
        if runs:
            try:
                [inp] = await self.converter.decode(
                    list(_started(runs[0].history).input.payloads), [CaseInput]
                )
                assert isinstance(inp, CaseInput)
                policy = inp.policy.model_dump(mode="json")
            except Exception as e:
                log.warning("policy pack not decoded from the history", case_id=case_id, error=str(e))
        bundle: dict[str, Any] = {
            "format": BUNDLE_FORMAT,
            "case_id": case_id,
            "kind": ref.kind,
            "exported_at": datetime.now(UTC).isoformat(),
            "histories": [
                {
                    "run_id": r.run_id,
                    "workflow_type": r.workflow_type,
                    "source": r.source,
                    "history": r.history.to_json_dict(),
                }
                for r in runs
            ],
            "events": [_exported(e) for e in stream],
            "policy_pack": policy,
            "projection": _norm({**row, "state": redact(row["state"], keep_keys=True)})
            if row is not None
            else None,
            "export_findings": [f.model_dump(mode="json") for f in findings],
        }
        bundle["sha256"] = bundle_sha256(bundle)
        return bundle


def _exported(e: StoredEvent) -> dict[str, Any]:
    """An event as a bundle holds it: private values nulled, and said so (its content hash then cannot be
    recomputed offline; its links still are)."""
    out = e.model_dump(mode="json")
    data = redact(e.data, keep_keys=True)
    if data is not e.data:
        out["data"] = data
        out["redacted"] = sorted(k for k in e.data if data[k] != e.data[k])
    return out


def bundle_sha256(bundle: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in bundle.items() if k != "sha256"})).hexdigest()


async def verify_parts(
    case_id: str,
    kind: str,
    stream: Sequence[StoredEvent],
    runs: Sequence[RunHistory],
    row: dict[str, Any] | None,
    converter: DataConverter,
    *,
    findings: Sequence[Finding] = (),
    redacted: frozenset[int] = frozenset(),
    replay: bool = True,
    workflows: Sequence[type] | None = None,
    passthrough: Sequence[str] | None = None,
) -> VerifyReport:
    out = list(findings)
    # a redacted event's content hash cannot be recomputed; its links are still checked
    out += [
        f
        for f in chain_findings(stream)
        if not (f.version in redacted and f.problem == CONTENT_HASH_MISMATCH)
    ]
    if not runs:
        out.append(
            Finding(
                check="history", stream_id=case_id, problem="no history: neither on the server nor archived"
            )
        )
    implied, problems = await implied_events(runs, converter, case_id)
    implied = [
        i.model_copy(update={"data": redact(i.data, keep_keys=True)}) if i.version in redacted else i
        for i in implied
    ]
    out += problems
    if runs:
        out += compare_events(case_id, implied, stream)
    out += compare_projection(kind, case_id, stream, row)
    rep: ReplayReport | None = None
    if replay and runs:
        rep = await replay_runs(case_id, runs, converter, workflows=workflows, passthrough=passthrough)
        for r in rep.runs:
            if not r.ok:
                out.append(
                    Finding(
                        check="replay",
                        stream_id=case_id,
                        run_id=r.run_id,
                        problem=f"replay against the current code failed: {r.error_type}: {r.error}",
                    )
                )
    report = VerifyReport(
        case_id=case_id,
        kind=kind,
        ok=not out,
        checked_at=datetime.now(UTC),
        histories=[r.describe() for r in runs],
        events_in_store=len(stream),
        events_implied=len(implied),
        findings=out,
        replay=rep,
    )
    log.info("case verified", case_id=case_id, ok=report.ok, findings=len(out))
    return report


async def verify_bundle(
    bundle: dict[str, Any],
    converter: DataConverter,
    *,
    workflows: Sequence[type] | None = None,
    passthrough: Sequence[str] | None = None,
) -> VerifyReport:
    """Offline: the bundle's sha, the chain, history ⇔ events, projection ⇔ fold, replay."""
    case_id = str(bundle.get("case_id", "?"))
    kind = str(bundle.get("kind", "?"))
    findings: list[Finding] = []
    if bundle.get("format") != BUNDLE_FORMAT:
        findings.append(
            Finding(
                check="bundle",
                stream_id=case_id,
                problem="unknown bundle format",
                expected=BUNDLE_FORMAT,
                found=bundle.get("format"),
            )
        )
    want = bundle_sha256(bundle)
    if bundle.get("sha256") != want:
        findings.append(
            Finding(
                check="bundle",
                stream_id=case_id,
                problem="bundle sha256 does not match its content",
                expected=want,
                found=bundle.get("sha256"),
            )
        )
    stream = [StoredEvent.model_validate(e) for e in bundle.get("events", [])]
    redacted = frozenset(int(e["version"]) for e in bundle.get("events", []) if e.get("redacted"))
    runs: list[RunHistory] = []
    for h in bundle.get("histories", []):
        try:
            runs.append(_run_of(WorkflowHistory.from_json(case_id, h["history"]), "bundle"))
        except Exception as e:
            findings.append(
                Finding(
                    check="history", stream_id=case_id, run_id=h.get("run_id"), problem=f"unreadable: {e}"
                )
            )
    return await verify_parts(
        case_id,
        kind,
        stream,
        runs,
        bundle.get("projection"),
        converter,
        findings=findings,
        redacted=redacted,
        workflows=workflows,
        passthrough=passthrough,
    )
