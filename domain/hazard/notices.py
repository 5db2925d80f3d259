"""Who must be told what when a hazard event happens (docs/rules.md#hazard-deadlines,
docs/rules.md#notifications).

Recipients are roles or responsibilities of a party: `enterprise_responsible` of an enterprise (its
三个责任人), `inspector` / `supervisor` / `expert` of a region. Escalations go one level up
(`parent_region`). The delivery layer resolves these to people and channels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.actors import parent_region
from domain.decider import Notice
from domain.hazard.commands import Level
from domain.hazard.events import (
    AssessmentSubmitted,
    Cancelled,
    ClosureProposed,
    DeadlineMissed,
    ExtensionDecided,
    ExtensionRequested,
    Graded,
    HazardReported,
    Listed,
    PenaltyImposed,
    PlanDecided,
    PlanSubmitted,
    RectificationSubmitted,
    Reinspected,
    ReminderSent,
    Reviewed,
    StopWorkLifted,
    StopWorkOrdered,
    WentOverdue,
)
from domain.hazard.state import HazardState

_MISSED = {
    "grading": "the hazard was not graded in time",
    "listing": "the major hazard was not listed for supervision in time",
    "plan": "the 五落实 plan was not filed in time",
    "explanation": "no written explanation (书面说明) of the overdue hazard",
    "extension_decision": "the extension request was not decided in time",
    "review": "the regulator's review (复查/核销) is late",
    "listing_max": "the listing has lasted its maximum duration",
    "progress": "the progress report is late",
}


def hazard_notices(before: HazardState, e: Any, after: HazardState) -> list[Notice]:
    """What each event tells whom; a working-day clock counted in a year without a holiday table is also
    flagged to the region's supervisors (the date may fall on a holiday: check it)."""
    out = _notices(before, e, after)
    years = getattr(e, "provisional_years", None)
    if years:
        out.append(
            Notice(
                kind="calendar_provisional",
                recipient_role="supervisor",
                recipient_party=after.region,
                subject=f"a working-day deadline counts {', '.join(map(str, years))} Monday–Friday only: "
                "the policy pack lacks that year's holiday notice; check the date",
                data={"years": years, "event": e.type},
            )
        )
    return out


