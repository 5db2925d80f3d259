"""Tip state: what the rules need, and never the reporter's identity."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.common import Evidence
from domain.policy import PolicyRef
from domain.tip.commands import Channel, IntakeRoute


class TipStatus(StrEnum):
    none = "none"
    received = "received"
    verifying = "verifying"
    routed = "routed"
    not_substantiated = "not_substantiated"
    substantiated = "substantiated"
    reward_assessing = "reward_assessing"
    reward_approved = "reward_approved"
    closed = "closed"


class RewardStatus(StrEnum):
    not_due = "not_due"  # no reward: duplicate, no fine, child cancelled, no concealed death…
    assessing = "assessing"
    approved = "approved"
    paid = "paid"
    waived = "waived"


class RewardBasis(StrEnum):
    fine = "fine"  # hazard / violation: a share of the fine
    concealed_deaths = "concealed_deaths"  # 瞒报 accident: per concealed death by grade


class TriageRecord(BaseModel):
    model_config = ConfigDict(frozen=True)
    in_scope: bool
    route_to: str | None = None
    duplicate_of: str | None = None
    involves_deaths: bool = False
    at: datetime
    by: str


class Extension(BaseModel):
    model_config = ConfigDict(frozen=True)
    days: int
    reason: str
    previous_due: datetime
    new_due: datetime
    at: datetime
    by: str


class VerificationRecord(BaseModel):
    model_config = ConfigDict(frozen=True)
    substantiated: bool
    findings: str
    action_kind: str | None = None
    at: datetime
    by: str = Field(description="the verifier: may not approve the reward (separation of duties)")


class ChildRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    case_id: str
    kind: str
    status: str | None = None
    terminal: bool = False
    fine_total: Decimal | None = None
    grade: str | None = None
    concealed_deaths: int | None = None
    updated_at: datetime | None = None


class FeedbackRecord(BaseModel):
    model_config = ConfigDict(frozen=True)
    text: str
    at: datetime
    by: str


class RewardRecord(BaseModel):
    model_config = ConfigDict(frozen=True)
    status: RewardStatus
    reason: str | None = None
    basis: RewardBasis | None = None
    fine_total: Decimal | None = None
    grade: str | None = None
    concealed_deaths: int | None = None
    computed: Decimal | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    assessment_due: datetime | None = None
    assessed_amount: Decimal | None = None
    assessed_by: str | None = None
    assessed_at: datetime | None = None
    assess_comment: str = ""
    approved_amount: Decimal | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    approve_comment: str = ""
    claim_due: datetime | None = None
    payment_reference: str | None = None
    paid_at: datetime | None = None
    unclaimed: bool = False
    decided_at: datetime | None = None


class TipState(BaseModel):
    """A tip. Holds no reporter identity: only whether one was given, and the claim token's hash."""

    id: str = ""
    policy: PolicyRef | None = None
    status: TipStatus = TipStatus.none
    channel: Channel | None = None
    region: str = "000000"
    enterprise_id: str | None = Field(default=None, description="the enterprise the tip is about")
    content: str = ""
    evidence: list[Evidence] = Field(default_factory=list)
    reporter_identified: bool = False
    anonymous: bool = True
    claim_token_hash: str | None = None
    received_via: IntakeRoute | None = None
    received_at: datetime | None = None
    received_by: str | None = None
    updated_at: datetime | None = None
    triage_due: datetime | None = None
    triage: TriageRecord | None = None
    verification_due: datetime | None = None
    extension: Extension | None = None
    verification: VerificationRecord | None = None
    child: ChildRef | None = None
    feedback_due: datetime | None = None
    feedback: FeedbackRecord | None = None
    reward: RewardRecord | None = None
    lapsed: list[str] = Field(default_factory=list, description="clocks that passed unmet (overdue)")
    closed_at: datetime | None = None
    closure_reason: str | None = None

    @property
    def duplicate(self) -> bool:
        return self.triage is not None and self.triage.duplicate_of is not None

    @property
    def feedback_owed(self) -> bool:
        return self.feedback_due is not None and self.feedback is None

    @property
    def waits_for_child(self) -> bool:
        return self.status == TipStatus.substantiated and self.child is not None and self.reward is None
