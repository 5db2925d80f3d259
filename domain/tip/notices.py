"""Who is told what about a tip: officers of the tip's region, one level up on escalation, and the
reporter only as `recipient_role="reporter"`, `recipient_party=<tip id>` (the shell delivers through
the sealed channel). Never the target enterprise, never any reporter data, never the tip's content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.actors import parent_region
from domain.decider import Notice
from domain.tip.events import (
    DeadlineMissed,
    FeedbackSent,
    RewardApproved,
    RewardAssessed,
    RewardAssessmentOpened,
    RewardWaived,
    TipClosed,
    TipReceived,
    Triaged,
    VerificationExtended,
    VerificationRecorded,
)
from domain.tip.state import TipState


def tip_notices(before: TipState, e: Any, after: TipState) -> list[Notice]:
    """Officers of the tip's region (and one level up on escalation); the reporter only by tip id."""
    region = after.region
    tip = after.id

    def n(
        kind: str,
        role: str,
        subject: str,
        *,
        party: str = region,
        due: datetime | None = None,
        **data: Any,
    ) -> Notice:
        return Notice(
            kind=kind,
            recipient_role=role,
            recipient_party=party,
            due_at=due,
            subject=subject,
            data={"tip_id": tip, **data},
        )

    if isinstance(e, TipReceived):
        return [
            n(
                "action_required",
                "operator",
                f"tip {tip} received: triage it",
                due=e.triage_due,
                channel=e.channel.value,
            ),
            n(
                "action_required",
                "inspector",
                f"tip {tip} received: triage it",
                due=e.triage_due,
                channel=e.channel.value,
            ),
        ]
    if isinstance(e, Triaged):
        out: list[Notice] = []
        if e.involves_deaths:
            out.append(
                n(
                    "deaths_involved",
                    "supervisor",
                    f"tip {tip} involves deaths: handled under the county-level government "
                    "(安全生产法 Art. 73)",
                )
            )
        if e.in_scope:
            out.append(
                n(
                    "action_required",
                    "inspector",
                    f"verify tip {tip}",
                    due=e.verification_due,
                    duplicate_of=e.duplicate_of,
                )
            )
        elif e.route_to is not None:
            out.append(
                n(
                    "routed",
                    "operator",
                    f"tip {tip} routed to {e.route_to}: forward it and tell the reporter",
                    due=e.feedback_due,
                    route_to=e.route_to,
                )
            )
        else:
            out.append(
                n(
                    "action_required",
                    "inspector",
                    f"tip {tip} is out of scope: tell the reporter",
                    due=e.feedback_due,
                )
            )
        return out
    if isinstance(e, VerificationExtended):
        return [
            n(
                "extended",
                "inspector",
                f"verification of tip {tip} extended by {e.days} days",
                due=e.new_due,
            )
        ]
    if isinstance(e, VerificationRecorded):
        out = [
            n(
                "action_required",
                "inspector",
                f"tip {tip} verified: send feedback to the reporter",
                due=e.feedback_due,
                substantiated=e.substantiated,
            )
        ]
        if e.child_id is not None:
            out.append(
                n(
                    "case_opened",
                    "inspector",
                    f"{e.child_kind} case {e.child_id} opened from tip {tip}",
                    child_id=e.child_id,
                )
            )
        return out
    if isinstance(e, FeedbackSent):
        return [n("feedback", "reporter", f"feedback on tip {tip}", party=tip, text=e.text)]
    if isinstance(e, RewardAssessmentOpened):
        return [
            n(
                "action_required",
                "inspector",
                f"assess the reward for tip {tip}",
                due=e.assessment_due,
                computed=str(e.computed),
            )
        ]
    if isinstance(e, RewardAssessed):
        return [
            n(
                "action_required",
                "supervisor",
                f"approve the reward for tip {tip}",
                due=after.reward.assessment_due if after.reward else None,
                amount=str(e.amount),
            )
        ]
    if isinstance(e, RewardApproved):
        return [
            n(
                "reward_approved",
                "reporter",
                f"a reward of {e.amount} yuan was approved for tip {tip}",
                party=tip,
                due=e.claim_due,
                amount=str(e.amount),
            ),
            n(
                "action_required",
                "operator",
                f"pay the reward of tip {tip} when claimed",
                due=e.claim_due,
                amount=str(e.amount),
            ),
        ]
    if isinstance(e, RewardWaived) and e.unclaimed:
        return [n("reward_unclaimed", "supervisor", f"the reward of tip {tip} was not claimed: waived")]
    if isinstance(e, DeadlineMissed):
        return [
            n("overdue", "inspector", f"tip {tip}: {e.key} is overdue", due=e.due_at, clock=e.key),
            n("overdue", "supervisor", f"tip {tip}: {e.key} is overdue", due=e.due_at, clock=e.key),
            n(
                "escalation",
                "supervisor",
                f"tip {tip} in {region}: {e.key} is overdue",
                party=parent_region(region),
                due=e.due_at,
                clock=e.key,
                region=region,
            ),
        ]
    if isinstance(e, TipClosed):
        return [n("closed", "inspector", f"tip {tip} closed ({e.reason})", reason=e.reason)]
    return []
