"""Incident commands, events and state (API.md "Bodies (incident, tip)")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain.common import REGION, Int, Line, Moment, Money
from domain.common import Body as _Body
from domain.decider import ChildCaseUpdated, DeadlineElapsed
from domain.incident.grading import Grade, InvestigatingLevel
from domain.policy import PolicyRef

TEXT = 10000


class Status(StrEnum):
    none = "none"
    reported = "reported"
    investigating = "investigating"
    appraisal_pause = "appraisal_pause"
    awaiting_approval = "awaiting_approval"
    implementing = "implementing"
    evaluating = "evaluating"
    accountability = "accountability"
    closed = "closed"
    cancelled = "cancelled"


TERMINAL = frozenset({Status.closed, Status.cancelled})
BEFORE_APPROVAL = frozenset(
    {Status.reported, Status.investigating, Status.appraisal_pause, Status.awaiting_approval}
)


class IncidentType(StrEnum):
    fire = "fire"
    road_traffic = "road_traffic"
    industrial = "industrial"
    construction = "construction"
    hazardous_chemicals = "hazardous_chemicals"
    mining = "mining"
    other = "other"


class Origin(_Body):
    kind: Literal["tip"]
    case_id: str = Field(min_length=1, max_length=128)
    ref: str = Field(min_length=1, max_length=64)


class SanctionIn(_Body):
    target: str = Field(min_length=1, max_length=300)
    measure: str = Field(min_length=1, max_length=1000)


class MeasureIn(_Body):
    title: str = Field(min_length=1, max_length=200)
    owner_enterprise_id: str = Field(min_length=1, max_length=100)
    deadline: Moment


# ---- commands -------------------------------------------------------------------------------------------


class Report(_Body):
    type: Literal["report"] = "report"
    occurred_at: Moment
    enterprise_id: str = Field(min_length=1, max_length=100)
    region: str = Field(pattern=REGION)
    incident_type: IncidentType = Field(description="API body field `type` (the shell renames it)")
    deaths: Int = Field(ge=0, le=100_000)
    serious_injuries: Int = Field(ge=0, le=100_000)
    direct_loss: Money = Field(ge=0, max_digits=16, decimal_places=2, description="yuan")
    description: str = Field(min_length=1, max_length=TEXT)
    concealed: bool = Field(default=False, description="system only: a tip uncovered a concealed accident")
    origin: Origin | None = None


class Supplement(_Body):
    type: Literal["supplement"] = "supplement"
    deaths: Int = Field(ge=0, le=100_000)
    serious_injuries: Int = Field(ge=0, le=100_000)
    direct_loss: Money = Field(ge=0, max_digits=16, decimal_places=2)
    note: str = Field(min_length=1, max_length=TEXT)


class AcknowledgeReport(_Body):
    """Extension of API.md: a level on the reporting route confirms it received the report (Art. 10-11)."""

    type: Literal["acknowledge_report"] = "acknowledge_report"
    note: str = Field(default="", max_length=2000)


class OpenInvestigation(_Body):
    type: Literal["open_investigation"] = "open_investigation"
    lead_authority: str = Field(min_length=1, max_length=200)
    team: list[Line] = Field(min_length=1, max_length=100)


class PauseInvestigation(_Body):
    type: Literal["pause_investigation"] = "pause_investigation"
    reason: str = Field(min_length=1, max_length=2000)


class ResumeInvestigation(_Body):
    type: Literal["resume_investigation"] = "resume_investigation"
    reason: str = Field(default="", max_length=2000)


class RequestInvestigationExtension(_Body):
    type: Literal["request_investigation_extension"] = "request_investigation_extension"
    days: Int = Field(ge=1, le=366)
    reason: str = Field(min_length=1, max_length=2000)


class DecideInvestigationExtension(_Body):
    type: Literal["decide_investigation_extension"] = "decide_investigation_extension"
    approved: bool
    comment: str = Field(default="", max_length=2000)


class SubmitReport(_Body):
    type: Literal["submit_report"] = "submit_report"
    causes: list[Line] = Field(default_factory=list, max_length=100)
    enterprise_responsibility: list[Line] = Field(default_factory=list, max_length=100)
    regulatory_responsibility: list[Line] = Field(default_factory=list, max_length=100)
    sanctions: list[SanctionIn] = Field(default_factory=list, max_length=200)
    measures: list[MeasureIn] = Field(default_factory=list, max_length=100)


class ApproveReport(_Body):
    type: Literal["approve_report"] = "approve_report"
    approved: bool
    comment: str = Field(default="", max_length=2000)


class RecordSanction(_Body):
    type: Literal["record_sanction"] = "record_sanction"
    index: Int = Field(ge=0)
    executed: bool
    note: str = Field(default="", max_length=2000)


class Publish(_Body):
    type: Literal["publish"] = "publish"
    uri: str = Field(min_length=1, max_length=2000)
    copied_to: str = Field(
        min_length=1, max_length=200, description="the 区综合执法局 the handling is copied to"
    )


class RecordEducation(_Body):
    type: Literal["record_education"] = "record_education"
    note: str = Field(min_length=1, max_length=TEXT)
    attendees: Int = Field(ge=1, le=1_000_000)


class SubmitEvaluation(_Body):
    type: Literal["submit_evaluation"] = "submit_evaluation"
    causes_identified: bool
    responsible_handled: bool
    measures_implemented: bool
    people_educated: bool
    report_uri: str = Field(min_length=1, max_length=2000)
    comment: str = Field(default="", max_length=TEXT)


class FlagConcealment(_Body):
    type: Literal["flag_concealment"] = "flag_concealment"
    source: str = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=TEXT)


class Cancel(_Body):
    type: Literal["cancel"] = "cancel"
    reason: str = Field(min_length=1, max_length=2000)


IncidentCommand = Annotated[
    Report
    | Supplement
    | AcknowledgeReport
    | OpenInvestigation
    | PauseInvestigation
    | ResumeInvestigation
    | RequestInvestigationExtension
    | DecideInvestigationExtension
    | SubmitReport
    | ApproveReport
    | RecordSanction
    | Publish
    | RecordEducation
    | SubmitEvaluation
    | FlagConcealment
    | Cancel
    | DeadlineElapsed
    | ChildCaseUpdated,
    Field(discriminator="type"),
]
COMMANDS: TypeAdapter[Any] = TypeAdapter(IncidentCommand)

# ---- events ---------------------------------------------------------------------------------------------


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)
    at: datetime
    by: str


class Step(BaseModel):
    """One level of the onward reporting route: the report must reach `region` by `due_at`."""

    model_config = ConfigDict(frozen=True)
    region: str
    due_at: datetime
    acknowledged_at: datetime | None = None
    missed: bool = False


class IncidentReported(_Event):
    type: Literal["incident_reported"] = "incident_reported"
    id: str
    policy: PolicyRef
    occurred_at: datetime
    enterprise_id: str
    region: str
    incident_type: IncidentType
    deaths: int
    serious_injuries: int
    direct_loss: Decimal
    description: str
    grade: Grade
    investigating_level: InvestigatingLevel
    late_report: bool
    concealed: bool
    origin: Origin | None
    route: list[Step]
    investigation_due: datetime
    supplement_until: datetime


class Supplemented(_Event):
    type: Literal["supplemented"] = "supplemented"
    deaths: int
    serious_injuries: int
    direct_loss: Decimal
    note: str
    grade: Grade
    investigating_level: InvestigatingLevel
    new_steps: list[Step] = Field(default_factory=list)


class ReportAcknowledged(_Event):
    type: Literal["report_acknowledged"] = "report_acknowledged"
    region: str
    note: str


class InvestigationOpened(_Event):
    type: Literal["investigation_opened"] = "investigation_opened"
    lead_authority: str
    team: list[str]


class InvestigationPaused(_Event):
    type: Literal["investigation_paused"] = "investigation_paused"
    reason: str


class InvestigationResumed(_Event):
    type: Literal["investigation_resumed"] = "investigation_resumed"
    reason: str
    paused_seconds: float
    investigation_due: datetime


class InvestigationExtensionRequested(_Event):
    type: Literal["investigation_extension_requested"] = "investigation_extension_requested"
    days: int
    reason: str


class InvestigationExtensionDecided(_Event):
    type: Literal["investigation_extension_decided"] = "investigation_extension_decided"
    approved: bool
    comment: str
    investigation_due: datetime


class ReportSubmitted(_Event):
    type: Literal["report_submitted"] = "report_submitted"
    causes: list[str]
    enterprise_responsibility: list[str]
    regulatory_responsibility: list[str]
    sanctions: list[SanctionIn]
    measures: list[MeasureIn]
    approval_due: datetime


class ReportApproved(_Event):
    type: Literal["report_approved"] = "report_approved"
    approved: bool
    comment: str
    publication_due: datetime | None = None
    evaluation_opens_at: datetime | None = None
    evaluation_deadline: datetime | None = None


class SanctionRecorded(_Event):
    type: Literal["sanction_recorded"] = "sanction_recorded"
    index: int
    executed: bool
    note: str


class MeasureUpdated(_Event):
    type: Literal["measure_updated"] = "measure_updated"
    index: int
    hazard_id: str
    status: str


class Published(_Event):
    type: Literal["published"] = "published"
    uri: str
    copied_to: str


class EducationRecorded(_Event):
    type: Literal["education_recorded"] = "education_recorded"
    note: str
    attendees: int


class Prefill(BaseModel):
    model_config = ConfigDict(frozen=True)
    causes_identified: bool
    responsible_handled: bool
    measures_implemented: bool
    people_educated: bool


class EvaluationOpened(_Event):
    type: Literal["evaluation_opened"] = "evaluation_opened"
    prefill: Prefill
    due_at: datetime


class EvaluationSubmitted(_Event):
    type: Literal["evaluation_submitted"] = "evaluation_submitted"
    findings: Prefill
    prefill: Prefill
    report_uri: str
    comment: str
    passed: bool
    next_due: datetime | None = None


class ConcealmentFlagged(_Event):
    type: Literal["concealment_flagged"] = "concealment_flagged"
    source: str
    note: str
    investigating_level: InvestigatingLevel
    supervised_by: str


class DeadlineMissed(_Event):
    type: Literal["deadline_missed"] = "deadline_missed"
    key: str
    due_at: datetime
    escalated_to: str


class Cancelled(_Event):
    type: Literal["cancelled"] = "cancelled"
    reason: str


IncidentEvent = Annotated[
    IncidentReported
    | Supplemented
    | ReportAcknowledged
    | InvestigationOpened
    | InvestigationPaused
    | InvestigationResumed
    | InvestigationExtensionRequested
    | InvestigationExtensionDecided
    | ReportSubmitted
    | ReportApproved
    | SanctionRecorded
    | MeasureUpdated
    | Published
    | EducationRecorded
    | EvaluationOpened
    | EvaluationSubmitted
    | ConcealmentFlagged
    | DeadlineMissed
    | Cancelled,
    Field(discriminator="type"),
]
EVENTS: TypeAdapter[Any] = TypeAdapter(IncidentEvent)

# ---- state ----------------------------------------------------------------------------------------------


class _Rec(BaseModel):
    model_config = ConfigDict(frozen=True)


class Sanction(_Rec):
    target: str
    measure: str
    executed: bool = False
    note: str = ""
    recorded_at: datetime | None = None


class Measure(_Rec):
    title: str
    owner_enterprise_id: str
    deadline: datetime
    hazard_id: str | None = None
    status: str = "pending"


class Investigation(_Rec):
    lead_authority: str
    team: list[str]
    opened_at: datetime
    opened_by: str
    paused_at: datetime | None = None
    paused_seconds: float = 0
    extension_days: int | None = None
    extension_reason: str = ""
    extension_status: Literal["pending", "approved", "rejected"] | None = None


class InvestigationReport(_Rec):
    causes: list[str]
    enterprise_responsibility: list[str]
    regulatory_responsibility: list[str]
    submitted_at: datetime
    submitted_by: str


class Evaluation(_Rec):
    opens_at: datetime
    deadline: datetime
    due_at: datetime | None = None
    round: int = 0
    prefill: Prefill | None = None
    findings: list[dict[str, Any]] = Field(default_factory=list)


class IncidentState(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = ""
    policy: PolicyRef | None = None
    status: Status = Status.none
    occurred_at: datetime | None = None
    reported_at: datetime | None = None
    reported_by: str = ""
    enterprise_id: str = ""
    region: str = "000000"
    incident_type: IncidentType | None = None
    deaths: int = 0
    serious_injuries: int = 0
    direct_loss: Decimal = Decimal(0)
    description: str = ""
    grade: Grade | None = None
    investigating_level: InvestigatingLevel | None = None
    late_report: bool = False
    concealed: bool = False
    supervised_by: str | None = None
    origin: Origin | None = None
    route: list[Step] = Field(default_factory=list)
    supplement_until: datetime | None = None
    supplements: list[dict[str, Any]] = Field(default_factory=list)
    investigation_due: datetime | None = None
    investigation: Investigation | None = None
    report: InvestigationReport | None = None
    sanctions: list[Sanction] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    approval_due: datetime | None = None
    approved_at: datetime | None = None
    approvals: list[dict[str, Any]] = Field(default_factory=list)
    publication_due: datetime | None = None
    publication: dict[str, Any] | None = None
    education: list[dict[str, Any]] = Field(default_factory=list)
    evaluation: Evaluation | None = None
    lapsed: list[str] = Field(default_factory=list)
    overdue: bool = False
    escalations: list[dict[str, Any]] = Field(default_factory=list)
    cancelled_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def flags(self) -> list[str]:
        out = []
        if self.late_report:
            out.append("late_report")
        if self.concealed:
            out.append("concealed")
        if self.grade is not None and self.grade != Grade.general:
            out.append("one_vote_veto")
        if self.supervised_by:
            out.append("listed_for_supervision")
        return out
