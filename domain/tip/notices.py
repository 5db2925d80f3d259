"""Who is told what about a tip: officers of the tip's region, one level up on escalation, and the
reporter only as `recipient_role="reporter"`, `recipient_party=<tip id>` (the shell delivers through
the sealed channel). Never the target enterprise, never any reporter data, never the tip's content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.actors import parent_region
from domain.decider import Notice, Subject
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

KIND_ZH = {"hazard": "隐患", "incident": "事故"}
CLOCK_ZH = {
    "triage": "受理",
    "verification": "核查",
    "feedback": "反馈",
    "reward_assessment": "奖励评定",
    "claim": "奖励领取",
}
CLOSED_ZH = {
    "routed": "已转交",
    "out_of_scope": "不属于本部门职责",
    "not_substantiated": "不属实",
    "no_reward": "无奖励",
    "paid": "奖励已发放",
    "unclaimed": "奖励未领取",
    "waived": "放弃奖励",
}


def tip_notices(before: TipState, e: Any, after: TipState) -> list[Notice]:
    """Officers of the tip's region (and one level up on escalation); the reporter only by tip id."""
    region = after.region
    tip = after.id

    def n(
        kind: str,
        role: str,
        subject: Subject,
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
            subject=subject[0],
            data={"tip_id": tip, **data, "subject_en": subject[1]},
        )

    if isinstance(e, TipReceived):
        received = (f"举报 {tip} 已收到:请受理分拣", f"tip {tip} received: triage it")
        return [
            n(
                "action_required",
                "operator",
                received,
                due=e.triage_due,
                channel=e.channel.value,
            ),
            n(
                "action_required",
                "inspector",
                received,
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
                    (
                        f"举报 {tip} 涉及人员死亡:由县级以上人民政府组织核查处理(安全生产法第七十三条)",
                        f"tip {tip} involves deaths: handled under the county-level government"
                        " (安全生产法 Art. 73)",
                    ),
                )
            )
        if e.in_scope:
            out.append(
                n(
                    "action_required",
                    "inspector",
                    (f"请核查举报 {tip}", f"verify tip {tip}"),
                    due=e.verification_due,
                    duplicate_of=e.duplicate_of,
                )
            )
        elif e.route_to is not None:
            out.append(
                n(
                    "routed",
                    "operator",
                    (
                        f"举报 {tip} 转交 {e.route_to}:请移送并告知举报人",
                        f"tip {tip} routed to {e.route_to}: forward it and tell the reporter",
                    ),
                    due=e.feedback_due,
                    route_to=e.route_to,
                )
            )
        else:
            out.append(
                n(
                    "action_required",
                    "inspector",
                    (
                        f"举报 {tip} 不属于本部门职责:请告知举报人",
                        f"tip {tip} is out of scope: tell the reporter",
                    ),
                    due=e.feedback_due,
                )
            )
        return out
    if isinstance(e, VerificationExtended):
        return [
            n(
                "extended",
                "inspector",
                (
                    f"举报 {tip} 核查期限延长 {e.days} 日",
                    f"verification of tip {tip} extended by {e.days} days",
                ),
                due=e.new_due,
            )
        ]
    if isinstance(e, VerificationRecorded):
        out = [
            n(
                "action_required",
                "inspector",
                (f"举报 {tip} 已核查:请向举报人反馈", f"tip {tip} verified: send feedback to the reporter"),
                due=e.feedback_due,
                substantiated=e.substantiated,
            )
        ]
        if e.child_id is not None:
            out.append(
                n(
                    "case_opened",
                    "inspector",
                    (
                        f"由举报 {tip} 立{KIND_ZH.get(e.child_kind or '', '')}案件 {e.child_id}",
                        f"{e.child_kind} case {e.child_id} opened from tip {tip}",
                    ),
                    child_id=e.child_id,
                )
            )
        return out
    if isinstance(e, FeedbackSent):
        feedback = (f"举报 {tip} 的处理反馈", f"feedback on tip {tip}")
        return [n("feedback", "reporter", feedback, party=tip, text=e.text)]
    if isinstance(e, RewardAssessmentOpened):
        return [
            n(
                "action_required",
                "inspector",
                (f"请评定举报 {tip} 的奖励", f"assess the reward for tip {tip}"),
                due=e.assessment_due,
                computed=str(e.computed),
            )
        ]
    if isinstance(e, RewardAssessed):
        return [
            n(
                "action_required",
                "supervisor",
                (f"请批准举报 {tip} 的奖励", f"approve the reward for tip {tip}"),
                due=after.reward.assessment_due if after.reward else None,
                amount=str(e.amount),
            )
        ]
    if isinstance(e, RewardApproved):
        return [
            n(
                "reward_approved",
                "reporter",
                (
                    f"举报 {tip} 获批奖励 {e.amount} 元",
                    f"a reward of {e.amount} yuan was approved for tip {tip}",
                ),
                party=tip,
                due=e.claim_due,
                amount=str(e.amount),
            ),
            n(
                "action_required",
                "operator",
                (f"举报 {tip} 的奖励待领取时发放", f"pay the reward of tip {tip} when claimed"),
                due=e.claim_due,
                amount=str(e.amount),
            ),
        ]
    if isinstance(e, RewardWaived) and e.unclaimed:
        unclaimed = (
            f"举报 {tip} 的奖励逾期未领取:视为放弃",
            f"the reward of tip {tip} was not claimed: waived",
        )
        return [n("reward_unclaimed", "supervisor", unclaimed)]
    if isinstance(e, DeadlineMissed):
        clock = CLOCK_ZH.get(e.key, "办理")
        late = (f"举报 {tip}:{clock}已逾期", f"tip {tip}: {e.key} is overdue")
        return [
            n("overdue", "inspector", late, due=e.due_at, clock=e.key),
            n("overdue", "supervisor", late, due=e.due_at, clock=e.key),
            n(
                "escalation",
                "supervisor",
                (f"{region} 的举报 {tip}:{clock}已逾期", f"tip {tip} in {region}: {e.key} is overdue"),
                party=parent_region(region),
                due=e.due_at,
                clock=e.key,
                region=region,
            ),
        ]
    if isinstance(e, TipClosed):
        closed = (f"举报 {tip} 已办结({CLOSED_ZH.get(e.reason, e.reason)})", f"tip {tip} closed ({e.reason})")
        return [n("closed", "inspector", closed, reason=e.reason)]
    return []
