"""Incident commands: pydantic models discriminated on `type`.

The bodies as sent: docs/http-api.md#commands; their rules: docs/rules.md#incident-commands.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from domain.common import REGION, Int, Line, Moment, Money
from domain.common import Body as _Body
from domain.decider import ChildCaseUpdated, DeadlineElapsed

TEXT = 10000


class IncidentType(StrEnum):
    fire = "fire"
    road_traffic = "road_traffic"
    industrial = "industrial"
    construction = "construction"
    hazardous_chemicals = "hazardous_chemicals"
    mining = "mining"
    other = "other"


class ReportedVia(StrEnum):
    """How the accident reached the system: anything but the enterprise's own report is 漏报."""

    enterprise = "enterprise"  # the enterprise's own report (also as entered by a duty office)
    inspection = "inspection"
    hospital = "hospital"
    police = "police"
    tip = "tip"
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
    reported_via: ReportedVia = Field(
        default=ReportedVia.enterprise,
        description="how the accident reached the regulator; other than the enterprise's own report is 漏报",
    )
    channel: Literal["phone", "written"] = Field(
        default="written", description="a phone report (seed 002: 30 minutes) owes the written one (1 hour)"
    )


class Supplement(_Body):
    type: Literal["supplement"] = "supplement"
    deaths: Int = Field(ge=0, le=100_000)
    serious_injuries: Int = Field(ge=0, le=100_000)
    direct_loss: Money = Field(ge=0, max_digits=16, decimal_places=2)
    note: str = Field(min_length=1, max_length=TEXT)


class AcknowledgeReport(_Body):
    """A level on the reporting route confirms it received the report (Art. 10-11)."""

    type: Literal["acknowledge_report"] = "acknowledge_report"
    note: str = Field(default="", max_length=2000)


class FileWrittenReport(_Body):
    """The written report that follows a phone report (seed 002: within 1 hour of the accident)."""

    type: Literal["file_written_report"] = "file_written_report"
    uri: str = Field(min_length=1, max_length=2000)


class ExtendApproval(_Body):
    """493号令 Art. 32: the 批复 of an especially major accident may be extended once, by at most 30 days."""

    type: Literal["extend_approval"] = "extend_approval"
    days: Int = Field(ge=1, le=366)
    reason: str = Field(min_length=1, max_length=2000)


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
    | FileWrittenReport
    | ExtendApproval
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
