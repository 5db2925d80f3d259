"""Hazard commands, events and state (API.md "Bodies and statuses (hazard)")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain.common import REGION, Evidence, Int, Line, Moment, Money
from domain.common import Body as _Body
from domain.decider import ChildCaseUpdated, DeadlineElapsed
from domain.policy import PolicyRef

TEXT = 5000


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
    closed = "closed"
    cancelled = "cancelled"


TERMINAL = frozenset({Status.closed, Status.cancelled})
GENERAL_PATH = frozenset({Status.rectifying, Status.verifying})
LISTED = frozenset({Status.listed, Status.plan_submitted, Status.treating, Status.assessing})
# statuses in which the rectification / treatment deadline runs
DEADLINE_RUNS = frozenset({Status.rectifying, Status.listed, Status.plan_submitted, Status.treating})


class Level(StrEnum):
    general = "general"
    major = "major"


class Source(StrEnum):
    self_inspection = "self_inspection"
    inspection = "inspection"
    covert_visit = "covert_visit"
    expert_service = "expert_service"
    tip = "tip"
    incident = "incident"


class Category(StrEnum):
    unsafe_condition = "unsafe_condition"
    unsafe_act = "unsafe_act"
    management_defect = "management_defect"


class RiskColor(StrEnum):
    red = "red"
    orange = "orange"
    yellow = "yellow"
    blue = "blue"


class StopWork(StrEnum):
    none = "none"
    partial = "partial"
    full = "full"


class Basis(_Body):
    """The 重大事故隐患判定标准 and clause a major grading rests on."""

    standard: str = Field(min_length=1, max_length=300)
    clause: str = Field(min_length=1, max_length=300)


class Origin(_Body):
    kind: Literal["tip", "incident"]
    case_id: str = Field(min_length=1, max_length=128)
    ref: str = Field(min_length=1, max_length=64)


class Responsible(_Body):
    name: str = Field(default="", max_length=100)
    phone: str = Field(default="", max_length=50)


class Funds(_Body):
    amount: Money | None = Field(default=None, max_digits=14, decimal_places=2, description="yuan")
    source: str = Field(default="", max_length=300)


# ---- commands -----------------------------------------------------------------------------------------


class Report(_Body):
    type: Literal["report"] = "report"
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=TEXT)
    enterprise_id: str = Field(min_length=1, max_length=100)
    region: str = Field(pattern=REGION)
    industry: str = Field(default="", max_length=100)
    location: str = Field(default="", max_length=500)
    source: Source
    category: Category
    discovered_at: Moment | None = None
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)
    risk_color: RiskColor | None = None
    origin: Origin | None = Field(default=None, description="the tip or incident this hazard comes from")
    level: Literal["general"] | None = Field(
        default=None, description="grade at once (officers and the system): a known corrective measure"
    )
    deadline: Moment | None = Field(default=None, description="with level: the rectification deadline")


class Grade(_Body):
    type: Literal["grade"] = "grade"
    level: Level
    deadline: Moment | None = None
    basis: Basis | None = None
    on_the_spot: bool = Field(default=False, description="立查立改: rectified on the spot, goes to review")


class Regrade(_Body):
    type: Literal["regrade"] = "regrade"
    level: Level
    deadline: Moment | None = None
    basis: Basis | None = None
    reason: str = Field(default="", max_length=2000)


class ListForSupervision(_Body):
    type: Literal["list_for_supervision"] = "list_for_supervision"
    authority: str = Field(min_length=1, max_length=200)
    deadline: Moment
    requirements: str = Field(min_length=1, max_length=TEXT)
    stop_work: StopWork
    plan_due: Moment | None = None
    progress_interval: str | None = Field(default=None, max_length=30, description="ISO 8601, e.g. P3M")


class SubmitPlan(_Body):
    """五落实: every part optional in the schema so that a plan missing several is told all of them."""

    type: Literal["submit_plan"] = "submit_plan"
    responsible: Responsible | None = None
    measures: list[Line] = Field(default_factory=list, max_length=100)
    funds: Funds | None = None
    deadline: Moment | None = None
    contingency_plan: str = Field(default="", max_length=TEXT)


class DecidePlan(_Body):
    type: Literal["decide_plan"] = "decide_plan"
    approved: bool
    comment: str = Field(default="", max_length=2000)


class ReportProgress(_Body):
    type: Literal["report_progress"] = "report_progress"
    percent: Int = Field(ge=0, le=100)
    note: str = Field(default="", max_length=TEXT)
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)


class RequestExtension(_Body):
    type: Literal["request_extension"] = "request_extension"
    new_deadline: Moment
    reason: str = Field(min_length=1, max_length=2000)


class DecideExtension(_Body):
    type: Literal["decide_extension"] = "decide_extension"
    approved: bool
    comment: str = Field(default="", max_length=2000)


class SubmitExplanation(_Body):
    type: Literal["submit_explanation"] = "submit_explanation"
    text: str = Field(min_length=1, max_length=TEXT)


class SubmitRectification(_Body):
    type: Literal["submit_rectification"] = "submit_rectification"
    summary: str = Field(min_length=1, max_length=TEXT)
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)


class SubmitAssessment(_Body):
    type: Literal["submit_assessment"] = "submit_assessment"
    assessor: str = Field(min_length=1, max_length=200)
    organization: str = Field(min_length=1, max_length=200)
    passed: bool
    report_uri: str = Field(min_length=1, max_length=2000)


class Review(_Body):
    type: Literal["review"] = "review"
    passed: bool
    comment: str = Field(default="", max_length=2000)
    new_deadline: Moment | None = None


class ImposePenalty(_Body):
    type: Literal["impose_penalty"] = "impose_penalty"
    amount: Money = Field(gt=0, max_digits=14, decimal_places=2, description="yuan")
    decision_no: str = Field(min_length=1, max_length=100)
    legal_basis: str = Field(min_length=1, max_length=500)


class Reinspect(_Body):
    type: Literal["reinspect"] = "reinspect"
    compliant: bool
    note: str = Field(default="", max_length=TEXT)


class OrderStopWork(_Body):
    type: Literal["order_stop_work"] = "order_stop_work"
    scope: Literal["partial", "full"]
    reason: str = Field(min_length=1, max_length=2000)


class LiftStopWork(_Body):
    type: Literal["lift_stop_work"] = "lift_stop_work"
    reason: str = Field(min_length=1, max_length=2000)


class Cancel(_Body):
    type: Literal["cancel"] = "cancel"
    reason: str = Field(min_length=1, max_length=2000)


HazardCommand = Annotated[
    Report
    | Grade
    | Regrade
    | ListForSupervision
    | SubmitPlan
    | DecidePlan
    | ReportProgress
    | RequestExtension
    | DecideExtension
    | SubmitExplanation
    | SubmitRectification
    | SubmitAssessment
    | Review
    | ImposePenalty
    | Reinspect
    | OrderStopWork
    | LiftStopWork
    | Cancel
    | DeadlineElapsed
    | ChildCaseUpdated,
    Field(discriminator="type"),
]
COMMANDS: TypeAdapter[Any] = TypeAdapter(HazardCommand)

# ---- events: each carries the time and actor of the decision ------------------------------------------


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)
    at: datetime
    by: str


class Clock(BaseModel):
    """A reminder computed when a deadline is set (the pack's reminder offsets that still lie ahead)."""

    model_config = ConfigDict(frozen=True)
    key: str
    due_at: datetime


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


class PenaltyImposed(_Event):
    type: Literal["penalty_imposed"] = "penalty_imposed"
    amount: Decimal
    decision_no: str
    legal_basis: str


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
    | Cancelled,
    Field(discriminator="type"),
]
EVENTS: TypeAdapter[Any] = TypeAdapter(HazardEvent)

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
