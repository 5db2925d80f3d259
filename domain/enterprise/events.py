"""Enterprise-record events: each carries the time and actor of the decision."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.enterprise.state import CaseFacts
from domain.policy import PolicyRef


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)
    at: datetime
    by: str


class RecordOpened(_Event):
    type: Literal["record_opened"] = "record_opened"
    id: str
    policy: PolicyRef
    enterprise_id: str
    region: str


class CaseFactsRecorded(_Event):
    """A case of the enterprise told the record its facts (penalties, major hazard, stop-work, grade)."""

    type: Literal["case_facts_recorded"] = "case_facts_recorded"
    case_id: str
    facts: CaseFacts
    windows: dict[str, int] = Field(
        default_factory=dict, description="the enterprise's penalties within each Art. 113 window, then"
    )


class StopWorkRefused(_Event):
    type: Literal["stop_work_refused"] = "stop_work_refused"
    case_id: str
    note: str


class ClosureProposed(_Event):
    """提请关闭 (安全生产法 Art. 113), to the government that decides (the county level)."""

    type: Literal["closure_proposed"] = "closure_proposed"
    ground: str
    reason: str


class CreditCauseFound(_Event):
    """A cause of 应急管理部令第11号 for listing the enterprise: the authority now decides."""

    type: Literal["credit_cause_found"] = "credit_cause_found"
    cause: str
    reason: str
    case_id: str | None = Field(default=None, description="the incident of a reporting failure (瞒报/谎报)")


class ListingDeclined(_Event):
    type: Literal["listing_declined"] = "listing_declined"
    causes: list[str]
    comment: str


class CreditListed(_Event):
    """列入安全生产严重失信主体名单, with the 联合惩戒 departments told."""

    type: Literal["credit_listed"] = "credit_listed"
    causes: list[str]
    decision_no: str
    publish_due: datetime
    until: datetime
    repair_from: datetime
    departments: list[str] = Field(default_factory=list)


class ListingPublished(_Event):
    type: Literal["listing_published"] = "listing_published"
    where: str
    removal: bool = Field(default=False, description="the publication of the removal (停止公示)")


class RemovalRequested(_Event):
    type: Literal["removal_requested"] = "removal_requested"
    reason: str
    decision_due: datetime


class RemovalDecided(_Event):
    type: Literal["removal_decided"] = "removal_decided"
    approved: bool
    comment: str


class ListingRemoved(_Event):
    """移出: at the end of the duration (expired) or early after 信用修复 (repaired)."""

    type: Literal["listing_removed"] = "listing_removed"
    because: Literal["expired", "repaired"]
    publish_due: datetime
    departments: list[str] = Field(default_factory=list)


class DeadlineMissed(_Event):
    type: Literal["deadline_missed"] = "deadline_missed"
    key: str
    due_at: datetime
    escalated_to: str | None = None


EnterpriseEvent = Annotated[
    RecordOpened
    | CaseFactsRecorded
    | StopWorkRefused
    | ClosureProposed
    | CreditCauseFound
    | ListingDeclined
    | CreditListed
    | ListingPublished
    | RemovalRequested
    | RemovalDecided
    | ListingRemoved
    | DeadlineMissed,
    Field(discriminator="type"),
]
