"""Hazard events: each carries the time and actor of the decision."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

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
from domain.hazard.state import Clock, Status
from domain.policy import PolicyRef

# ---- events: each carries the time and actor of the decision ------------------------------------------


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)
    at: datetime
    by: str


class HazardReported(_Event):
    type: Literal["hazard_reported"] = "hazard_reported"
    id: str
    policy: PolicyRef
    title: str
    description: str
    enterprise_id: str
    region: str
    industry: str
    location: str
    source: Source
    category: Category
    discovered_at: datetime | None
    evidence: list[Evidence]
    risk_color: RiskColor | None
    origin: Origin | None
    grading_due: datetime
    by_role: str


class Graded(_Event):
    type: Literal["graded"] = "graded"
    level: Level
    basis: Basis | None
    deadline: datetime | None = None
    reminders: list[Clock] = Field(default_factory=list)
    major_report_due: datetime | None = None
    regrade: bool = False
    reason: str = ""


class Listed(_Event):
    type: Literal["listed"] = "listed"
    authority: str
    deadline: datetime
    requirements: str
    stop_work: StopWork
    plan_due: datetime
    progress_interval: str
    progress_due: datetime
    max_until: datetime
    publish_due: datetime
    reminders: list[Clock]
    publication_owed: bool = False
    provisional_years: list[int] = Field(
        default_factory=list, description="years a working-day clock counted Monday–Friday (no holiday table)"
    )


class PlanSubmitted(_Event):
    type: Literal["plan_submitted"] = "plan_submitted"
    responsible: Responsible
    measures: list[str]
    funds: Funds
    deadline: datetime
    contingency_plan: str


class PlanDecided(_Event):
    type: Literal["plan_decided"] = "plan_decided"
    approved: bool
    comment: str
    plan_due: datetime | None = None


class ProgressReported(_Event):
    type: Literal["progress_reported"] = "progress_reported"
    percent: int
    note: str
    evidence: list[Evidence]
    next_due: datetime


class ExtensionRequested(_Event):
    type: Literal["extension_requested"] = "extension_requested"
    new_deadline: datetime
    reason: str
    decision_due: datetime
    provisional_years: list[int] = Field(
        default_factory=list, description="years a working-day clock counted Monday–Friday (no holiday table)"
    )


class ExtensionDecided(_Event):
    type: Literal["extension_decided"] = "extension_decided"
    approved: bool
    comment: str
    previous_deadline: datetime | None
    new_deadline: datetime | None
    reminders: list[Clock] = Field(default_factory=list)


class ExplanationSubmitted(_Event):
    type: Literal["explanation_submitted"] = "explanation_submitted"
    text: str


class RectificationSubmitted(_Event):
    type: Literal["rectification_submitted"] = "rectification_submitted"
    summary: str
    evidence: list[Evidence]
    review_due: datetime | None = Field(default=None, description="general: the review clock")


class AssessmentSubmitted(_Event):
    type: Literal["assessment_submitted"] = "assessment_submitted"
    assessor: str
    organization: str
    passed: bool
    report_uri: str
    review_due: datetime | None = None


class Reviewed(_Event):
    type: Literal["reviewed"] = "reviewed"
    passed: bool
    comment: str
    new_deadline: datetime | None = None
    reminders: list[Clock] = Field(default_factory=list)
    publish_due: datetime | None = None
    provisional_years: list[int] = Field(
        default_factory=list, description="years a working-day clock counted Monday–Friday (no holiday table)"
    )
    publication_owed: bool = Field(
        default=False, description="the write-off's publication is a recorded clock: the case stays open"
    )


class PenaltyImposed(_Event):
    type: Literal["penalty_imposed"] = "penalty_imposed"
    amount: Decimal
    decision_no: str
    legal_basis: str
    confiscated: Decimal = Field(default=Decimal(0), description="没收违法所得 (yuan)")


class ClosureProposed(_Event):
    type: Literal["closure_proposed"] = "closure_proposed"
    penalties: int
    window: str
    reason: str


class Reinspected(_Event):
    type: Literal["reinspected"] = "reinspected"
    compliant: bool
    note: str
    accrual_base: Decimal | None = Field(default=None, description="fines that now accrue daily")
    accrual_days: int = 0
    next_accrual_at: datetime | None = None
    moves_to: Status | None = None
    review_due: datetime | None = None


class PenaltyAccrued(_Event):
    type: Literal["penalty_accrued"] = "penalty_accrued"
    day: int
    amount: Decimal
    next_accrual_at: datetime


class StopWorkOrdered(_Event):
    type: Literal["stop_work_ordered"] = "stop_work_ordered"
    scope: StopWork
    reason: str


class StopWorkLifted(_Event):
    type: Literal["stop_work_lifted"] = "stop_work_lifted"
    reason: str


class ReminderSent(_Event):
    type: Literal["reminder_sent"] = "reminder_sent"
    key: str
    deadline: datetime


class WentOverdue(_Event):
    type: Literal["went_overdue"] = "went_overdue"
    deadline: datetime
    explanation_due: datetime
    listed: bool


class DeadlineMissed(_Event):
    """A clock other than the rectification deadline lapsed: grading, listing, plan, progress, extension
    decision, regulator review, listing duration, explanation. `escalated_to` is the region one level up."""

    type: Literal["deadline_missed"] = "deadline_missed"
    key: str
    due_at: datetime
    escalated_to: str | None
    next_due: datetime | None = None


class ListingPublished(_Event):
    type: Literal["listing_published"] = "listing_published"
    uri: str
    late: bool


class WriteoffPublished(_Event):
    type: Literal["writeoff_published"] = "writeoff_published"
    uri: str
    late: bool


class Cancelled(_Event):
    type: Literal["cancelled"] = "cancelled"
    reason: str


HazardEvent = Annotated[
    HazardReported
    | Graded
    | Listed
    | PlanSubmitted
    | PlanDecided
    | ProgressReported
    | ExtensionRequested
    | ExtensionDecided
    | ExplanationSubmitted
    | RectificationSubmitted
    | AssessmentSubmitted
    | Reviewed
    | PenaltyImposed
    | ClosureProposed
    | Reinspected
    | PenaltyAccrued
    | StopWorkOrdered
    | StopWorkLifted
    | ReminderSent
    | WentOverdue
    | DeadlineMissed
    | ListingPublished
    | WriteoffPublished
    | Cancelled,
    Field(discriminator="type"),
]
