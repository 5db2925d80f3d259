"""Incident state: the case file, its clocks and statuses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.incident.commands import IncidentType, Origin, ReportedVia
from domain.incident.grading import Grade, InvestigatingLevel
from domain.policy import PolicyRef


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


class Step(BaseModel):
    """One level of the onward reporting route: the report must reach `region` by `due_at`."""

    model_config = ConfigDict(frozen=True)
    region: str
    due_at: datetime
    acknowledged_at: datetime | None = None
    missed: bool = False


class Prefill(BaseModel):
    model_config = ConfigDict(frozen=True)
    causes_identified: bool
    responsible_handled: bool
    measures_implemented: bool
    people_educated: bool


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
    reported_via: ReportedVia = ReportedVia.enterprise
    omitted: bool = False
    false_report: bool = False
    first_casualties: int | None = None
    written_report_due: datetime | None = None
    written_report_at: datetime | None = None
    approval_extension_days: int | None = None
    supervised_by: str | None = None
    origin: Origin | None = None
    route: list[Step] = Field(default_factory=list)
    tree: dict[str, Any] | None = Field(
        default=None,
        description="the pinned pack's jurisdiction tree the authority follows (None: digits)",
    )
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
    def reporting_failures(self) -> list[str]:
        """迟报 late_report, 漏报 omitted, 谎报 false_report, 瞒报 concealed (seed 001, task 61)."""
        failures = {
            "late_report": self.late_report,
            "omitted": self.omitted,
            "false_report": self.false_report,
            "concealed": self.concealed,
        }
        return [name for name, on in failures.items() if on]

    @property
    def veto_causes(self) -> list[str]:
        """一票否决 of the region for the year: a 较大 or worse accident (seed 001, task 21) or any
        reporting failure (task 61: 瞒报、漏报、迟报; 谎报 with them, 493号令 Art. 4)."""
        out = ["larger_or_worse"] if self.grade is not None and self.grade != Grade.general else []
        return out + self.reporting_failures

    @property
    def flags(self) -> list[str]:
        out = self.reporting_failures
        if self.veto_causes:
            out.append("one_vote_veto")
        if self.supervised_by:
            out.append("listed_for_supervision")
        return out
