"""The hazard decider: decide, evolve, deadlines — pure, no I/O (DOMAIN.md §1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from domain.access import check_acts, check_files
from domain.actors import Role, parent_region
from domain.decider import (
    CaseIndex,
    ChildCaseUpdated,
    ChildSpec,
    Context,
    Deadline,
    DeadlineElapsed,
    Notice,
)
from domain.errors import Conflict, Forbidden, InvalidCommand, NotAllowedInState
from domain.hazard.model import (
    COMMANDS,
    DEADLINE_RUNS,
    EVENTS,
    LISTED,
    TERMINAL,
    AssessmentSubmitted,
    Cancel,
    Cancelled,
    Clock,
    ClosureProposed,
    DeadlineMissed,
    DecideExtension,
    DecidePlan,
    Entry,
    ExplanationSubmitted,
    Extension,
    ExtensionDecided,
    ExtensionRequested,
    Fine,
    Grade,
    Graded,
    HazardReported,
    HazardState,
    ImposePenalty,
    Level,
    LiftStopWork,
    Listed,
    ListForSupervision,
    Listing,
    OrderStopWork,
    PenaltyAccrued,
    PenaltyImposed,
    Plan,
    PlanDecided,
    PlanSubmitted,
    ProgressReported,
    RectificationSubmitted,
    Regrade,
    Reinspect,
    Reinspected,
    ReminderSent,
    Report,
    ReportProgress,
    RequestExtension,
    Review,
    Reviewed,
    Source,
    Status,
    StopWork,
    StopWorkLifted,
    StopWorkOrdered,
    SubmitAssessment,
    SubmitExplanation,
    SubmitPlan,
    SubmitRectification,
    WentOverdue,
)
from domain.hazard.notices import hazard_notices
from domain.policy import PolicyPack
from domain.timecalc import IsoDuration

DAY = timedelta(days=1)
E, INS, S, X, OP, SYS = (
    Role.enterprise,
    Role.inspector,
    Role.supervisor,
    Role.expert,
    Role.operator,
    Role.system,
)

ROLES: dict[str, frozenset[Role]] = {
    "report": frozenset({E, INS, S, X, OP, SYS}),
    "grade": frozenset({INS, S}),
    "regrade": frozenset({INS, S}),
    "list_for_supervision": frozenset({S}),
    "submit_plan": frozenset({E, OP}),
    "decide_plan": frozenset({S}),
    "report_progress": frozenset({E, OP}),
    "request_extension": frozenset({E, OP}),
    "decide_extension": frozenset({S}),
    "submit_explanation": frozenset({E, OP}),
    "submit_rectification": frozenset({E, OP, INS}),
    "submit_assessment": frozenset({X}),
    "review": frozenset({INS, S}),
    "impose_penalty": frozenset({INS, S}),
    "reinspect": frozenset({INS, S}),
    "order_stop_work": frozenset({INS, S}),
    "lift_stop_work": frozenset({S}),
    "cancel": frozenset({OP, S}),
}
"""Who may send each command (besides jurisdiction over the hazard's region and enterprise scope)."""

_ENFORCEMENT = ("impose_penalty", "reinspect", "order_stop_work", "lift_stop_work")
_BY_STATUS: dict[Status, tuple[str, ...]] = {
    Status.none: ("report",),
    Status.reported: ("grade", "impose_penalty", "order_stop_work", "lift_stop_work", "cancel"),
    Status.rectifying: (
        "submit_rectification",
        "request_extension",
        "decide_extension",
        "submit_explanation",
        "regrade",
        *_ENFORCEMENT,
        "cancel",
    ),
    Status.verifying: ("review", "regrade", *_ENFORCEMENT, "cancel"),
    Status.reported_major: (
        "list_for_supervision",
        "regrade",
        "impose_penalty",
        "order_stop_work",
        "lift_stop_work",
        "cancel",
    ),
    Status.listed: (
        "submit_plan",
        "report_progress",
        "request_extension",
        "decide_extension",
        "submit_explanation",
        *_ENFORCEMENT,
        "cancel",
    ),
    Status.plan_submitted: (
        "decide_plan",
        "report_progress",
        "request_extension",
        "decide_extension",
        "submit_explanation",
        *_ENFORCEMENT,
        "cancel",
    ),
    Status.treating: (
        "submit_rectification",
        "report_progress",
        "request_extension",
        "decide_extension",
        "submit_explanation",
        *_ENFORCEMENT,
        "cancel",
    ),
    Status.assessing: ("submit_assessment", "report_progress", *_ENFORCEMENT, "cancel"),
    Status.awaiting_review: ("review", "order_stop_work", "lift_stop_work", "cancel"),
    Status.closed: (),
    Status.cancelled: (),
}

# sources each reporting role may use (the system reports only with an origin: tip or incident)
_SOURCES: dict[Role, frozenset[Source]] = {
    E: frozenset({Source.self_inspection}),
    INS: frozenset({Source.inspection, Source.covert_visit, Source.expert_service, Source.self_inspection}),
    X: frozenset({Source.expert_service}),
    OP: frozenset({Source.self_inspection, Source.inspection, Source.covert_visit, Source.expert_service}),
    S: frozenset({Source.self_inspection, Source.inspection, Source.covert_visit, Source.expert_service}),
    SYS: frozenset({Source.tip, Source.incident}),
}


def allowed_commands(s: HazardState) -> list[str]:
    """The commands the current status accepts, narrowed by what the case file makes possible."""
    out = []
    for c in _BY_STATUS[s.status]:
        if c == "decide_extension" and s.pending_extension is None:
            continue
        if c == "request_extension" and s.pending_extension is not None:
            continue
        if c == "submit_explanation" and not (s.overdue and not s.explained):
            continue
        if c == "lift_stop_work" and s.stop_work == StopWork.none:
            continue
        if c == "reinspect" and s.ordered_at is None:
            continue
        out.append(c)
    return out


def _fmt(d: datetime) -> str:
    return d.isoformat()


def _reminders(policy: PolicyPack, deadline: datetime, now: datetime) -> list[Clock]:
    """The reminder offsets of the pack that still lie ahead of `now` for this deadline."""
    out = []
    for dur in policy.durations("hazard.reminders"):
        due = policy.add_iso(_neg(dur.text), deadline)
        if due > now:
            out.append(Clock(key=f"reminder:{dur.text}", due_at=due))
    return out


def _grading_key(policy: PolicyPack) -> str:
    return "hazard.grading_due" if "hazard.grading_due" in policy.values else "hazard.major.report_due"


class HazardDecider:
    """事故隐患: report, grade, (list, 五落实), rectify, review, write off; enforcement beside it."""

    kind = "hazard"

    def initial_state(self) -> HazardState:
        return HazardState()

    def parse_command(self, data: dict[str, Any]) -> Any:
        return COMMANDS.validate_python(data)

    def parse_event(self, data: dict[str, Any] | str) -> Any:
        return EVENTS.validate_json(data) if isinstance(data, str) else EVENTS.validate_python(data)

    def parse_state(self, data: dict[str, Any]) -> HazardState:
        return HazardState.model_validate(data)

    # ---- decide ---------------------------------------------------------------------------------------

    def decide(self, s: HazardState, c: Any, ctx: Context) -> list[Any]:
        if isinstance(c, DeadlineElapsed | ChildCaseUpdated):
            if ctx.actor.role != Role.system:
                raise Forbidden(
                    f"{c.type} is a system command: only the system sends it", rule="system_command"
                )
            if isinstance(c, ChildCaseUpdated):
                return []  # a hazard has no children
            return self._deadline(s, c, ctx)
        if isinstance(c, Report):
            if s.status != Status.none:
                self._refuse(s, "report")
            self._check_actor(s, c, ctx, region=c.region, enterprise_id=c.enterprise_id)
            check_files(ctx.actor, c.region, "hazard")
            return self._report(c, ctx)
        if s.status == Status.none:
            self._refuse(s, c.type)
        self._check_actor(s, c, ctx, region=s.region, enterprise_id=s.enterprise_id)
        if c.type not in allowed_commands(s):
            self._refuse(s, c.type)
        handler = getattr(self, "_" + c.type)
        events: list[Any] = handler(s, c, ctx)
        return events

    def _refuse(self, s: HazardState, command: str) -> None:
        allowed = allowed_commands(s)
        reasons = {
            "decide_extension": "no extension request is pending",
            "request_extension": "an extension request is already pending",
            "submit_explanation": "an explanation is owed only by an overdue hazard, once",
            "lift_stop_work": "no stop-work order is in force",
            "reinspect": "no rectification order has been given yet (grade the hazard first)",
        }
        why = f" ({reasons[command]})" if command in _BY_STATUS[s.status] and command in reasons else ""
        what = ", ".join(allowed) if allowed else "nothing (the case is " + s.status.value + ")"
        raise NotAllowedInState(
            f"a hazard in status {s.status.value} does not accept {command}{why}; it accepts {what}",
            status=s.status.value,
            allowed=allowed,
        )

    def _check_actor(self, s: HazardState, c: Any, ctx: Context, *, region: str, enterprise_id: str) -> None:
        check_acts(ctx.actor, c.type, ROLES[c.type], region, enterprise_id, "hazard")

    # ---- creation and grading -------------------------------------------------------------------------

    def _report(self, c: Report, ctx: Context) -> list[Any]:
        role = ctx.actor.role
        if c.source not in _SOURCES[role]:
            allowed = ", ".join(sorted(x.value for x in _SOURCES[role]))
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
        events: list[Any] = [
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
                    reminders=_reminders(ctx.policy, c.deadline, ctx.now),
                    at=ctx.now,
                    by=ctx.actor.id,
                )
            )
        return events

    def _graded(
        self, level: Level, c: Grade | Regrade, ctx: Context, regrade: bool, reason: str = ""
    ) -> Graded:
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
            raise InvalidCommand(
                "the deadline must lie in the future", field="deadline", rule="future_deadline"
            )
        return Graded(
            level=level,
            basis=c.basis,
            deadline=deadline,
            reminders=_reminders(ctx.policy, deadline, ctx.now),
            regrade=regrade,
            reason=reason,
            at=ctx.now,
            by=ctx.actor.id,
        )

    def _grade(self, s: HazardState, c: Grade, ctx: Context) -> list[Any]:
        if c.on_the_spot and c.level != Level.general:
            raise InvalidCommand(
                "立查立改 (on the spot) is for general hazards only",
                field="on_the_spot",
                rule="on_the_spot_general",
            )
        events: list[Any] = [self._graded(c.level, c, ctx, regrade=False)]
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

    def _regrade(self, s: HazardState, c: Regrade, ctx: Context) -> list[Any]:
        if c.level == s.level:
            raise InvalidCommand(
                f"the hazard is already {c.level.value}", field="level", rule="regrade_changes_level"
            )
        if not c.reason.strip():
            raise InvalidCommand("say why the grade changes", field="reason", rule="reason_required")
        return [self._graded(c.level, c, ctx, regrade=True, reason=c.reason)]

    # ---- listing and the plan (五落实) ----------------------------------------------------------------

    def _list_for_supervision(self, s: HazardState, c: ListForSupervision, ctx: Context) -> list[Any]:
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
                reminders=_reminders(ctx.policy, c.deadline, ctx.now),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _submit_plan(self, s: HazardState, c: SubmitPlan, ctx: Context) -> list[Any]:
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
        assert c.deadline is not None and c.responsible is not None and c.funds is not None
        assert s.listing is not None
        if not ctx.now < c.deadline <= (s.deadline or s.listing.deadline):
            raise InvalidCommand(
                "the plan's deadline lies between now and the treatment deadline "
                + _fmt(s.deadline or s.listing.deadline),
                field="deadline",
                rule="plan_deadline",
            )
        return [
            PlanSubmitted(
                responsible=c.responsible,
                measures=c.measures,
                funds=c.funds,
                deadline=c.deadline,
                contingency_plan=c.contingency_plan,
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _decide_plan(self, s: HazardState, c: DecidePlan, ctx: Context) -> list[Any]:
        if not c.approved and not c.comment.strip():
            raise InvalidCommand("say what the plan lacks", field="comment", rule="reason_required")
        due = None if c.approved else ctx.policy.add("listing.plan_due", ctx.now)
        return [
            PlanDecided(approved=c.approved, comment=c.comment, plan_due=due, at=ctx.now, by=ctx.actor.id)
        ]

    def _report_progress(self, s: HazardState, c: ReportProgress, ctx: Context) -> list[Any]:
        assert s.listing is not None
        next_due = ctx.policy.add_iso(IsoDuration(s.listing.progress_interval), ctx.now)
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

    def _request_extension(self, s: HazardState, c: RequestExtension, ctx: Context) -> list[Any]:
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
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _decide_extension(self, s: HazardState, c: DecideExtension, ctx: Context) -> list[Any]:
        ext = s.pending_extension
        assert ext is not None
        if not c.approved and not c.comment.strip():
            raise InvalidCommand("say why the extension is refused", field="comment", rule="reason_required")
        return [
            ExtensionDecided(
                approved=c.approved,
                comment=c.comment,
                previous_deadline=s.deadline,
                new_deadline=ext.new_deadline if c.approved else None,
                reminders=_reminders(ctx.policy, ext.new_deadline, ctx.now) if c.approved else [],
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _submit_explanation(self, s: HazardState, c: SubmitExplanation, ctx: Context) -> list[Any]:
        return [ExplanationSubmitted(text=c.text, at=ctx.now, by=ctx.actor.id)]

    # ---- rectification, assessment, review --------------------------------------------------------------

    def _submit_rectification(self, s: HazardState, c: SubmitRectification, ctx: Context) -> list[Any]:
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

    def _submit_assessment(self, s: HazardState, c: SubmitAssessment, ctx: Context) -> list[Any]:
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

    def _review(self, s: HazardState, c: Review, ctx: Context) -> list[Any]:
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
                gates = self._major_gates(s)
                if gates:
                    raise Conflict("a major hazard closes only with " + "; ".join(gates), rule="major_gates")
            return [
                Reviewed(
                    passed=True,
                    comment=c.comment,
                    publish_due=ctx.policy.add("listing.publish_due", ctx.now) if s.listing else None,
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
                reminders=_reminders(ctx.policy, c.new_deadline, ctx.now),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    @staticmethod
    def _major_gates(s: HazardState) -> list[str]:
        missing = []
        if s.plan is None or s.plan.status != "approved":
            missing.append("an approved 五落实 plan")
        if s.assessment is None or not s.assessment.data.get("passed"):
            missing.append("a passed assessment")
        return missing

    # ---- enforcement ----------------------------------------------------------------------------------

    def _impose_penalty(self, s: HazardState, c: ImposePenalty, ctx: Context) -> list[Any]:
        if any(f.decision_no == c.decision_no for f in s.penalty.fines):
            raise Conflict(
                f"penalty decision {c.decision_no} is already recorded on this hazard", rule="duplicate"
            )
        events: list[Any] = [
            PenaltyImposed(
                amount=c.amount,
                decision_no=c.decision_no,
                legal_basis=c.legal_basis,
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]
        if not s.closure_proposed:
            t = ctx.policy.table("enforcement.closure_threshold")
            times = [f.at for f in s.penalty.fines] + [ctx.now]
            since = ctx.policy.add_iso(_neg(str(t["window"])), ctx.now)
            recent = sum(1 for x in times if x > since)
            reason = None
            if recent >= int(t["penalties"]):
                reason = f"{recent} penalties within {t['window']}"
                window = str(t["window"])
            else:
                since_year = ctx.policy.add_iso(_neg(str(t["window_year"])), ctx.now)
                in_year = sum(1 for x in times if x > since_year)
                window = str(t["window_year"])
                if s.level == Level.major and in_year >= int(t["penalties_year_major"]):
                    reason = f"{in_year} penalties within {t['window_year']} with a major hazard"
                    recent = in_year
            if reason is not None:
                events.append(
                    ClosureProposed(
                        penalties=recent,
                        window=window,
                        reason=reason + " (安全生产法 Art. 113): propose closing the enterprise",
                        at=ctx.now,
                        by=ctx.actor.id,
                    )
                )
        return events

    def _reinspect(self, s: HazardState, c: Reinspect, ctx: Context) -> list[Any]:
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
        if s.penalty.accruing or base <= 0:
            return [Reinspected(compliant=False, note=c.note, at=ctx.now, by=ctx.actor.id)]
        # 按日连续处罚 (Art. 112): from the day after the order, the original fine again for every day
        assert s.ordered_at is not None
        days = max(0, (ctx.now - s.ordered_at) // DAY)
        return [
            Reinspected(
                compliant=False,
                note=c.note,
                accrual_base=base,
                accrual_days=days,
                next_accrual_at=s.ordered_at + (days + 1) * DAY,
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _order_stop_work(self, s: HazardState, c: OrderStopWork, ctx: Context) -> list[Any]:
        scope = StopWork(c.scope)
        if s.stop_work == scope:
            raise Conflict(f"a {scope.value} stop-work order is already in force", rule="duplicate")
        return [StopWorkOrdered(scope=scope, reason=c.reason, at=ctx.now, by=ctx.actor.id)]

    def _lift_stop_work(self, s: HazardState, c: LiftStopWork, ctx: Context) -> list[Any]:
        return [StopWorkLifted(reason=c.reason, at=ctx.now, by=ctx.actor.id)]

    def _cancel(self, s: HazardState, c: Cancel, ctx: Context) -> list[Any]:
        if not c.reason.strip():
            raise InvalidCommand("say why the hazard is cancelled", field="reason", rule="reason_required")
        return [Cancelled(reason=c.reason, at=ctx.now, by=ctx.actor.id)]

    # ---- clocks ---------------------------------------------------------------------------------------

    def deadlines(self, s: HazardState) -> list[Deadline]:
        if s.status in TERMINAL or s.status == Status.none:
            return []
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
        if (
            s.status in (Status.verifying, Status.awaiting_review)
            and s.review_due
            and "review" not in s.lapsed
        ):
            out.append(Deadline(key="review", kind="review", due_at=s.review_due))
        if s.penalty.accruing and s.penalty.next_accrual_at is not None:
            out.append(
                Deadline(key="penalty_accrual", kind="penalty_accrual", due_at=s.penalty.next_accrual_at)
            )
        return sorted(out, key=lambda d: (d.due_at, d.key))

    def _deadline(self, s: HazardState, c: DeadlineElapsed, ctx: Context) -> list[Any]:
        owed = {d.key: d for d in self.deadlines(s)}
        d = owed.get(c.key)
        if d is None or d.due_at != c.due_at:
            return []  # stale timer: that clock is no longer owed
        now, by = ctx.now, ctx.actor.id
        up = parent_region(s.region)
        if d.kind == "reminder":
            assert s.deadline is not None
            return [ReminderSent(key=d.key, deadline=s.deadline, at=now, by=by)]
        if d.key == "rectification":
            assert s.deadline is not None
            return [
                WentOverdue(
                    deadline=s.deadline,
                    explanation_due=ctx.policy.add("hazard.explanation_due", now),
                    listed=s.listing is not None,
                    at=now,
                    by=by,
                )
            ]
        if d.key == "penalty_accrual":
            assert s.penalty.next_accrual_at is not None
            return [
                PenaltyAccrued(
                    day=s.penalty.days_accrued + 1,
                    amount=s.penalty.accrual_base,
                    next_accrual_at=s.penalty.next_accrual_at + DAY,
                    at=now,
                    by=by,
                )
            ]
        if d.key == "progress":
            assert s.listing is not None
            nxt = ctx.policy.add_iso(IsoDuration(s.listing.progress_interval), d.due_at)
            return [
                DeadlineMissed(
                    key=d.key, due_at=d.due_at, escalated_to=None, next_due=max(nxt, now + DAY), at=now, by=by
                )
            ]
        # grading, listing, plan, explanation, extension_decision, review, listing_max: escalate one level up
        return [DeadlineMissed(key=d.key, due_at=d.due_at, escalated_to=up, at=now, by=by)]

    # ---- evolve ---------------------------------------------------------------------------------------

    def evolve(self, s: HazardState, e: Any) -> HazardState:
        u: dict[str, Any] = {"updated_at": e.at}
        if isinstance(e, HazardReported):
            return HazardState(
                id=e.id,
                policy=e.policy,
                status=Status.reported,
                title=e.title,
                description=e.description,
                enterprise_id=e.enterprise_id,
                region=e.region,
                industry=e.industry,
                location=e.location,
                source=e.source,
                category=e.category,
                discovered_at=e.discovered_at,
                evidence=e.evidence,
                risk_color=e.risk_color,
                origin=e.origin,
                reported_by=e.by,
                grading_due=e.grading_due,
                created_at=e.at,
                updated_at=e.at,
            )
        if isinstance(e, Graded):
            u.update(level=e.level, basis=e.basis or (s.basis if e.level == Level.major else None))
            if e.level == Level.major:
                u.update(
                    status=Status.reported_major,
                    major_report_due=e.major_report_due,
                    deadline=None,
                    reminders=[],
                )
            else:
                u.update(status=Status.rectifying, **_new_deadline(s, e.deadline, e.reminders, e.at))
        elif isinstance(e, Listed):
            u.update(
                status=Status.listed,
                listing=Listing(
                    authority=e.authority,
                    deadline=e.deadline,
                    requirements=e.requirements,
                    stop_work=e.stop_work,
                    plan_due=e.plan_due,
                    progress_interval=e.progress_interval,
                    listed_at=e.at,
                    listed_by=e.by,
                    max_until=e.max_until,
                ),
                progress_due=e.progress_due,
                publish_due=e.publish_due,
                stop_work=e.stop_work if e.stop_work != StopWork.none else s.stop_work,
                **_new_deadline(s, e.deadline, e.reminders, e.at),
            )
        elif isinstance(e, PlanSubmitted):
            u.update(
                status=Status.plan_submitted,
                plan=Plan(
                    responsible=e.responsible,
                    measures=e.measures,
                    funds=e.funds,
                    deadline=e.deadline,
                    contingency_plan=e.contingency_plan,
                    submitted_by=e.by,
                    submitted_at=e.at,
                ),
            )
        elif isinstance(e, PlanDecided):
            assert s.plan is not None
            plan = s.plan.model_copy(
                update={
                    "status": "approved" if e.approved else "rejected",
                    "decided_by": e.by,
                    "decided_at": e.at,
                    "comment": e.comment,
                }
            )
            u.update(plan=plan, status=Status.treating if e.approved else Status.listed)
            if not e.approved and s.listing is not None:
                assert e.plan_due is not None
                u["listing"] = s.listing.model_copy(update={"plan_due": e.plan_due})
                u["lapsed"] = [k for k in s.lapsed if k != "plan"]
        elif isinstance(e, ProgressReported):
            entry = Entry(
                at=e.at,
                by=e.by,
                data={"percent": e.percent, "note": e.note, "evidence": [x.model_dump() for x in e.evidence]},
            )
            u.update(progress=[*s.progress, entry], progress_due=e.next_due, progress_overdue=False)
        elif isinstance(e, ExtensionRequested):
            ext = Extension(
                requested_at=e.at,
                requested_by=e.by,
                previous_deadline=s.deadline,
                new_deadline=e.new_deadline,
                reason=e.reason,
                decision_due=e.decision_due,
            )
            u.update(
                extensions=[*s.extensions, ext], lapsed=[k for k in s.lapsed if k != "extension_decision"]
            )
        elif isinstance(e, ExtensionDecided):
            last = s.extensions[-1].model_copy(
                update={
                    "status": "approved" if e.approved else "rejected",
                    "decided_at": e.at,
                    "decided_by": e.by,
                    "comment": e.comment,
                }
            )
            u["extensions"] = [*s.extensions[:-1], last]
            if e.approved and e.new_deadline is not None:
                u.update(_new_deadline(s, e.new_deadline, e.reminders, e.at))
        elif isinstance(e, ExplanationSubmitted):
            u.update(
                explained=True, explanations=[*s.explanations, Entry(at=e.at, by=e.by, data={"text": e.text})]
            )
        elif isinstance(e, RectificationSubmitted):
            entry = Entry(
                at=e.at,
                by=e.by,
                data={"summary": e.summary, "evidence": [x.model_dump() for x in e.evidence]},
            )
            u.update(rectifications=[*s.rectifications, entry], **_submitted(s, e.review_due))
        elif isinstance(e, AssessmentSubmitted):
            entry = Entry(
                at=e.at,
                by=e.by,
                data={
                    "assessor": e.assessor,
                    "organization": e.organization,
                    "passed": e.passed,
                    "report_uri": e.report_uri,
                },
            )
            if e.passed:
                u.update(
                    assessment=entry,
                    status=Status.awaiting_review,
                    review_due=e.review_due,
                    lapsed=_drop(s, "review"),
                )
            else:
                u.update(assessment=entry, status=Status.treating)
        elif isinstance(e, Reviewed):
            entry = Entry(
                at=e.at,
                by=e.by,
                data={
                    "passed": e.passed,
                    "comment": e.comment,
                    "new_deadline": e.new_deadline.isoformat() if e.new_deadline else None,
                },
            )
            u["reviews"] = [*s.reviews, entry]
            if e.passed:
                u.update(
                    status=Status.closed,
                    closed_at=e.at,
                    stop_work=StopWork.none,
                    reminders=[],
                    review_due=None,
                    publish_due=e.publish_due,
                    penalty=s.penalty.model_copy(update={"accruing": False, "next_accrual_at": None}),
                )
                if s.listing is not None:
                    u["listing"] = s.listing.model_copy(update={"lifted_at": e.at})
            else:
                status = Status.treating if s.status == Status.awaiting_review else Status.rectifying
                u.update(
                    status=status, review_due=None, **_new_deadline(s, e.new_deadline, e.reminders, e.at)
                )
        elif isinstance(e, PenaltyImposed):
            fine = Fine(
                amount=e.amount, decision_no=e.decision_no, legal_basis=e.legal_basis, at=e.at, by=e.by
            )
            u["penalty"] = s.penalty.model_copy(update={"fines": [*s.penalty.fines, fine]})
        elif isinstance(e, ClosureProposed):
            u["closure_proposed"] = True
        elif isinstance(e, Reinspected):
            entry = Entry(at=e.at, by=e.by, data={"compliant": e.compliant, "note": e.note})
            u["reinspections"] = [*s.reinspections, entry]
            if e.compliant:
                u["penalty"] = s.penalty.model_copy(update={"accruing": False, "next_accrual_at": None})
                if e.moves_to is not None:
                    rect = Entry(
                        at=e.at,
                        by=e.by,
                        data={"summary": "re-inspection found it corrected: " + e.note, "evidence": []},
                    )
                    u.update(rectifications=[*s.rectifications, rect], **_submitted(s, e.review_due))
            elif e.accrual_base is not None:
                u["penalty"] = s.penalty.model_copy(
                    update={
                        "accruing": True,
                        "accrual_base": e.accrual_base,
                        "days_accrued": e.accrual_days,
                        "accrued_total": e.accrual_base * e.accrual_days,
                        "next_accrual_at": e.next_accrual_at,
                    }
                )
        elif isinstance(e, PenaltyAccrued):
            p = s.penalty
            u["penalty"] = p.model_copy(
                update={
                    "days_accrued": e.day,
                    "accrued_total": p.accrued_total + e.amount,
                    "next_accrual_at": e.next_accrual_at,
                }
            )
        elif isinstance(e, StopWorkOrdered):
            u.update(
                stop_work=e.scope,
                stop_work_history=[
                    *s.stop_work_history,
                    Entry(at=e.at, by=e.by, data={"order": e.scope.value, "reason": e.reason}),
                ],
            )
        elif isinstance(e, StopWorkLifted):
            u.update(
                stop_work=StopWork.none,
                stop_work_history=[
                    *s.stop_work_history,
                    Entry(at=e.at, by=e.by, data={"order": "lifted", "reason": e.reason}),
                ],
            )
        elif isinstance(e, ReminderSent):
            u["reminders"] = [r for r in s.reminders if r.key != e.key]
        elif isinstance(e, WentOverdue):
            u.update(
                overdue=True,
                overdue_since=e.at,
                explanation_due=e.explanation_due,
                explained=False,
                reminders=[],
                warning_list=s.warning_list or e.listed,
            )
        elif isinstance(e, DeadlineMissed):
            u["lapsed"] = [*s.lapsed, e.key] if e.key != "progress" else s.lapsed
            if e.escalated_to is not None:
                u["escalations"] = [
                    *s.escalations,
                    Entry(at=e.at, by=e.by, data={"clock": e.key, "to": e.escalated_to}),
                ]
            if e.key == "explanation":
                u["explanation_due"] = None
            if e.key == "progress":
                u.update(progress_due=e.next_due, progress_overdue=True)
        elif isinstance(e, Cancelled):
            u.update(
                status=Status.cancelled,
                cancelled_reason=e.reason,
                closed_at=e.at,
                reminders=[],
                penalty=s.penalty.model_copy(update={"accruing": False, "next_accrual_at": None}),
            )
        return s.model_copy(update=u)

    # ---- read sides -----------------------------------------------------------------------------------

    def index(self, s: HazardState) -> CaseIndex:
        dl = self.deadlines(s)
        return CaseIndex(
            status=s.status.value,
            level=s.level.value if s.level else None,
            region=s.region,
            enterprise_id=s.enterprise_id or None,
            next_due_at=dl[0].due_at if dl else None,
            overdue=(s.overdue or s.progress_overdue) and s.status not in TERMINAL,
            terminal=s.status in TERMINAL,
        )

    def view(self, s: HazardState) -> dict[str, Any]:
        data = s.model_dump(mode="json", exclude={"lapsed", "reminders", "grading_due", "major_report_due"})
        p = s.penalty
        data["penalty"] = {
            "fines": [f.model_dump(mode="json") for f in p.fines],
            "fine_total": str(p.fine_total),
            "accruing": p.accruing,
            "accrual_base": str(p.accrual_base),
            "days_accrued": p.days_accrued,
            "accrued_total": str(p.accrued_total),
            "next_accrual_at": p.next_accrual_at.isoformat() if p.next_accrual_at else None,
        }
        data["deadlines"] = [d.model_dump(mode="json", exclude={"note"}) for d in self.deadlines(s)]
        data["lapsed_clocks"] = list(s.lapsed)
        data["overdue"] = (s.overdue or s.progress_overdue) and s.status not in TERMINAL
        data["allowed_commands"] = allowed_commands(s) if s.status != Status.none else ["report"]
        return data

    def summary(self, s: HazardState) -> dict[str, Any]:
        return {
            "status": s.status.value,
            "terminal": s.status in TERMINAL,
            "level": s.level.value if s.level else None,
            "fine_total": str(s.penalty.fine_total),
            "accrued_total": str(s.penalty.accrued_total),
            "deadline": s.deadline.isoformat() if s.deadline else None,
            "overdue": s.overdue,
        }

    def notices(self, before: HazardState, e: Any, after: HazardState) -> list[Notice]:
        return hazard_notices(before, e, after)

    def children(self, before: HazardState, e: Any, after: HazardState) -> list[ChildSpec]:
        return []


def _neg(duration: str) -> IsoDuration:
    d = IsoDuration(duration)
    d.sign = -d.sign
    return d


def _drop(s: HazardState, key: str) -> list[str]:
    return [k for k in s.lapsed if k != key]


def _new_deadline(
    s: HazardState, deadline: datetime | None, reminders: list[Clock], at: datetime
) -> dict[str, Any]:
    """A new rectification/treatment deadline: reminders rearmed, the overdue episode ended, the first
    deadline ever set kept on record, the order time (for daily penalties) kept from the first order."""
    return {
        "deadline": deadline,
        "original_deadline": s.original_deadline or deadline,
        "ordered_at": s.ordered_at or at,
        "reminders": reminders,
        "overdue": False,
        "overdue_since": None,
        "explanation_due": None,
        "explained": False,
        "lapsed": [k for k in s.lapsed if k != "explanation"],
    }


def _submitted(s: HazardState, review_due: datetime | None) -> dict[str, Any]:
    """Rectification reported: general → verifying (review clock); major treating → assessing."""
    if s.status == Status.rectifying:
        return {
            "status": Status.verifying,
            "review_due": review_due,
            "reminders": [],
            "lapsed": _drop(s, "review"),
        }
    return {"status": Status.assessing, "reminders": []}


HAZARD = HazardDecider()
