"""A hazard's clocks: what it owes (`deadlines`) and what a lapsed one records (`deadline_elapsed`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.base import known
from domain.decider import (
    Context,
    Deadline,
    DeadlineElapsed,
)
from domain.hazard.events import DeadlineMissed, HazardEvent, PenaltyAccrued, ReminderSent, WentOverdue
from domain.hazard.publication import publication_deadlines
from domain.hazard.state import DEADLINE_RUNS, LISTED, TERMINAL, Clock, HazardState, Status
from domain.jurisdiction import next_level
from domain.policy import PolicyPack
from domain.timecalc import IsoDuration

DAY = timedelta(days=1)


def reminders(policy: PolicyPack, deadline: datetime, now: datetime) -> list[Clock]:
    """The reminder offsets of the pack that still lie ahead of `now` for this deadline."""
    out = []
    for dur in policy.durations("hazard.reminders"):
        due = policy.add_iso(neg(dur.text), deadline)
        if due > now:
            out.append(Clock(key=f"reminder:{dur.text}", due_at=due))
    return out


def neg(duration: str) -> IsoDuration:
    d = IsoDuration(duration)
    d.sign = -d.sign
    return d


def deadlines(s: HazardState) -> list[Deadline]:
    if s.status in TERMINAL or s.status == Status.none:
        return []
    if s.status == Status.written_off:  # only the write-off's publication is owed (domain/hazard/publication)
        return publication_deadlines(s)
    out: list[Deadline] = []
    if s.status == Status.reported and s.grading_due and "grading" not in s.lapsed:
        out.append(Deadline(key="grading", kind="grading", due_at=s.grading_due))
    if s.status == Status.reported_major and s.major_report_due and "listing" not in s.lapsed:
        out.append(
            Deadline(
                key="listing",
                kind="listing",
                due_at=s.major_report_due,
                note="list or report the major hazard",
            )
        )
    if s.status in DEADLINE_RUNS and s.deadline is not None and not s.overdue:
        kind = "treatment" if s.listing else "rectification"
        out.append(Deadline(key="rectification", kind=kind, due_at=s.deadline))
        out.extend(Deadline(key=r.key, kind="reminder", due_at=r.due_at) for r in s.reminders)
    if s.overdue and s.explanation_due is not None and not s.explained:
        out.append(Deadline(key="explanation", kind="explanation", due_at=s.explanation_due))
    if s.status == Status.listed and s.listing and "plan" not in s.lapsed:
        out.append(Deadline(key="plan", kind="plan", due_at=s.listing.plan_due))
    if s.status in LISTED and s.progress_due is not None:
        out.append(Deadline(key="progress", kind="progress", due_at=s.progress_due))
    if s.listing is not None and "listing_max" not in s.lapsed:
        out.append(Deadline(key="listing_max", kind="listing_max", due_at=s.listing.max_until))
    ext = s.pending_extension
    if ext is not None and "extension_decision" not in s.lapsed:
        out.append(Deadline(key="extension_decision", kind="extension_decision", due_at=ext.decision_due))
    if s.status in (Status.verifying, Status.awaiting_review) and s.review_due and "review" not in s.lapsed:
        out.append(Deadline(key="review", kind="review", due_at=s.review_due))
    out.extend(publication_deadlines(s))
    if s.penalty.accruing and s.penalty.next_accrual_at is not None:
        out.append(Deadline(key="penalty_accrual", kind="penalty_accrual", due_at=s.penalty.next_accrual_at))
    return sorted(out, key=lambda d: (d.due_at, d.key))


def deadline_elapsed(s: HazardState, c: DeadlineElapsed, ctx: Context) -> list[HazardEvent]:
    owed = {d.key: d for d in deadlines(s)}
    d = owed.get(c.key)
    if d is None or d.due_at != c.due_at:
        return []  # stale timer: that clock is no longer owed
    now, by = ctx.now, ctx.actor.id
    up = next_level(ctx.policy, s.region)  # after the district government (seed 003), the tree's next level
    if d.kind == "reminder":
        return [ReminderSent(key=d.key, deadline=known(s.deadline, "deadline"), at=now, by=by)]
    if d.key == "rectification":
        return [
            WentOverdue(
                deadline=known(s.deadline, "deadline"),
                explanation_due=ctx.policy.add("hazard.explanation_due", now),
                listed=s.listing is not None,
                at=now,
                by=by,
            )
        ]
    if d.key == "penalty_accrual":
        next_accrual_at = known(s.penalty.next_accrual_at, "next_accrual_at")
        return [
            PenaltyAccrued(
                day=s.penalty.days_accrued + 1,
                amount=s.penalty.accrual_base,
                next_accrual_at=next_accrual_at + DAY,
                at=now,
                by=by,
            )
        ]
    if d.key == "progress":
        interval = known(s.listing, "listing").progress_interval
        nxt = ctx.policy.add_iso(IsoDuration(interval), d.due_at)
        return [
            DeadlineMissed(
                key=d.key, due_at=d.due_at, escalated_to=None, next_due=max(nxt, now + DAY), at=now, by=by
            )
        ]
    # grading, listing, plan, explanation, extension_decision, review, listing_max: escalate one level up
    return [DeadlineMissed(key=d.key, due_at=d.due_at, escalated_to=up, at=now, by=by)]
