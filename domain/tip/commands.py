"""Tip commands (docs/http-api.md#commands, docs/http-api.md#tips): pydantic models discriminated on `type`.

No command has a field for the reporter's name or contact: every body forbids unknown fields, so a
`reporter` sent by mistake is refused rather than stored.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from domain.common import HEX64, REGION, Evidence, Int, Moment, Money
from domain.common import Body as _Body
from domain.decider import ChildCaseUpdated, DeadlineElapsed

PUBLIC_INTAKE_ACTOR_ID = "public-intake"
"""The actor id the shell uses for tips received without a token (role `operator`)."""


MAX_CONTENT = 10_000


class Channel(StrEnum):
    hotline_12350 = "hotline_12350"
    letter = "letter"
    email = "email"
    web = "web"
    visit = "visit"


class IntakeRoute(StrEnum):
    public = "public"  # no token, through the rate-limited public endpoint
    operator = "operator"  # an authenticated operator (hotline call, letter, visit)


class HazardCategory(StrEnum):
    unsafe_condition = "unsafe_condition"
    unsafe_act = "unsafe_act"
    management_defect = "management_defect"


class RiskColor(StrEnum):
    red = "red"
    orange = "orange"
    yellow = "yellow"
    blue = "blue"


class IncidentType(StrEnum):
    fire = "fire"
    road_traffic = "road_traffic"
    industrial = "industrial"
    construction = "construction"
    hazardous_chemicals = "hazardous_chemicals"
    mining = "mining"
    other = "other"


class HazardAction(_Body):
    """The hazard to open for a substantiated tip: a hazard report body (docs/http-api.md#report-bodies);
    `source` is `tip`."""

    kind: Literal["hazard"] = "hazard"
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=MAX_CONTENT)
    enterprise_id: str = Field(min_length=1, max_length=100)
    region: str = Field(pattern=REGION)
    industry: str = Field(min_length=1, max_length=100)
    location: str = Field(min_length=1, max_length=500)
    category: HazardCategory
    source: Literal["tip"] = "tip"
    discovered_at: Moment | None = None
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)
    risk_color: RiskColor | None = None


class IncidentAction(_Body):
    """The concealed accident (瞒报) the tip uncovered: an incident report body
    (docs/http-api.md#report-bodies)."""

    kind: Literal["incident"] = "incident"
    occurred_at: Moment
    enterprise_id: str = Field(min_length=1, max_length=100)
    region: str = Field(pattern=REGION)
    type: IncidentType
    deaths: Int = Field(ge=0, le=100_000)
    serious_injuries: Int = Field(ge=0, le=100_000)
    direct_loss: Money = Field(ge=0)
    description: str = Field(min_length=1, max_length=MAX_CONTENT)


Action = Annotated[HazardAction | IncidentAction, Field(discriminator="kind")]


class Receive(_Body):
    """Creation: a tip as received (受理). Never carries the reporter's name or contact."""

    type: Literal["receive"] = "receive"
    channel: Channel
    region: str = Field(pattern=REGION)
    enterprise_id: str | None = Field(default=None, min_length=1, max_length=100)
    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)
    reporter_identified: bool
    claim_token_hash: str | None = Field(default=None, pattern=HEX64)
    received_via: IntakeRoute


class Triage(_Body):
    type: Literal["triage"] = "triage"
    in_scope: bool
    route_to: str | None = Field(default=None, min_length=1, max_length=200)
    duplicate_of: str | None = Field(default=None, min_length=1, max_length=128)
    involves_deaths: bool = False


class ExtendVerification(_Body):
    type: Literal["extend_verification"] = "extend_verification"
    days: Int = Field(ge=1, le=366)
    reason: str = Field(min_length=1, max_length=2000)


class RecordVerification(_Body):
    type: Literal["record_verification"] = "record_verification"
    substantiated: bool
    findings: str = Field(min_length=1, max_length=MAX_CONTENT)
    action: Action | None = None


class SendFeedback(_Body):
    type: Literal["send_feedback"] = "send_feedback"
    text: str = Field(min_length=1, max_length=5000)


class AssessReward(_Body):
    type: Literal["assess_reward"] = "assess_reward"
    amount: Money | None = Field(default=None, max_digits=12, decimal_places=2, description="yuan")
    comment: str = Field(default="", max_length=2000)


class ApproveReward(_Body):
    type: Literal["approve_reward"] = "approve_reward"
    amount: Money | None = Field(default=None, max_digits=12, decimal_places=2, description="yuan")
    comment: str = Field(default="", max_length=2000)


class RecordPayment(_Body):
    type: Literal["record_payment"] = "record_payment"
    reference: str = Field(min_length=1, max_length=200)


class WaiveReward(_Body):
    type: Literal["waive_reward"] = "waive_reward"
    reason: str = Field(min_length=1, max_length=2000)


TipCommand = Annotated[
    Receive
    | Triage
    | ExtendVerification
    | RecordVerification
    | SendFeedback
    | AssessReward
    | ApproveReward
    | RecordPayment
    | WaiveReward
    | DeadlineElapsed
    | ChildCaseUpdated,
    Field(discriminator="type"),
]
