"""Hazard commands decided: creation, grading, listing and the plan (五落实), extension, explanation.

The package docstring draws the states; domain/hazard/review.py decides the rest."""

from __future__ import annotations

from datetime import datetime

from domain.actors import Role
from domain.base import known
from domain.decider import (
    Context,
)
from domain.errors import Conflict, Forbidden, InvalidCommand
from domain.hazard import publication
from domain.hazard.clocks import reminders
from domain.hazard.commands import (
    DecideExtension,
    DecidePlan,
    Grade,
    Level,
    ListForSupervision,
    Regrade,
    Report,
    ReportProgress,
    RequestExtension,
    SubmitExplanation,
    SubmitPlan,
)
from domain.hazard.events import (
    ExplanationSubmitted,
    ExtensionDecided,
    ExtensionRequested,
    Graded,
    HazardEvent,
    HazardReported,
    Listed,
    PlanDecided,
    PlanSubmitted,
    ProgressReported,
    RectificationSubmitted,
)
from domain.hazard.rules import SOURCES
from domain.hazard.state import HazardState
from domain.policy import PolicyPack
from domain.timecalc import IsoDuration


def _fmt(d: datetime) -> str:
    return d.isoformat()


def _grading_key(policy: PolicyPack) -> str:
    return "hazard.grading_due" if "hazard.grading_due" in policy.values else "hazard.major.report_due"


# ---- creation and grading -------------------------------------------------------------------------


