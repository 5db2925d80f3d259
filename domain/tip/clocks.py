"""A tip's clocks: what it owes (`deadlines`) and what a lapsed one records (`deadline_elapsed`)."""

from __future__ import annotations

from datetime import datetime

from domain.decider import Context, Deadline, DeadlineElapsed
from domain.tip.events import (
    DeadlineMissed,
    RewardWaived,
    TipEvent,
)
from domain.tip.state import (
    TipState,
    TipStatus,
)


def deadlines(s: TipState) -> list[Deadline]:
    out: list[Deadline] = []

    def owe(key: str, kind: str, due: datetime | None, note: str) -> None:
        if due is not None and key not in s.lapsed:
            out.append(Deadline(key=key, kind=kind, due_at=due, note=note))

    if s.status == TipStatus.received:
        owe("triage", "triage", s.triage_due, "triage the tip (受理)")
    if s.status == TipStatus.verifying:
        owe("verification", "verification", s.verification_due, "finish verifying the tip (核查)")
    if s.feedback_owed and s.status != TipStatus.closed:
        owe("feedback", "feedback", s.feedback_due, "tell the reporter the result (反馈)")
    if s.status == TipStatus.reward_assessing and s.reward is not None:
        owe(
            "reward_assessment",
            "reward_assessment",
            s.reward.assessment_due,
            "assess and approve the reward",
        )
    if s.status == TipStatus.reward_approved and s.reward is not None:
        owe("claim", "claim_window", s.reward.claim_due, "unclaimed by then: the reward is waived")
    return out


def deadline_elapsed(s: TipState, c: DeadlineElapsed, ctx: Context) -> list[TipEvent]:
    if (c.key, c.due_at) not in {(d.key, d.due_at) for d in deadlines(s)}:
        return []  # stale timer
    if c.key == "claim":
        return [
            RewardWaived(
                reason="not claimed within the claim window", unclaimed=True, at=ctx.now, by=ctx.actor.id
            )
        ]
    return [DeadlineMissed(key=c.key, due_at=c.due_at, at=ctx.now)]
