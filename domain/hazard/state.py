"""Hazard state: the case file, its clocks and statuses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.common import Evidence
from domain.hazard.commands import (
    Basis,
    Category,
    Funds,
    Level,
    Origin,
    Responsible,
    RiskColor,
    Source,
    StopWork,
)
from domain.policy import PolicyRef


class Status(StrEnum):
    none = "none"
    reported = "reported"
    rectifying = "rectifying"
    verifying = "verifying"
    reported_major = "reported_major"
    listed = "listed"
    plan_submitted = "plan_submitted"
    treating = "treating"
    assessing = "assessing"
    awaiting_review = "awaiting_review"
    written_off = "written_off"  # 已核销, its publication owed (domain/hazard/publication.py)
    closed = "closed"
    cancelled = "cancelled"


TERMINAL = frozenset({Status.closed, Status.cancelled})
GENERAL_PATH = frozenset({Status.rectifying, Status.verifying})
LISTED = frozenset({Status.listed, Status.plan_submitted, Status.treating, Status.assessing})
# statuses in which the rectification / treatment deadline runs
DEADLINE_RUNS = frozenset({Status.rectifying, Status.listed, Status.plan_submitted, Status.treating})


class Clock(BaseModel):
    """A reminder computed when a deadline is set (the pack's reminder offsets that still lie ahead)."""

    model_config = ConfigDict(frozen=True)
    key: str
    due_at: datetime


# ---- state ----------------------------------------------------------------------------------------------


class _Rec(BaseModel):
    model_config = ConfigDict(frozen=True)


class Listing(_Rec):
    authority: str
    deadline: datetime
    requirements: str
    stop_work: StopWork
    plan_due: datetime
    progress_interval: str
    listed_at: datetime
    listed_by: str
    max_until: datetime
    lifted_at: datetime | None = None


class Plan(_Rec):
    responsible: Responsible
    measures: list[str]
    funds: Funds
    deadline: datetime
    contingency_plan: str
    status: Literal["submitted", "approved", "rejected"] = "submitted"
    submitted_by: str
    submitted_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str = ""


class Extension(_Rec):
    requested_at: datetime
    requested_by: str
    previous_deadline: datetime | None
    new_deadline: datetime
    reason: str
    decision_due: datetime
    status: Literal["pending", "approved", "rejected"] = "pending"
    decided_at: datetime | None = None
    decided_by: str | None = None
    comment: str = ""


class Entry(_Rec):
    """A dated record of the case file (rectification, review, explanation, progress, reinspection…)."""

    at: datetime
    by: str
    data: dict[str, Any] = Field(default_factory=dict)


class Fine(_Rec):
    amount: Decimal
    decision_no: str
    legal_basis: str
    confiscated: Decimal = Decimal(0)
    at: datetime
    by: str


class Penalty(_Rec):
    fines: list[Fine] = Field(default_factory=list)
    accruing: bool = False
    accrual_base: Decimal = Decimal(0)
    days_accrued: int = 0
    accrued_total: Decimal = Decimal(0)
    next_accrual_at: datetime | None = None

    @property
    def fine_total(self) -> Decimal:
        return sum((f.amount for f in self.fines), Decimal(0))

    @property
    def confiscated_total(self) -> Decimal:
        return sum((f.confiscated for f in self.fines), Decimal(0))


class HazardState(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = ""
    policy: PolicyRef | None = None
    status: Status = Status.none
    title: str = ""
    description: str = ""
    enterprise_id: str = ""
    region: str = "000000"
    industry: str = ""
    location: str = ""
    source: Source | None = None
    category: Category | None = None
    discovered_at: datetime | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    risk_color: RiskColor | None = None
    origin: Origin | None = None
    reported_by: str = ""
    level: Level | None = None
    basis: Basis | None = None
    # clocks
    grading_due: datetime | None = None
    major_report_due: datetime | None = None
    deadline: datetime | None = None
    original_deadline: datetime | None = None
    ordered_at: datetime | None = Field(
        default=None, description="when the rectification order was first given"
    )
    reminders: list[Clock] = Field(default_factory=list, description="reminders still to send")
    overdue: bool = False
    overdue_since: datetime | None = None
    explanation_due: datetime | None = None
    explained: bool = False
    progress_due: datetime | None = None
    progress_overdue: bool = Field(default=False, description="a progress report is late (listed hazards)")
    review_due: datetime | None = None
    publish_due: datetime | None = None
    publication_owed: bool = Field(default=False, description="the listing's publication is a recorded clock")
    calendar_provisional: list[int] = Field(
        default_factory=list,
        description="years in which a working-day clock of the case counted Monday–Friday only: the pinned "
        "pack lacks their holiday notice, so those dates are to be checked",
    )
    publication: Entry | None = Field(
        default=None, description="the listing's public notice (publish_listing)"
    )
    writeoff_publication: Entry | None = Field(
        default=None, description="the write-off's public notice (publish_writeoff)"
    )
    lapsed: list[str] = Field(default_factory=list, description="clocks that lapsed unmet (by key)")
    warning_list: bool = Field(default=False, description="警示曝光: an overdue listed hazard")
    # parts of the file
    listing: Listing | None = None
    plan: Plan | None = None
    extensions: list[Extension] = Field(default_factory=list)
    explanations: list[Entry] = Field(default_factory=list)
    progress: list[Entry] = Field(default_factory=list)
    rectifications: list[Entry] = Field(default_factory=list)
    assessment: Entry | None = None
    reviews: list[Entry] = Field(default_factory=list)
    reinspections: list[Entry] = Field(default_factory=list)
    escalations: list[Entry] = Field(default_factory=list)
    penalty: Penalty = Field(default_factory=Penalty)
    stop_work: StopWork = StopWork.none
    stop_work_history: list[Entry] = Field(default_factory=list)
    closure_proposed: bool = False
    cancelled_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def pending_extension(self) -> Extension | None:
        if self.extensions and self.extensions[-1].status == "pending":
            return self.extensions[-1]
        return None

    @property
    def last_submitter(self) -> str | None:
        return self.rectifications[-1].by if self.rectifications else None
