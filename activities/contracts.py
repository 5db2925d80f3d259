"""Activity inputs and outputs: pure pydantic models, imported by workflows through the pass-through."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


# ---- the history archiver ----------------------------------------------------------------------------

ARCHIVE_CLOSED_HISTORIES = "archive_closed_histories"
ARCHIVER_WORKFLOW = "ArchiverWorkflow"


class ArchiveInput(BaseModel):
    """What one archiver run looks at."""

    max_histories: int = Field(default=1000, gt=0, description="histories archived per run at most")
    overlap_seconds: int = Field(
        default=86400,
        ge=0,
        description="closed runs are listed from the newest archived close time minus this overlap",
    )
    full_scan: bool = Field(default=False, description="list every closed case run, ignoring the watermark")
    task_queue: str | None = Field(
        default=None, description="only case workflows of this task queue (None: every case workflow)"
    )


class ArchiveFailure(BaseModel):
    workflow_id: str
    run_id: str
    error: str


class ArchiveResult(BaseModel):
    listed: int = 0
    archived: int = 0
    already_archived: int = 0
    failed: list[ArchiveFailure] = Field(default_factory=list)


CAMPAIGN_OVERDUE = "campaign_overdue"


class CampaignOverdueInput(BaseModel):
    """A campaign's scope, to list the hazards under it still open at its deadline."""

    campaign_id: str
    regions: list[str]
    industries: list[str]
    starts_on: date
    deadline: date


GENERATE_BULLETIN = "generate_bulletin"
BULLETIN_WORKFLOW = "EnforcementBulletinWorkflow"


class BulletinRequest(BaseModel):
    """The monthly enforcement bulletin's period (a calendar month, Asia/Shanghai)."""

    start: datetime
    end: datetime
    notify: bool = True
