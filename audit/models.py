"""The auditor's reports (findings, replay and verification reports, the trail's steps) and the small
helpers every part of it shares (JSON normal form, one run's history)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

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
            tail = f" (expected {short(self.expected)}, found {short(self.found)})"
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


def short(v: Any, n: int = 160) -> str:
    s = v if isinstance(v, str) else json.dumps(to_jsonable_python(v), ensure_ascii=False, sort_keys=True)
    return s if len(s) <= n else s[: n - 1] + "…"


def norm(v: Any) -> Any:
    """JSON-normal form for comparisons (datetimes as ISO strings, tuples as lists...)."""
    return json.loads(json.dumps(to_jsonable_python(v), sort_keys=True, default=str))


def canonical(doc: Any) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def ts(v: datetime | str) -> datetime:
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


def started(history: WorkflowHistory) -> Any:
    if not history.events or not history.events[0].HasField("workflow_execution_started_event_attributes"):
        raise ValueError("the history does not begin with WorkflowExecutionStarted")
    return history.events[0].workflow_execution_started_event_attributes


def run_of(history: WorkflowHistory, source: Literal["server", "archive", "bundle", "file"]) -> RunHistory:
    st = started(history)
    return RunHistory(
        run_id=st.original_execution_run_id,
        workflow_type=st.workflow_type.name,
        source=source,
        history=history,
    )


def is_close_event(t: int) -> bool:
    return t in (
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
    )
