"""Incident events: each carries the time and actor of the decision."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.incident.commands import IncidentType, MeasureIn, Origin, ReportedVia, SanctionIn
from domain.incident.grading import Grade, InvestigatingLevel
from domain.incident.state import Prefill, Step
from domain.policy import PolicyRef

# ---- events ---------------------------------------------------------------------------------------------


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)
    at: datetime
    by: str


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
    reported_via: ReportedVia = ReportedVia.enterprise
    omitted: bool = False
    supervised_by: str | None = None
    written_report_due: datetime | None = None
    tree: dict[str, Any] | None = Field(
        default=None, description="the jurisdiction tree the route and the authority follow (None: digits)"
    )


class Supplemented(_Event):
    type: Literal["supplemented"] = "supplemented"
    deaths: int
    serious_injuries: int
    direct_loss: Decimal
    note: str
    grade: Grade
    investigating_level: InvestigatingLevel
    new_steps: list[Step] = Field(default_factory=list)
    understated: bool = False


class ReportAcknowledged(_Event):
    type: Literal["report_acknowledged"] = "report_acknowledged"
    region: str
    note: str


class WrittenReportFiled(_Event):
    type: Literal["written_report_filed"] = "written_report_filed"
    uri: str
    late: bool


class ApprovalExtended(_Event):
    type: Literal["approval_extended"] = "approval_extended"
    days: int
    reason: str
    approval_due: datetime


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
    | WrittenReportFiled
    | ApprovalExtended
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