def _notices(before: HazardState, e: Any, after: HazardState) -> list[Notice]:
    ent, region, up = after.enterprise_id, after.region, parent_region(after.region)
    data = {
        "title": after.title,
        "status": after.status.value,
        "level": after.level.value if after.level else None,
    }

    def n(
        kind: str, role: str, party: str, subject: str, due: datetime | None = None, **extra: Any
    ) -> Notice:
        return Notice(
            kind=kind,
            recipient_role=role,
            recipient_party=party,
            due_at=due,
            subject=subject,
            data={**data, **extra},
        )

    def enterprise(kind: str, subject: str, due: datetime | None = None, **extra: Any) -> Notice:
        return n(kind, "enterprise_responsible", ent, subject, due, **extra)

    if isinstance(e, HazardReported):
        if e.origin is not None:
            return [
                n(
                    "action_required",
                    "inspector",
                    region,
                    f"hazard from {e.origin.kind} {e.origin.case_id}: grade it",
                    e.grading_due,
                )
            ]
        return [n("action_required", "inspector", region, "new hazard reported: grade it", e.grading_due)]
    if isinstance(e, Graded):
        if e.level == Level.major:
            return [
                n(
                    "major_hazard",
                    "supervisor",
                    region,
                    "major hazard (重大事故隐患): list it for supervision",
                    e.major_report_due,
                ),
                enterprise("major_hazard", "graded as a major hazard: a listing and a 五落实 plan follow"),
            ]
        return [enterprise("action_required", "rectify the hazard by the deadline", e.deadline)]
    if isinstance(e, Listed):
        return [
            enterprise(
                "listed",
                f"listed for supervision (挂牌督办) by {e.authority}: file the 五落实 plan",
                e.plan_due,
                deadline=e.deadline.isoformat(),
                stop_work=e.stop_work.value,
            ),
            n("publication_due", "supervisor", region, "publish the listing", e.publish_due),
        ]
    if isinstance(e, PlanSubmitted):
        return [n("action_required", "supervisor", region, "五落实 plan submitted: approve or reject it")]
    if isinstance(e, PlanDecided):
        what = "approved: treat the hazard" if e.approved else "rejected: file a new plan"
        return [enterprise("plan_decided", f"plan {what}", e.plan_due, comment=e.comment)]
    if isinstance(e, ExtensionRequested):
        return [
            n(
                "action_required",
                "supervisor",
                region,
                "extension requested: decide it",
                e.decision_due,
                new_deadline=e.new_deadline.isoformat(),
            )
        ]
    if isinstance(e, ExtensionDecided):
        what = "approved" if e.approved else "refused"
        return [enterprise("extension_decided", f"extension {what}", after.deadline, comment=e.comment)]
    if isinstance(e, RectificationSubmitted):
        if after.level == Level.major:
            return [n("action_required", "expert", region, "treatment finished: assess the major hazard")]
        return [n("action_required", "inspector", region, "rectification submitted: review it", e.review_due)]
    if isinstance(e, AssessmentSubmitted):
        if e.passed:
            return [
                n(
                    "action_required",
                    "supervisor",
                    region,
                    "assessment passed: review on site and write off (核销)",
                    e.review_due,
                )
            ]
        return [enterprise("action_required", "assessment failed: continue the treatment", after.deadline)]
    if isinstance(e, Reviewed):
        if e.passed:
            notes = [
                enterprise(
                    "closed", "hazard closed (销号)" + ("; listing lifted (摘牌)" if after.listing else "")
                )
            ]
            if after.listing is not None:
                notes.append(
                    n("publication_due", "supervisor", region, "publish the write-off", e.publish_due)
                )
            return notes
        return [
            enterprise(
                "action_required",
                "review failed: rectify again by the new deadline",
                e.new_deadline,
                comment=e.comment,
            )
        ]
    if isinstance(e, PenaltyImposed):
        return [
            enterprise("penalty", f"penalty decision {e.decision_no}: {e.amount} yuan", amount=str(e.amount))
        ]
    if isinstance(e, ClosureProposed):
        return [
            n(
                "closure_proposal",
                "supervisor",
                region,
                "propose closing the enterprise (安全生产法 Art. 113)",
                reason=e.reason,
            )
        ]
    if isinstance(e, Reinspected) and not e.compliant and e.accrual_base is not None:
        return [
            enterprise(
                "penalty",
                "not corrected: the fine accrues daily (按日连续处罚)",
                accrual_base=str(e.accrual_base),
            )
        ]
    if isinstance(e, StopWorkOrdered):
        return [enterprise("stop_work", f"stop-work order ({e.scope.value})", reason=e.reason)]
    if isinstance(e, StopWorkLifted):
        return [enterprise("stop_work", "stop-work order lifted", reason=e.reason)]
    if isinstance(e, ReminderSent):
        return [enterprise("reminder", "the rectification deadline approaches", e.deadline)]
    if isinstance(e, WentOverdue):
        notes = [
            enterprise(
                "overdue",
                "overdue: submit a written explanation (书面说明)",
                e.explanation_due,
                deadline=e.deadline.isoformat(),
            ),
            n(
                "overdue",
                "supervisor",
                region,
                "hazard overdue",
                e.explanation_due,
                deadline=e.deadline.isoformat(),
            ),
        ]
        if e.listed:
            notes.append(
                n(
                    "warning_list",
                    "supervisor",
                    up,
                    "listed hazard overdue: 警示曝光 warning list",
                    deadline=e.deadline.isoformat(),
                )
            )
        return notes
    if isinstance(e, DeadlineMissed):
        why = _MISSED.get(e.key, e.key)
        if e.escalated_to is None:
            return [
                enterprise("overdue", why, e.next_due),
                n("overdue", "supervisor", region, why, e.next_due),
            ]
        return [n("escalation", "supervisor", e.escalated_to, why, clock=e.key, due_at=e.due_at.isoformat())]
    if isinstance(e, Cancelled):
        return [enterprise("cancelled", "hazard cancelled", reason=e.reason)]
    return []
