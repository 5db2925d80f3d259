"""Activity inputs and outputs: pure pydantic models, imported by workflows through the pass-through."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from domain.actors import Actor
from domain.policy import PolicyRef


class EventData(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: str
    data: dict[str, Any]


class RecordEventsInput(BaseModel):
    """One accepted command's events: appended and projected in one transaction, idempotently."""

    stream_id: str
    kind: str
    expected_version: int
    events: list[EventData]
    actor: Actor
    occurred_at: datetime
    policy: PolicyRef
    command_id: str | None = None
    parent_id: str | None = None


class RecordedEvent(BaseModel):
    version: int
    type: str
    data: dict[str, Any]
    hash: str


class RecordEventsResult(BaseModel):
    version: int
    duplicate: bool
    events: list[RecordedEvent]


RECORD_EVENTS = "record_events"
APPEND_CONFLICT = "append_conflict"
# the database refused a value of the events (a NUL in text, a value over a limit): retrying cannot help
UNSTORABLE_VALUE = "unstorable_value"
# any other failure to record: retried; its message names no value (failure messages reach Temporal)
RECORD_FAILED = "record_failed"


# ---- reports -----------------------------------------------------------------------------------------

ReportKind = Literal["daily", "quarterly", "annual"]


class ReportRequest(BaseModel):
    kind: ReportKind
    start: datetime
    end: datetime
    notify: bool = True


class ReportResult(BaseModel):
    report_id: int
    kind: str
    totals: dict[str, Any]
    notified: int


class SweepResult(BaseModel):
    checked_at: datetime
    mismatches: list[dict[str, Any]]
