"""Reward rules for tips (安监总财〔2018〕19号), every number from the pinned policy pack.

- hazard or violation: `tip.reward.rate` (15%) of the reward base — the case's fines and confiscated
  illegal gains (没收违法所得), the daily penalties (按日连续处罚) included (`REWARD_BASE_PARTS` of the
  hazard's summary) — rounded half-up to the fen, at least
  `tip.reward.min` (3,000), at most `tip.reward.max` (300,000) yuan; no fine, no reward;
- concealed accident (瞒报): `tip.reward.concealed_per_death[grade]` per concealed death, at most
  `tip.reward.concealed_max` (300,000) yuan.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from domain.policy import PolicyPack
from domain.tip.state import RewardBasis

CENT = Decimal("0.01")

REWARD_BASE_PARTS = ("fine_total", "accrued_total", "confiscated_total")
"""The amounts of a hazard's summary that make the reward base (2018 奖励办法: 罚没款 — fines and
confiscations, the daily penalties included)."""


def reward_base(parts: list[Decimal | None]) -> Decimal | None:
    """The sum of the parts present; None when the summary carries none of them."""
    present = [p for p in parts if p is not None]
    return sum(present, Decimal(0)) if present else None


def cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def reward_bounds(policy: PolicyPack, basis: RewardBasis) -> tuple[Decimal, Decimal]:
    """[minimum, maximum] of a reward on this basis (安监总财〔2018〕19号)."""
    maximum = policy.decimal("tip.reward.max" if basis == RewardBasis.fine else "tip.reward.concealed_max")
    return cents(policy.decimal("tip.reward.min")), cents(maximum)


def fine_reward(policy: PolicyPack, fine: Decimal) -> Decimal:
    """`tip.reward.rate` of the fine, rounded half-up to the fen, within [min, max]."""
    low, high = reward_bounds(policy, RewardBasis.fine)
    return _clamp(fine * policy.decimal("tip.reward.rate"), low, high)


def concealed_reward(policy: PolicyPack, grade: str, deaths: int) -> Decimal:
    """Per concealed death by the accident's grade, at most `tip.reward.concealed_max`."""
    per_death = Decimal(str(policy.table("tip.reward.concealed_per_death")[grade]))
    low, high = reward_bounds(policy, RewardBasis.concealed_deaths)
    return _clamp(per_death * deaths, low, high)


def _clamp(raw: Decimal, low: Decimal, high: Decimal) -> Decimal:
    # compare before rounding: quantizing an absurdly large amount would overflow the decimal context
    if raw >= high:
        return high
    return max(low, cents(raw))
