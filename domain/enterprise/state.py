"""The enterprise record's state: the facts of its cases and what the rules made of them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.policy import PolicyRef


class Status(StrEnum):
    none = "none"
    active = "active"


class _Rec(BaseModel):
    model_config = ConfigDict(frozen=True)


class PenaltyFact(_Rec):
    """A penalty decision under the 安全生产法 on one of the enterprise's cases."""

    case_id: str
    decision_no: str
    amount: Decimal
    at: datetime


class CaseFacts(_Rec):
    """What one case (hazard or incident) tells the record (domain/enterprise/facts.py)."""

    kind: str
    status: str
    terminal: bool = False
    level: str | None = None
    major_open: bool = Field(default=False, description="an open 重大事故隐患")
    stop_work: str = Field(default="none", description="none | partial | full (停产停业整顿)")
    stop_work_since: datetime | None = None
    lacking_after_suspension: bool = Field(
        default=False, description="re-inspected under a full stop-work order and still not compliant"
    )
    grade: str | None = Field(default=None, description="an incident's grade")
    concealed: bool = Field(default=False, description="an incident's 瞒报 (concealed accident)")
    false_report: bool = Field(default=False, description="an incident's 谎报 (figures understated)")
    penalties: list[PenaltyFact] = Field(default_factory=list)


class StopWorkRecord(_Rec):
    """A stop-work order and its execution."""

    case_id: str
    scope: str
    ordered_at: datetime
    lifted_at: datetime | None = None
    refused_at: datetime | None = None
    refusal_note: str = ""


class ClosureProposal(_Rec):
    ground: str = Field(description="the item of 安全生产法 Art. 113: 一, 二, 三 or 四")
    reason: str
    at: datetime


class CreditCause(_Rec):
    cause: str = Field(description="a key of the pack's `credit.listing_causes`")
    reason: str
    at: datetime
    case_id: str | None = Field(default=None, description="the incident of a reporting failure (瞒报/谎报)")


class Listing(_Rec):
    """安全生产严重失信主体名单: one listing in force (or ended)."""

    causes: list[str]
    decision_no: str
    listed_at: datetime
    by: str
    publish_due: datetime
    published_at: datetime | None = None
    published_where: str = ""
    until: datetime = Field(description="the end of the listing's duration (`credit.duration`)")
    repair_from: datetime = Field(description="信用修复: early removal may be asked from then on")
    removal_requested_at: datetime | None = None
    removal_reason: str = ""
    removal_decision_due: datetime | None = None
    removed_at: datetime | None = None
    removed_because: str | None = Field(default=None, description="expired | repaired")
    removal_publish_due: datetime | None = None
    removal_published_at: datetime | None = None


class EnterpriseState(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = ""
    policy: PolicyRef | None = None
    status: Status = Status.none
    enterprise_id: str = ""
    region: str = "000000"
    cases: dict[str, CaseFacts] = Field(default_factory=dict)
    penalties: list[PenaltyFact] = Field(default_factory=list)
    penalty_windows: dict[str, int] = Field(
        default_factory=dict, description="penalties within each Art. 113 window, as of windows_as_of"
    )
    windows_as_of: datetime | None = None
    stop_work: list[StopWorkRecord] = Field(default_factory=list)
    closure: list[ClosureProposal] = Field(default_factory=list)
    credit_causes: list[CreditCause] = Field(default_factory=list, description="causes not yet decided")
    reporting_causes: list[str] = Field(
        default_factory=list, description="`cause:case_id` of each reporting failure found (found once)"
    )
    listing: Listing | None = None
    past_listings: list[Listing] = Field(default_factory=list)
    lapsed: list[str] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def listed(self) -> bool:
        return self.listing is not None and self.listing.removed_at is None

    @property
    def closure_grounds(self) -> set[str]:
        return {p.ground for p in self.closure}

    def stop_work_in_force(self, case_id: str) -> StopWorkRecord | None:
        for r in reversed(self.stop_work):
            if r.case_id == case_id and r.lifted_at is None:
                return r
        return None
