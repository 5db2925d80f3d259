"""Tip events: snake_case past tense, each carrying every time and actor id its evolve needs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.common import Evidence
from domain.policy import PolicyRef
from domain.tip.commands import Channel, IntakeRoute
from domain.tip.state import RewardBasis


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)


class TipReceived(_Event):
    type: Literal["tip_received"] = "tip_received"
    id: str
    policy: PolicyRef
    channel: Channel
    region: str
    enterprise_id: str | None
    content: str
    evidence: list[Evidence]
    reporter_identified: bool
    claim_token_hash: str | None
    received_via: IntakeRoute
    triage_due: datetime
    at: datetime
    by: str


class Triaged(_Event):
    type: Literal["triaged"] = "triaged"
    in_scope: bool
    route_to: str | None
    duplicate_of: str | None
    involves_deaths: bool
    verification_due: datetime | None
    feedback_due: datetime | None
    at: datetime
    by: str


class VerificationExtended(_Event):
    type: Literal["verification_extended"] = "verification_extended"
    days: int
    reason: str
    previous_due: datetime
    new_due: datetime
    at: datetime
    by: str


class VerificationRecorded(_Event):
    type: Literal["verification_recorded"] = "verification_recorded"
    substantiated: bool
    findings: str
    action: dict[str, Any] | None
    child_kind: str | None
    child_id: str | None
    feedback_due: datetime
    at: datetime
    by: str


class FeedbackSent(_Event):
    type: Literal["feedback_sent"] = "feedback_sent"
    text: str
    at: datetime
    by: str


class ChildOutcomeRecorded(_Event):
    type: Literal["child_outcome_recorded"] = "child_outcome_recorded"
    child_id: str
    child_kind: str
    status: str | None
    terminal: bool
    fine_total: Decimal | None = None
    grade: str | None = None
    concealed_deaths: int | None = None
    at: datetime


class RewardAssessmentOpened(_Event):
    type: Literal["reward_assessment_opened"] = "reward_assessment_opened"
    basis: RewardBasis
    fine_total: Decimal | None = None
    grade: str | None = None
    concealed_deaths: int | None = None
    computed: Decimal
    minimum: Decimal
    maximum: Decimal
    assessment_due: datetime
    at: datetime


class RewardNotDue(_Event):
    type: Literal["reward_not_due"] = "reward_not_due"
    reason: str
    at: datetime


class RewardAssessed(_Event):
    type: Literal["reward_assessed"] = "reward_assessed"
    amount: Decimal
    computed: Decimal
    comment: str
    at: datetime
    by: str


class RewardApproved(_Event):
    type: Literal["reward_approved"] = "reward_approved"
    amount: Decimal
    comment: str
    claim_due: datetime
    at: datetime
    by: str


class RewardPaid(_Event):
    type: Literal["reward_paid"] = "reward_paid"
    reference: str
    at: datetime
    by: str


class RewardWaived(_Event):
    type: Literal["reward_waived"] = "reward_waived"
    reason: str
    unclaimed: bool = False
    at: datetime
    by: str


class DeadlineMissed(_Event):
    type: Literal["deadline_missed"] = "deadline_missed"
    key: str
    due_at: datetime
    at: datetime


class TipClosed(_Event):
    type: Literal["tip_closed"] = "tip_closed"
    reason: str
    at: datetime


TipEvent = Annotated[
    TipReceived
    | Triaged
    | VerificationExtended
    | VerificationRecorded
    | FeedbackSent
    | ChildOutcomeRecorded
    | RewardAssessmentOpened
    | RewardNotDue
    | RewardAssessed
    | RewardApproved
    | RewardPaid
    | RewardWaived
    | DeadlineMissed
    | TipClosed,
    Field(discriminator="type"),
]
