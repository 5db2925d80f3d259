"""Hazard commands decided: rectification, assessment and review (核销), and the enforcement beside them
(penalties, 按日连续处罚, stop-work orders, cancellation)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from domain.actors import Role
from domain.base import known
from domain.decider import (
    Context,
)
from domain.errors import Conflict, Forbidden, InvalidCommand
from domain.hazard.clocks import DAY, reminders
from domain.hazard.commands import (
    Cancel,
    ImposePenalty,
    Level,
    LiftStopWork,
    OrderStopWork,
    Reinspect,
    Review,
    StopWork,
    SubmitAssessment,
    SubmitRectification,
)
from domain.hazard.events import (
    AssessmentSubmitted,
    Cancelled,
    HazardEvent,
    PenaltyImposed,
    RectificationSubmitted,
    Reinspected,
    Reviewed,
    StopWorkLifted,
    StopWorkOrdered,
)
from domain.hazard.publication import writeoff_owed
from domain.hazard.state import HazardState, Status
from domain.timecalc import CN_TZ


def _fmt(d: datetime) -> str:
    return d.isoformat()


# ---- rectification, assessment, review --------------------------------------------------------------


def submit_rectification(s: HazardState, c: SubmitRectification, ctx: Context) -> list[HazardEvent]:
    if ctx.actor.role == Role.inspector and s.status != Status.rectifying:
        raise Forbidden(
            "an inspector records only 立查立改 of general hazards; a major hazard's treatment is the "
            "enterprise's to report",
            rule="role",
        )
    due = ctx.policy.add("hazard.major.review_due", ctx.now) if s.status == Status.rectifying else None
    return [
        RectificationSubmitted(
            summary=c.summary, evidence=c.evidence, review_due=due, at=ctx.now, by=ctx.actor.id
        )
    ]


def submit_assessment(s: HazardState, c: SubmitAssessment, ctx: Context) -> list[HazardEvent]:
    due = ctx.policy.add("hazard.major.review_due", ctx.now) if c.passed else None
    return [
        AssessmentSubmitted(
            assessor=c.assessor,
            organization=c.organization,
            passed=c.passed,
            report_uri=c.report_uri,
            review_due=due,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def review(s: HazardState, c: Review, ctx: Context) -> list[HazardEvent]:
    if ctx.actor.id == s.last_submitter:
        raise Forbidden(
            "separation of duties: whoever submitted the rectification may not accept it; another "
            "inspector or the supervisor reviews",
            rule="separation_of_duties",
        )
    if s.status == Status.awaiting_review and ctx.actor.role != Role.supervisor:
        raise Forbidden("a major hazard is written off (核销) by the supervising authority", rule="role")
    if c.passed:
        if c.new_deadline is not None:
            raise InvalidCommand(
                "a passed review sets no new deadline", field="new_deadline", rule="no_deadline"
            )
        if s.level == Level.major:
            gates = major_gates(s)
            if gates:
                raise Conflict("a major hazard closes only with " + "; ".join(gates), rule="major_gates")
        return [
            Reviewed(
                passed=True,
                comment=c.comment,
                publish_due=ctx.policy.add("listing.publish_due", ctx.now) if s.listing else None,
                provisional_years=ctx.policy.provisional("listing.publish_due", ctx.now) if s.listing else [],
                publication_owed=s.listing is not None and writeoff_owed(ctx.policy),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]
    if c.new_deadline is None:
        raise InvalidCommand(
            "a failed review orders further rectification: give new_deadline",
            field="new_deadline",
            rule="required",
        )
    if c.new_deadline <= ctx.now:
        raise InvalidCommand(
            "the new deadline must lie in the future", field="new_deadline", rule="future_deadline"
        )
    if not c.comment.strip():
        raise InvalidCommand("say what is still wrong", field="comment", rule="reason_required")
    return [
        Reviewed(
            passed=False,
            comment=c.comment,
            new_deadline=c.new_deadline,
            reminders=reminders(ctx.policy, c.new_deadline, ctx.now),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def major_gates(s: HazardState) -> list[str]:
    missing = []
    if s.plan is None or s.plan.status != "approved":
        missing.append("an approved 五落实 plan")
    if s.assessment is None or not s.assessment.data.get("passed"):
        missing.append("a passed assessment")
    return missing


# ---- enforcement ----------------------------------------------------------------------------------


def impose_penalty(s: HazardState, c: ImposePenalty, ctx: Context) -> list[HazardEvent]:
    if any(f.decision_no == c.decision_no for f in s.penalty.fines):
        raise Conflict(
            f"penalty decision {c.decision_no} is already recorded on this hazard", rule="duplicate"
        )
    events: list[HazardEvent] = [
        PenaltyImposed(
            amount=c.amount,
            decision_no=c.decision_no,
            legal_basis=c.legal_basis,
            confiscated=c.confiscated,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]
    return events


def reinspect(s: HazardState, c: Reinspect, ctx: Context) -> list[HazardEvent]:
    if c.compliant:
        moves_to = None
        review_due = None
        if s.status == Status.rectifying:
            moves_to, review_due = Status.verifying, ctx.policy.add("hazard.major.review_due", ctx.now)
        elif s.status == Status.treating:
            moves_to = Status.assessing
        return [
            Reinspected(
                compliant=True,
                note=c.note,
                moves_to=moves_to,
                review_due=review_due,
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]
    base = s.penalty.fine_total
    if s.penalty.accruing or base <= 0 or not refuses_to_correct(s, ctx.now):
        return [Reinspected(compliant=False, note=c.note, at=ctx.now, by=ctx.actor.id)]
    days, next_accrual_at = accrual_start(known(s.ordered_at, "ordered_at"), ctx.now)
    return [
        Reinspected(
            compliant=False,
            note=c.note,
            accrual_base=base,
            accrual_days=days,
            next_accrual_at=next_accrual_at,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def refuses_to_correct(s: HazardState, now: datetime) -> bool:
    """拒不改正 (安全生产法 Art. 112) is established only by a re-inspection at or after the correction
    deadline in force; one before it establishes nothing."""
    return s.deadline is not None and now >= s.deadline


def accrual_start(ordered_at: datetime, now: datetime) -> tuple[int, datetime]:
    """按日连续处罚 (Art. 112): the original fine for every calendar day (Asia/Shanghai) from the day after
    the day the correction was ordered. Returns the days owed through today and the next day's start."""
    ordered_day = ordered_at.astimezone(CN_TZ).date()
    today = now.astimezone(CN_TZ).date()
    tomorrow = datetime.combine(today + DAY, time(0), CN_TZ)
    return max(0, (today - ordered_day).days), tomorrow.astimezone(now.tzinfo or UTC)


def order_stop_work(s: HazardState, c: OrderStopWork, ctx: Context) -> list[HazardEvent]:
    scope = StopWork(c.scope)
    if s.stop_work == scope:
        raise Conflict(f"a {scope.value} stop-work order is already in force", rule="duplicate")
    return [StopWorkOrdered(scope=scope, reason=c.reason, at=ctx.now, by=ctx.actor.id)]


def lift_stop_work(s: HazardState, c: LiftStopWork, ctx: Context) -> list[HazardEvent]:
    return [StopWorkLifted(reason=c.reason, at=ctx.now, by=ctx.actor.id)]


def cancel(s: HazardState, c: Cancel, ctx: Context) -> list[HazardEvent]:
    if not c.reason.strip():
        raise InvalidCommand("say why the hazard is cancelled", field="reason", rule="reason_required")
    return [Cancelled(reason=c.reason, at=ctx.now, by=ctx.actor.id)]
