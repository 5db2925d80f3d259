"""Campaign commands, events and state (the decider is in domain/campaign/decider.py)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from domain.common import HEX64, REGION
from domain.common import Body as _Body
from domain.decider import ChildCaseUpdated, DeadlineElapsed

TEXT = 2000
MAX_SCOPE = 50
Region = Annotated[str, Field(pattern=REGION)]
Industry = Annotated[str, Field(min_length=1, max_length=100)]


def _day_text(v: object) -> object:
    if not isinstance(v, str | date):
        raise ValueError("must be a calendar day as a string, YYYY-MM-DD")
    return v


Day = Annotated[
    date, BeforeValidator(_day_text), Field(description="a calendar day, YYYY-MM-DD (Asia/Shanghai)")
]

OVERDUE_LISTING = "overdue_at_deadline"
"""The `ref` of the system's `child_case_updated` that lists the campaign's hazards open at its deadline."""


class Launch(_Body):
    """Creation: a supervisor of the campaign's region launches it (seed 003 二、三)."""

    type: Literal["launch"] = "launch"
    title: str = Field(min_length=1, max_length=200)
    region: str = Field(pattern=REGION, description="the region whose safety office runs the campaign")
    regions: list[Region] = Field(min_length=1, max_length=MAX_SCOPE, description="the regions in scope")
    industries: list[Industry] = Field(
        default_factory=list, max_length=MAX_SCOPE, description="the industries in scope; none: every one"
    )
    starts_on: Day
    deadline: Day = Field(description="the last day of rectification (e.g. 9月底)")


class SignReport(_Body):
    """A periodic campaign report (排查整治工作情况) signed by the responsible leader (由分管领导签发)."""

    type: Literal["sign_report"] = "sign_report"
    period: str = Field(min_length=1, max_length=100, description="e.g. 2026-03-30 阶段情况, or 工作总结")
    content_sha256: str = Field(pattern=HEX64, description="SHA-256 of the report content attested")
    signer_title: str = Field(min_length=1, max_length=100, description="the signer's post, e.g. 分管领导")


class ExplainOverdue(_Body):
    """The written explanation (书面说明) to the district safety office for a hazard open at the deadline."""

    type: Literal["explain_overdue"] = "explain_overdue"
    hazard_id: str = Field(min_length=1, max_length=100)
    explanation: str = Field(min_length=1, max_length=TEXT)
    refer_to_government: bool = Field(
        default=False, description="确难整改: the case is put to the district government to study"
    )


CampaignCommand = Annotated[
    Launch | SignReport | ExplainOverdue | DeadlineElapsed | ChildCaseUpdated, Field(discriminator="type")
]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)


class Launched(_Event):
    type: Literal["launched"] = "launched"
    id: str
    title: str
    region: str
    regions: list[str]
    industries: list[str]
    starts_on: date
    deadline: date
    ends_at: datetime
    at: datetime
    by: str


class ReportSigned(_Event):
    type: Literal["report_signed"] = "report_signed"
    period: str
    content_sha256: str
    signer_id: str
    signer_name: str
    signer_title: str
    at: datetime


class DeadlineReached(_Event):
    type: Literal["deadline_reached"] = "deadline_reached"
    at: datetime


class OverdueHazard(_Event):
    id: str
    enterprise_id: str = ""
    region: str
    status: str
    deadline: datetime | None = None


class OverdueListed(_Event):
    type: Literal["overdue_listed"] = "overdue_listed"
    hazards: list[OverdueHazard]
    at: datetime


class OverdueExplained(_Event):
    type: Literal["overdue_explained"] = "overdue_explained"
    hazard_id: str
    explanation: str
    refer_to_government: bool
    by: str
    by_name: str
    at: datetime


CampaignEvent = Annotated[
    Launched | ReportSigned | DeadlineReached | OverdueListed | OverdueExplained, Field(discriminator="type")
]


class Status(StrEnum):
    none = "none"
    active = "active"  # launched: hazards reported in scope are under it
    deadline_passed = "deadline_passed"  # the deadline passed; the open hazards are being listed
    explanations_owed = "explanations_owed"  # some hazards open at the deadline are not explained yet
    closed = "closed"  # every hazard open at the deadline is explained (or none was)


class CampaignState(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = ""
    status: Status = Status.none
    title: str = ""
    region: str = "000000"
    regions: list[str] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)
    starts_on: date | None = None
    deadline: date | None = None
    ends_at: datetime | None = None
    launched_by: str = ""
    signatures: list[ReportSigned] = Field(default_factory=list)
    overdue: list[OverdueHazard] = Field(default_factory=list, description="open at the deadline")
    explanations: list[OverdueExplained] = Field(default_factory=list)

    def owing(self) -> list[OverdueHazard]:
        done = {e.hazard_id for e in self.explanations}
        return [h for h in self.overdue if h.id not in done]
