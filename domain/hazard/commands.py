"""Hazard commands: pydantic models discriminated on `type`.

The bodies as sent: docs/http-api.md#commands; their rules: docs/rules.md#hazard-commands.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from domain.common import REGION, Evidence, Int, Line, Moment, Money
from domain.common import Body as _Body
from domain.decider import ChildCaseUpdated, DeadlineElapsed

TEXT = 5000


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
    confiscated: Money = Field(
        default=Decimal(0), ge=0, max_digits=14, decimal_places=2, description="没收违法所得, yuan"
    )


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


class PublishListing(_Body):
    """The public notice of a listing (挂牌督办), within `listing.publish_due` of the listing."""

    type: Literal["publish_listing"] = "publish_listing"
    uri: str = Field(min_length=1, max_length=2000)


class PublishWriteoff(_Body):
    """The public notice of a listed hazard's write-off (销号公告), within `listing.publish_due` of it."""

    type: Literal["publish_writeoff"] = "publish_writeoff"
    uri: str = Field(min_length=1, max_length=2000)


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
    | PublishListing
    | PublishWriteoff
    | Cancel
    | DeadlineElapsed
    | ChildCaseUpdated,
    Field(discriminator="type"),
]