def report(s: HazardState, c: Report, ctx: Context) -> list[HazardEvent]:
    role = ctx.actor.role
    if c.source not in SOURCES[role]:
        allowed = ", ".join(sorted(x.value for x in SOURCES[role]))
        raise Forbidden(
            f"a {role.value} reports hazards with source {allowed}, not {c.source.value}", rule="source"
        )
    if (c.origin is not None) != (role == Role.system):
        raise InvalidCommand(
            "origin (the tip or incident a hazard comes from) is set by the system when that case "
            "spawns the hazard, and only then",
            field="origin",
            rule="origin_system_only",
        )
    if c.origin is not None and c.origin.kind != c.source.value:
        raise InvalidCommand(
            f"a hazard from a {c.origin.kind} has source {c.origin.kind}",
            field="source",
            rule="origin_source",
        )
    if c.discovered_at is not None and c.discovered_at > ctx.now:
        raise InvalidCommand("discovered_at lies in the future", field="discovered_at", rule="not_future")
    if (c.level is None) != (c.deadline is None):
        raise InvalidCommand(
            "grading at report needs both level (general) and deadline",
            field="deadline",
            rule="grade_at_report",
        )
    if c.level is not None and role == Role.enterprise:
        raise Forbidden("an enterprise reports; an inspector grades", rule="role")
    events: list[HazardEvent] = [
        HazardReported(
            id=ctx.case_id,
            policy=ctx.policy.ref,
            title=c.title,
            description=c.description,
            enterprise_id=c.enterprise_id,
            region=c.region,
            industry=c.industry,
            location=c.location,
            source=c.source,
            category=c.category,
            discovered_at=c.discovered_at,
            evidence=c.evidence,
            risk_color=c.risk_color,
            origin=c.origin,
            grading_due=ctx.policy.add(_grading_key(ctx.policy), ctx.now),
            by_role=role.value,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]
    if c.deadline is not None:
        if c.deadline <= ctx.now:
            raise InvalidCommand(
                "the deadline must lie in the future", field="deadline", rule="future_deadline"
            )
        events.append(
            Graded(
                level=Level.general,
                basis=None,
                deadline=c.deadline,
                reminders=reminders(ctx.policy, c.deadline, ctx.now),
                at=ctx.now,
                by=ctx.actor.id,
            )
        )
    return events


def graded(level: Level, c: Grade | Regrade, ctx: Context, regrade: bool, reason: str = "") -> Graded:
    if level == Level.major:
        if c.basis is None:
            raise InvalidCommand(
                "a major hazard is graded against a 重大事故隐患判定标准: give basis {standard, clause}",
                field="basis",
                rule="major_basis",
            )
        if c.deadline is not None:
            raise InvalidCommand(
                "a major hazard's deadline is set by the listing (list_for_supervision), not at grading",
                field="deadline",
                rule="major_deadline_in_listing",
            )
        return Graded(
            level=level,
            basis=c.basis,
            major_report_due=ctx.policy.add("hazard.major.report_due", ctx.now),
            regrade=regrade,
            reason=reason,
            at=ctx.now,
            by=ctx.actor.id,
        )
    deadline = c.deadline or ctx.policy.add("hazard.general.default_deadline", ctx.now)
    if deadline <= ctx.now:
        raise InvalidCommand("the deadline must lie in the future", field="deadline", rule="future_deadline")
    return Graded(
        level=level,
        basis=c.basis,
        deadline=deadline,
        reminders=reminders(ctx.policy, deadline, ctx.now),
        regrade=regrade,
        reason=reason,
        at=ctx.now,
        by=ctx.actor.id,
    )


def grade(s: HazardState, c: Grade, ctx: Context) -> list[HazardEvent]:
    if c.on_the_spot and c.level != Level.general:
        raise InvalidCommand(
            "立查立改 (on the spot) is for general hazards only",
            field="on_the_spot",
            rule="on_the_spot_general",
        )
    events: list[HazardEvent] = [graded(c.level, c, ctx, regrade=False)]
    if c.on_the_spot:
        events.append(
            RectificationSubmitted(
                summary="立查立改: rectified on the spot during the inspection",
                evidence=[],
                review_due=ctx.policy.add("hazard.major.review_due", ctx.now),
                at=ctx.now,
                by=ctx.actor.id,
            )
        )
    return events


def regrade(s: HazardState, c: Regrade, ctx: Context) -> list[HazardEvent]:
    if c.level == s.level:
        raise InvalidCommand(
            f"the hazard is already {c.level.value}", field="level", rule="regrade_changes_level"
        )
    if not c.reason.strip():
        raise InvalidCommand("say why the grade changes", field="reason", rule="reason_required")
    return [graded(c.level, c, ctx, regrade=True, reason=c.reason)]


# ---- listing and the plan (五落实) ----------------------------------------------------------------


def list_for_supervision(s: HazardState, c: ListForSupervision, ctx: Context) -> list[HazardEvent]:
    if c.deadline <= ctx.now:
        raise InvalidCommand(
            "the treatment deadline must lie in the future", field="deadline", rule="future_deadline"
        )
    max_until = ctx.policy.add("listing.max_duration", ctx.now)
    if c.deadline > max_until:
        raise InvalidCommand(
            f"a listing lasts at most {ctx.policy.raw('listing.max_duration')} (until {_fmt(max_until)})",
            field="deadline",
            rule="listing_max_duration",
        )
    plan_due = c.plan_due or ctx.policy.add("listing.plan_due", ctx.now)
    if not ctx.now < plan_due <= c.deadline:
        raise InvalidCommand(
            "the plan-filing date lies between now and the treatment deadline",
            field="plan_due",
            rule="plan_due",
        )
    interval = c.progress_interval or str(ctx.policy.raw("listing.progress_interval"))
    try:
        progress_due = ctx.policy.add_iso(IsoDuration(interval), ctx.now)
    except (ValueError, TypeError):
        raise InvalidCommand(
            f"progress_interval {interval!r} is not an ISO 8601 duration such as P3M or P30D",
            field="progress_interval",
            rule="iso_duration",
        ) from None
    if progress_due <= ctx.now:
        raise InvalidCommand(
            "progress_interval must be positive", field="progress_interval", rule="iso_duration"
        )
    return [
        Listed(
            authority=c.authority,
            deadline=c.deadline,
            requirements=c.requirements,
            stop_work=c.stop_work,
            plan_due=plan_due,
            progress_interval=interval,
            progress_due=progress_due,
            max_until=max_until,
            publish_due=ctx.policy.add("listing.publish_due", ctx.now),
            publication_owed=publication.owed(ctx.policy),
            provisional_years=ctx.policy.provisional("listing.publish_due", ctx.now),
            reminders=reminders(ctx.policy, c.deadline, ctx.now),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def submit_plan(s: HazardState, c: SubmitPlan, ctx: Context) -> list[HazardEvent]:
    missing = []
    r = c.responsible
    if r is None or not r.name.strip() or not r.phone.strip():
        missing.append("责任 responsible (name and phone)")
    if not c.measures or any(not m.strip() for m in c.measures):
        missing.append("措施 measures")
    f = c.funds
    if f is None or f.amount is None or f.amount <= 0 or not f.source.strip():
        missing.append("资金 funds (amount > 0 and source)")
    if c.deadline is None:
        missing.append("时限 deadline")
    if not c.contingency_plan.strip():
        missing.append("预案 contingency_plan")
    if missing:
        raise InvalidCommand(
            "五落实: the plan must fix all five; missing: " + "; ".join(missing),
            field="plan",
            rule="five_implementations",
            missing=missing,
        )
    deadline = known(c.deadline, "deadline")
    treatment_due = s.deadline or known(s.listing, "listing").deadline
    if not ctx.now < deadline <= treatment_due:
        raise InvalidCommand(
            "the plan's deadline lies between now and the treatment deadline " + _fmt(treatment_due),
            field="deadline",
            rule="plan_deadline",
        )
    return [
        PlanSubmitted(
            responsible=known(c.responsible, "responsible"),
            measures=c.measures,
            funds=known(c.funds, "funds"),
            deadline=deadline,
            contingency_plan=c.contingency_plan,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def decide_plan(s: HazardState, c: DecidePlan, ctx: Context) -> list[HazardEvent]:
    if not c.approved and not c.comment.strip():
        raise InvalidCommand("say what the plan lacks", field="comment", rule="reason_required")
    due = None if c.approved else ctx.policy.add("listing.plan_due", ctx.now)
    return [PlanDecided(approved=c.approved, comment=c.comment, plan_due=due, at=ctx.now, by=ctx.actor.id)]


def report_progress(s: HazardState, c: ReportProgress, ctx: Context) -> list[HazardEvent]:
    interval = known(s.listing, "listing").progress_interval
    next_due = ctx.policy.add_iso(IsoDuration(interval), ctx.now)
    return [
        ProgressReported(
            percent=c.percent,
            note=c.note,
            evidence=c.evidence,
            next_due=next_due,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


# ---- extension and explanation --------------------------------------------------------------------


def request_extension(s: HazardState, c: RequestExtension, ctx: Context) -> list[HazardEvent]:
    deadline = s.deadline
    if deadline is None:
        raise Conflict("no deadline is in force yet: nothing to extend")
    if c.new_deadline <= deadline:
        raise InvalidCommand(
            f"the new deadline must be later than the current one {_fmt(deadline)}",
            field="new_deadline",
            rule="extension_later",
        )
    if s.listing is not None:
        cutoff = ctx.policy.add("listing.extension_lead", deadline, backwards=True)
        if ctx.now > cutoff:
            raise Conflict(
                "an extension of a listed hazard must be asked at least "
                f"{ctx.policy.raw('listing.extension_lead')} "
                f"({ctx.policy.values['listing.extension_lead'].unit} days) before the deadline "
                f"{_fmt(deadline)}: the last day was {_fmt(cutoff)}",
                rule="extension_lead",
            )
        if c.new_deadline > s.listing.max_until:
            raise InvalidCommand(
                f"a listing lasts at most until {_fmt(s.listing.max_until)}",
                field="new_deadline",
                rule="listing_max_duration",
            )
    elif ctx.now >= deadline:
        raise Conflict(
            f"the deadline {_fmt(deadline)} has passed: an extension is asked before it",
            rule="extension_late",
        )
    return [
        ExtensionRequested(
            new_deadline=c.new_deadline,
            reason=c.reason,
            decision_due=ctx.policy.add("listing.extension_decision_due", ctx.now),
            provisional_years=sorted(
                {
                    *ctx.policy.provisional("listing.extension_decision_due", ctx.now),
                    *(ctx.policy.provisional("listing.extension_lead", deadline) if s.listing else []),
                }
            ),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def decide_extension(s: HazardState, c: DecideExtension, ctx: Context) -> list[HazardEvent]:
    ext = known(s.pending_extension, "pending extension")
    if not c.approved and not c.comment.strip():
        raise InvalidCommand("say why the extension is refused", field="comment", rule="reason_required")
    return [
        ExtensionDecided(
            approved=c.approved,
            comment=c.comment,
            previous_deadline=s.deadline,
            new_deadline=ext.new_deadline if c.approved else None,
            reminders=reminders(ctx.policy, ext.new_deadline, ctx.now) if c.approved else [],
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def submit_explanation(s: HazardState, c: SubmitExplanation, ctx: Context) -> list[HazardEvent]:
    return [ExplanationSubmitted(text=c.text, at=ctx.now, by=ctx.actor.id)]
