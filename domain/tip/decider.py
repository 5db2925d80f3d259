"""The tip decider: decide / evolve / deadlines and the reads (see the package docstring)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import TypeAdapter

from domain.access import check_acts, check_files
from domain.actors import Role
from domain.decider import CaseIndex, ChildCaseUpdated, ChildSpec, Context, Deadline, DeadlineElapsed, Notice
from domain.errors import Conflict, Forbidden, InvalidCommand, NotAllowedInState
from domain.policy import PolicyPack
from domain.timecalc import IsoDuration
from domain.tip.commands import (
    PUBLIC_INTAKE_ACTOR_ID,
    ApproveReward,
    AssessReward,
    ExtendVerification,
    IntakeRoute,
    Receive,
    RecordPayment,
    RecordVerification,
    SendFeedback,
    TipCommand,
    Triage,
    WaiveReward,
)
from domain.tip.events import (
    ChildOutcomeRecorded,
    DeadlineMissed,
    FeedbackSent,
    RewardApproved,
    RewardAssessed,
    RewardAssessmentOpened,
    RewardNotDue,
    RewardPaid,
    RewardWaived,
    TipClosed,
    TipEvent,
    TipReceived,
    Triaged,
    VerificationExtended,
    VerificationRecorded,
)
from domain.tip.notices import tip_notices
from domain.tip.rewards import cents, concealed_reward, fine_reward, reward_bounds
from domain.tip.state import (
    ChildRef,
    Extension,
    FeedbackRecord,
    RewardBasis,
    RewardRecord,
    RewardStatus,
    TipState,
    TipStatus,
    TriageRecord,
    VerificationRecord,
)

INCIDENT_TYPE_FIELD = "incident_type"
"""Where a concealed-incident child's report command carries the accident type (API.md `type`)."""

_commands: TypeAdapter[Any] = TypeAdapter(TipCommand)


_events: TypeAdapter[Any] = TypeAdapter(TipEvent)


def _optional_duration_key(policy: PolicyPack, preferred: str, fallback: str) -> str:
    return preferred if preferred in policy.values else fallback


_OFFICERS = frozenset({Role.inspector, Role.supervisor})


ROLES: dict[str, frozenset[Role]] = {
    "receive": frozenset({Role.operator, Role.inspector, Role.supervisor}),
    "triage": frozenset({Role.operator, Role.inspector, Role.supervisor}),
    "extend_verification": frozenset({Role.supervisor}),
    "record_verification": _OFFICERS,
    "send_feedback": _OFFICERS,
    "assess_reward": _OFFICERS,
    "approve_reward": frozenset({Role.supervisor}),
    "record_payment": frozenset({Role.supervisor, Role.operator}),
    "waive_reward": frozenset({Role.supervisor}),
}
"""Who may send each command (besides jurisdiction over the tip's region)."""


_BY_STATUS: dict[TipStatus, tuple[str, ...]] = {
    TipStatus.none: ("receive",),
    TipStatus.received: ("triage",),
    TipStatus.verifying: ("extend_verification", "record_verification"),
    TipStatus.routed: ("send_feedback",),
    TipStatus.not_substantiated: ("send_feedback",),
    TipStatus.substantiated: ("send_feedback",),
    TipStatus.reward_assessing: ("assess_reward", "approve_reward", "waive_reward", "send_feedback"),
    TipStatus.reward_approved: ("record_payment", "waive_reward"),
    TipStatus.closed: (),
}


def allowed_commands(s: TipState) -> list[str]:
    """The commands that the tip's current status accepts (feedback only while it is owed)."""
    return [c for c in _BY_STATUS[s.status] if c != "send_feedback" or s.feedback_owed]


def _blank(text: str) -> bool:
    return not text.strip()


class TipDecider:
    """安全生产举报: receive, triage, verify, feed back, reward."""

    kind = "tip"

    def initial_state(self) -> TipState:
        return TipState()

    def parse_command(self, data: dict[str, Any]) -> Any:
        return _commands.validate_python(data)

    def parse_event(self, data: dict[str, Any] | str) -> Any:
        return _events.validate_json(data) if isinstance(data, str) else _events.validate_python(data)

    def parse_state(self, data: dict[str, Any]) -> TipState:
        return TipState.model_validate(data)

    # ---- decide ----------------------------------------------------------------------------------------

    def decide(self, s: TipState, c: Any, ctx: Context) -> list[Any]:
        if isinstance(c, DeadlineElapsed | ChildCaseUpdated):
            if ctx.actor.role != Role.system:
                raise Forbidden(
                    f"{c.type} is a system command: only the system sends it", rule="system_command"
                )
            events = self._deadline(s, c, ctx) if isinstance(c, DeadlineElapsed) else self._child(s, c, ctx)
            return self._with_closure(s, events, ctx)
        if s.status == TipStatus.none and not isinstance(c, Receive):
            self._refuse_in_state(s, c.type)
        self._check_actor(s, c, ctx)
        if isinstance(c, Receive):
            check_files(ctx.actor, c.region, "tip")
            return self._receive(s, c, ctx)
        if c.type not in allowed_commands(s):
            self._refuse_in_state(s, c.type)
        return self._with_closure(s, self._handle(s, c, ctx), ctx)

    def _handle(self, s: TipState, c: Any, ctx: Context) -> list[Any]:
        if isinstance(c, Triage):
            return self._triage(s, c, ctx)
        if isinstance(c, ExtendVerification):
            return self._extend(s, c, ctx)
        if isinstance(c, RecordVerification):
            return self._verify(s, c, ctx)
        if isinstance(c, SendFeedback):
            return self._feedback(s, c, ctx)
        if isinstance(c, AssessReward):
            return self._assess(s, c, ctx)
        if isinstance(c, ApproveReward):
            return self._approve(s, c, ctx)
        if isinstance(c, RecordPayment):
            return self._pay(s, c, ctx)
        if isinstance(c, WaiveReward):
            return self._waive(s, c, ctx)
        raise InvalidCommand(f"unknown tip command {c.type!r}", field="type", rule="schema")

    def _check_actor(self, s: TipState, c: Any, ctx: Context) -> None:
        actor = ctx.actor
        if actor.id == PUBLIC_INTAKE_ACTOR_ID and c.type != "receive":
            raise Forbidden(
                "the public intake only receives tips; officers handle them", rule="public_intake_only"
            )
        region = c.region if isinstance(c, Receive) else s.region
        check_acts(actor, c.type, ROLES[c.type], region, None, "tip")

    def _refuse_in_state(self, s: TipState, command: str) -> None:
        allowed = allowed_commands(s)
        if command == "send_feedback" and s.feedback is not None:
            raise Conflict(f"feedback was already sent to the reporter at {s.feedback.at.isoformat()}")
        what = ", ".join(allowed) if allowed else "nothing (the tip is closed)"
        raise NotAllowedInState(
            f"a tip in status {s.status.value} does not accept {command}; it accepts {what}",
            status=s.status.value,
            allowed=allowed,
        )

    def _receive(self, s: TipState, c: Receive, ctx: Context) -> list[Any]:
        if s.status != TipStatus.none:
            self._refuse_in_state(s, "receive")
        public_actor = ctx.actor.id == PUBLIC_INTAKE_ACTOR_ID
        if (c.received_via == IntakeRoute.public) != public_actor:
            raise InvalidCommand(
                "received_via 'public' is for the public intake actor only; an officer's intake is "
                "'operator'",
                field="received_via",
                rule="intake_route",
            )
        if _blank(c.content):
            raise InvalidCommand("the tip's content is empty", field="content", rule="content_required")
        key = _optional_duration_key(ctx.policy, "tip.triage_due", "tip.feedback_due")
        return [
            TipReceived(
                id=ctx.case_id,
                policy=ctx.policy.ref,
                channel=c.channel,
                region=c.region,
                enterprise_id=c.enterprise_id,
                content=c.content,
                evidence=c.evidence,
                reporter_identified=c.reporter_identified,
                claim_token_hash=c.claim_token_hash,
                received_via=c.received_via,
                triage_due=ctx.policy.add(key, ctx.now),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _triage(self, s: TipState, c: Triage, ctx: Context) -> list[Any]:
        if c.route_to is not None:
            if c.in_scope:
                raise InvalidCommand(
                    "route_to is for tips outside our scope; an in-scope tip is verified here",
                    field="route_to",
                    rule="route_only_out_of_scope",
                )
            if _blank(c.route_to):
                raise InvalidCommand("name the department the tip goes to", field="route_to", rule="route_to")
        if c.duplicate_of is not None:
            if not c.in_scope:
                raise InvalidCommand(
                    "only an in-scope tip can be a duplicate of an earlier tip (the duplicate rule "
                    "matters for rewards of verified tips)",
                    field="duplicate_of",
                    rule="duplicate_needs_in_scope",
                )
            if c.duplicate_of == s.id:
                raise InvalidCommand(
                    "a tip cannot duplicate itself", field="duplicate_of", rule="duplicate_of_itself"
                )
        return [
            Triaged(
                in_scope=c.in_scope,
                route_to=c.route_to,
                duplicate_of=c.duplicate_of,
                involves_deaths=c.involves_deaths,
                verification_due=ctx.policy.add("tip.verification_due", ctx.now) if c.in_scope else None,
                feedback_due=None if c.in_scope else ctx.policy.add("tip.feedback_due", ctx.now),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _extend(self, s: TipState, c: ExtendVerification, ctx: Context) -> list[Any]:
        assert s.verification_due is not None
        if s.extension is not None:
            raise Conflict(
                f"the verification was already extended once (by {s.extension.days} days); only one "
                "extension is allowed"
            )
        if "verification" in s.lapsed or ctx.now >= s.verification_due:
            raise Conflict(
                f"the verification deadline {s.verification_due.isoformat()} has passed; an extension "
                "must be approved before it"
            )
        if _blank(c.reason):
            raise InvalidCommand("give the reason for the extension", field="reason", rule="reason_required")
        new_due = ctx.policy.add_iso(IsoDuration(f"P{c.days}D"), s.verification_due)
        limit = ctx.policy.add("tip.verification_extension_max", s.verification_due)
        if new_due > limit:
            raise InvalidCommand(
                f"an extension may add at most {ctx.policy.raw('tip.verification_extension_max')} "
                f"(until {limit.isoformat()}); {c.days} days is too long",
                field="days",
                rule="extension_max",
            )
        return [
            VerificationExtended(
                days=c.days,
                reason=c.reason,
                previous_due=s.verification_due,
                new_due=new_due,
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _verify(self, s: TipState, c: RecordVerification, ctx: Context) -> list[Any]:
        if _blank(c.findings):
            raise InvalidCommand("record the findings", field="findings", rule="findings_required")
        action = c.action
        if action is not None:
            if not c.substantiated:
                raise InvalidCommand(
                    "an action (hazard or incident case) follows only a substantiated tip",
                    field="action",
                    rule="action_needs_substantiated",
                )
            if not ctx.actor.covers(action.region):
                raise Forbidden(
                    f"the action's region {action.region} is outside your jurisdiction {ctx.actor.region}",
                    rule="jurisdiction",
                )
        child_kind = action.kind if action is not None else None
        events: list[Any] = [
            VerificationRecorded(
                substantiated=c.substantiated,
                findings=c.findings,
                action=action.model_dump(mode="json", exclude_none=True) if action is not None else None,
                child_kind=child_kind,
                child_id=f"{s.id}-{'h' if child_kind == 'hazard' else 'i'}" if child_kind else None,
                feedback_due=ctx.policy.add("tip.feedback_due", ctx.now),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]
        if c.substantiated and action is None:
            events.append(
                RewardNotDue(
                    reason="substantiated without a hazard or incident case: no fine or concealed death "
                    "to reward",
                    at=ctx.now,
                )
            )
        return events

    def _feedback(self, s: TipState, c: SendFeedback, ctx: Context) -> list[Any]:
        if _blank(c.text):
            raise InvalidCommand("the feedback text is empty", field="text", rule="feedback_text_required")
        return [FeedbackSent(text=c.text, at=ctx.now, by=ctx.actor.id)]

    def _check_amount(
        self, r: RewardRecord, amount: Decimal, reference: Decimal, comment: str, what: str
    ) -> None:
        assert r.minimum is not None and r.maximum is not None
        if amount > r.maximum:
            raise InvalidCommand(
                f"{amount} yuan is above the maximum reward of {r.maximum} yuan",
                field="amount",
                rule="reward_max",
            )
        if amount < r.minimum:
            raise InvalidCommand(
                f"{amount} yuan is below the minimum reward of {r.minimum} yuan",
                field="amount",
                rule="reward_min",
            )
        if amount != reference and _blank(comment):
            raise InvalidCommand(
                f"{amount} yuan differs from the {what} {reference} yuan: explain why in comment",
                field="comment",
                rule="comment_required_for_deviation",
            )

    def _assess(self, s: TipState, c: AssessReward, ctx: Context) -> list[Any]:
        r = s.reward
        assert r is not None and r.computed is not None
        amount = r.computed if c.amount is None else c.amount
        self._check_amount(r, amount, r.computed, c.comment, "amount computed by the rules")
        return [
            RewardAssessed(
                amount=cents(amount), computed=r.computed, comment=c.comment, at=ctx.now, by=ctx.actor.id
            )
        ]

    def _approve(self, s: TipState, c: ApproveReward, ctx: Context) -> list[Any]:
        r = s.reward
        assert r is not None and s.verification is not None
        if ctx.actor.id == s.verification.by:
            raise Forbidden(
                "you verified this tip: another supervisor must approve its reward (separation of duties)",
                rule="separation_of_duties",
            )
        if r.assessed_amount is None:
            raise Conflict("the reward has not been assessed yet: assess_reward comes before approve_reward")
        if s.feedback is None:
            raise Conflict(
                "send the verification feedback to the reporter (send_feedback) before approving a reward"
            )
        amount = r.assessed_amount if c.amount is None else c.amount
        self._check_amount(r, amount, r.assessed_amount, c.comment, "assessed amount")
        return [
            RewardApproved(
                amount=cents(amount),
                comment=c.comment,
                claim_due=ctx.policy.add("tip.claim_window", ctx.now),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _pay(self, s: TipState, c: RecordPayment, ctx: Context) -> list[Any]:
        if _blank(c.reference):
            raise InvalidCommand("give the payment reference", field="reference", rule="reference_required")
        return [RewardPaid(reference=c.reference, at=ctx.now, by=ctx.actor.id)]

    def _waive(self, s: TipState, c: WaiveReward, ctx: Context) -> list[Any]:
        if _blank(c.reason):
            raise InvalidCommand("give the reason for waiving", field="reason", rule="reason_required")
        return [RewardWaived(reason=c.reason, at=ctx.now, by=ctx.actor.id)]

    # ---- system commands ---------------------------------------------------------------------------------

    def _deadline(self, s: TipState, c: DeadlineElapsed, ctx: Context) -> list[Any]:
        if (c.key, c.due_at) not in {(d.key, d.due_at) for d in self.deadlines(s)}:
            return []  # stale timer
        if c.key == "claim":
            return [
                RewardWaived(
                    reason="not claimed within the claim window", unclaimed=True, at=ctx.now, by=ctx.actor.id
                )
            ]
        return [DeadlineMissed(key=c.key, due_at=c.due_at, at=ctx.now)]

    def _child(self, s: TipState, c: ChildCaseUpdated, ctx: Context) -> list[Any]:
        child = s.child
        if child is None or c.child_id != child.case_id or s.status == TipStatus.closed:
            return []  # not our child, or nothing left to wait for
        summary = c.summary
        status = summary.get("status")
        terminal = bool(summary.get("terminal", False))
        fine = _summary_decimal(summary, "fine_total") if child.kind == "hazard" else None
        grade = summary.get("grade") if child.kind == "incident" else None
        deaths = _summary_int(summary, "concealed_deaths") if child.kind == "incident" else None
        recorded = ChildOutcomeRecorded(
            child_id=child.case_id,
            child_kind=child.kind,
            status=None if status is None else str(status),
            terminal=terminal,
            fine_total=fine,
            grade=None if grade is None else str(grade),
            concealed_deaths=deaths,
            at=ctx.now,
        )
        events: list[Any] = []
        if (recorded.status, terminal, fine, recorded.grade, deaths) != (
            child.status,
            child.terminal,
            child.fine_total,
            child.grade,
            child.concealed_deaths,
        ):
            events.append(recorded)
        if terminal and s.reward is None:
            events.append(self._reward_decision(s, recorded, ctx))
        return events

    def _reward_decision(self, s: TipState, o: ChildOutcomeRecorded, ctx: Context) -> Any:
        if s.duplicate:
            assert s.triage is not None
            return RewardNotDue(
                reason=f"duplicate of tip {s.triage.duplicate_of}: only the first reporter of the same "
                "matter is rewarded",
                at=ctx.now,
            )
        if o.status == "cancelled":
            return RewardNotDue(reason=f"the {o.child_kind} case {o.child_id} was cancelled", at=ctx.now)
        due = ctx.policy.add(
            _optional_duration_key(ctx.policy, "tip.reward.assessment_due", "tip.feedback_due"), ctx.now
        )
        if o.child_kind == "hazard":
            if o.fine_total is None or o.fine_total <= 0:
                return RewardNotDue(reason="no fine was imposed: no reward", at=ctx.now)
            low, high = reward_bounds(ctx.policy, RewardBasis.fine)
            return RewardAssessmentOpened(
                basis=RewardBasis.fine,
                fine_total=o.fine_total,
                computed=fine_reward(ctx.policy, o.fine_total),
                minimum=low,
                maximum=high,
                assessment_due=due,
                at=ctx.now,
            )
        if not o.concealed_deaths:
            return RewardNotDue(reason="no concealed death was established: no reward", at=ctx.now)
        table = ctx.policy.table("tip.reward.concealed_per_death")
        if o.grade not in table:
            raise InvalidCommand(
                f"incident grade {o.grade!r} is not one of {', '.join(table)}",
                field="summary.grade",
                rule="incident_grade",
            )
        low, high = reward_bounds(ctx.policy, RewardBasis.concealed_deaths)
        return RewardAssessmentOpened(
            basis=RewardBasis.concealed_deaths,
            grade=o.grade,
            concealed_deaths=o.concealed_deaths,
            computed=concealed_reward(ctx.policy, o.grade, o.concealed_deaths),
            minimum=low,
            maximum=high,
            assessment_due=due,
            at=ctx.now,
        )

    # ---- closure ---------------------------------------------------------------------------------------

    def _with_closure(self, s: TipState, events: list[Any], ctx: Context) -> list[Any]:
        """Append `tip_closed` when these events leave nothing to do: feedback given, reward settled."""
        if not events:
            return events
        after = s
        for e in events:
            after = self.evolve(after, e)
        reason = _closure_reason(after)
        if reason is None:
            return events
        return [*events, TipClosed(reason=reason, at=ctx.now)]

    # ---- evolve ----------------------------------------------------------------------------------------

    def evolve(self, s: TipState, e: Any) -> TipState:
        if isinstance(e, TipReceived):
            return s.model_copy(
                update={
                    "id": e.id,
                    "policy": e.policy,
                    "status": TipStatus.received,
                    "channel": e.channel,
                    "region": e.region,
                    "enterprise_id": e.enterprise_id,
                    "content": e.content,
                    "evidence": e.evidence,
                    "reporter_identified": e.reporter_identified,
                    "anonymous": not e.reporter_identified,
                    "claim_token_hash": e.claim_token_hash,
                    "received_via": e.received_via,
                    "received_at": e.at,
                    "received_by": e.by,
                    "updated_at": e.at,
                    "triage_due": e.triage_due,
                }
            )
        if isinstance(e, Triaged):
            if e.in_scope:
                status = TipStatus.verifying
            elif e.route_to is not None:
                status = TipStatus.routed
            else:
                status = TipStatus.not_substantiated
            return s.model_copy(
                update={
                    "status": status,
                    "triage": TriageRecord(
                        in_scope=e.in_scope,
                        route_to=e.route_to,
                        duplicate_of=e.duplicate_of,
                        involves_deaths=e.involves_deaths,
                        at=e.at,
                        by=e.by,
                    ),
                    "verification_due": e.verification_due,
                    "feedback_due": e.feedback_due,
                    "lapsed": _without(s.lapsed, "triage"),
                    "updated_at": e.at,
                }
            )
        if isinstance(e, VerificationExtended):
            return s.model_copy(
                update={
                    "verification_due": e.new_due,
                    "extension": Extension(
                        days=e.days,
                        reason=e.reason,
                        previous_due=e.previous_due,
                        new_due=e.new_due,
                        at=e.at,
                        by=e.by,
                    ),
                    "updated_at": e.at,
                }
            )
        if isinstance(e, VerificationRecorded):
            child = (
                ChildRef(case_id=e.child_id, kind=e.child_kind)
                if e.child_id is not None and e.child_kind is not None
                else None
            )
            return s.model_copy(
                update={
                    "status": TipStatus.substantiated if e.substantiated else TipStatus.not_substantiated,
                    "verification": VerificationRecord(
                        substantiated=e.substantiated,
                        findings=e.findings,
                        action_kind=e.child_kind,
                        at=e.at,
                        by=e.by,
                    ),
                    "child": child,
                    "feedback_due": e.feedback_due,
                    "lapsed": _without(s.lapsed, "verification"),
                    "updated_at": e.at,
                }
            )
        if isinstance(e, FeedbackSent):
            return s.model_copy(
                update={
                    "feedback": FeedbackRecord(text=e.text, at=e.at, by=e.by),
                    "lapsed": _without(s.lapsed, "feedback"),
                    "updated_at": e.at,
                }
            )
        if isinstance(e, ChildOutcomeRecorded):
            if s.child is None:
                return s
            return s.model_copy(
                update={
                    "child": s.child.model_copy(
                        update={
                            "status": e.status,
                            "terminal": e.terminal,
                            "fine_total": e.fine_total,
                            "grade": e.grade,
                            "concealed_deaths": e.concealed_deaths,
                            "updated_at": e.at,
                        }
                    ),
                    "updated_at": e.at,
                }
            )
        if isinstance(e, RewardAssessmentOpened):
            return s.model_copy(
                update={
                    "status": TipStatus.reward_assessing,
                    "reward": RewardRecord(
                        status=RewardStatus.assessing,
                        basis=e.basis,
                        fine_total=e.fine_total,
                        grade=e.grade,
                        concealed_deaths=e.concealed_deaths,
                        computed=e.computed,
                        minimum=e.minimum,
                        maximum=e.maximum,
                        assessment_due=e.assessment_due,
                    ),
                    "updated_at": e.at,
                }
            )
        if isinstance(e, RewardNotDue):
            return s.model_copy(
                update={
                    "reward": RewardRecord(status=RewardStatus.not_due, reason=e.reason, decided_at=e.at),
                    "updated_at": e.at,
                }
            )
        if isinstance(e, RewardAssessed):
            return _update_reward(
                s,
                e.at,
                assessed_amount=e.amount,
                assessed_by=e.by,
                assessed_at=e.at,
                assess_comment=e.comment,
            )
        if isinstance(e, RewardApproved):
            s2 = _update_reward(
                s,
                e.at,
                status=RewardStatus.approved,
                approved_amount=e.amount,
                approved_by=e.by,
                approved_at=e.at,
                approve_comment=e.comment,
                claim_due=e.claim_due,
            )
            return s2.model_copy(
                update={
                    "status": TipStatus.reward_approved,
                    "lapsed": _without(s.lapsed, "reward_assessment"),
                }
            )
        if isinstance(e, RewardPaid):
            s2 = _update_reward(
                s,
                e.at,
                status=RewardStatus.paid,
                payment_reference=e.reference,
                paid_at=e.at,
                decided_at=e.at,
            )
            return s2.model_copy(update={"status": TipStatus.substantiated})
        if isinstance(e, RewardWaived):
            s2 = _update_reward(
                s, e.at, status=RewardStatus.waived, reason=e.reason, unclaimed=e.unclaimed, decided_at=e.at
            )
            return s2.model_copy(
                update={"status": TipStatus.substantiated, "lapsed": _without(s.lapsed, "reward_assessment")}
            )
        if isinstance(e, DeadlineMissed):
            lapsed = s.lapsed if e.key in s.lapsed else [*s.lapsed, e.key]
            return s.model_copy(update={"lapsed": lapsed, "updated_at": e.at})
        if isinstance(e, TipClosed):
            return s.model_copy(
                update={
                    "status": TipStatus.closed,
                    "closed_at": e.at,
                    "closure_reason": e.reason,
                    "lapsed": [],
                    "updated_at": e.at,
                }
            )
        return s

    # ---- reads -----------------------------------------------------------------------------------------

    def deadlines(self, s: TipState) -> list[Deadline]:
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

    def index(self, s: TipState) -> CaseIndex:
        owed = self.deadlines(s)
        # enterprise_id stays out of the index: the enterprise read scope must never reach a tip about it.
        return CaseIndex(
            status=s.status.value,
            level=None,
            region=s.region,
            enterprise_id=None,
            next_due_at=min((d.due_at for d in owed), default=None),
            overdue=bool(s.lapsed),
            terminal=s.status == TipStatus.closed,
        )

    def view(self, s: TipState) -> dict[str, Any]:
        """What officers see. There is no reporter identity in the state; the claim token hash stays out."""
        data = s.model_dump(mode="json", exclude={"claim_token_hash", "lapsed"})
        data.update(
            kind=self.kind,
            duplicate=s.duplicate,
            deadlines=[
                {"key": d.key, "kind": d.kind, "due_at": d.due_at.isoformat()} for d in self.deadlines(s)
            ],
            overdue=bool(s.lapsed),
            overdue_clocks=list(s.lapsed),
            waits_for_child=s.waits_for_child,
            allowed_commands=allowed_commands(s),
            created_at=data["received_at"],
        )
        return data

    def summary(self, s: TipState) -> dict[str, Any]:
        r = s.reward
        amount = r.approved_amount if r is not None else None
        return {
            "status": s.status.value,
            "terminal": s.status == TipStatus.closed,
            "reward_amount": None if amount is None else str(amount),
            "paid": r is not None and r.status == RewardStatus.paid,
        }

    def public_status(self, s: TipState) -> dict[str, Any]:
        """What the reporter sees with the claim token: status, feedback, an approved reward. Nothing else."""
        out: dict[str, Any] = {"id": s.id, "status": s.status.value, "feedback": None, "reward": None}
        if s.feedback is not None:
            out["feedback"] = {"text": s.feedback.text, "at": s.feedback.at.isoformat()}
        r = s.reward
        if r is not None and r.approved_amount is not None:
            out["reward"] = {
                "amount": str(r.approved_amount),
                "status": r.status.value,
                "claim_due": r.claim_due.isoformat() if r.claim_due else None,
            }
        return out

    # ---- notices and children ----------------------------------------------------------------------

    def notices(self, before: TipState, e: Any, after: TipState) -> list[Notice]:
        return tip_notices(before, e, after)

    def children(self, before: TipState, e: Any, after: TipState) -> list[ChildSpec]:
        if not isinstance(e, VerificationRecorded) or e.action is None or e.child_id is None:
            return []
        body = {k: v for k, v in e.action.items() if k != "kind"}
        origin = {"kind": "tip", "case_id": after.id, "ref": "action"}
        if e.child_kind == "hazard":
            command = {"type": "report", **body, "source": "tip", "origin": origin}
        else:
            # the incident body's own `type` (fire, mining…) would collide with the command tag `type`
            body[INCIDENT_TYPE_FIELD] = body.pop("type")
            command = {"type": "report", **body, "concealed": True, "origin": origin}
        return [ChildSpec(kind=str(e.child_kind), case_id=e.child_id, ref="action", command=command)]


def _without(items: list[str], key: str) -> list[str]:
    return [x for x in items if x != key]


def _update_reward(s: TipState, at: datetime, **changes: Any) -> TipState:
    reward = s.reward or RewardRecord(status=RewardStatus.assessing)
    return s.model_copy(update={"reward": reward.model_copy(update=changes), "updated_at": at})


def _closure_reason(s: TipState) -> str | None:
    if s.status == TipStatus.closed or s.feedback is None:
        return None
    if s.status == TipStatus.routed:
        return "routed"
    if s.status == TipStatus.not_substantiated:
        return "out_of_scope" if s.triage is not None and not s.triage.in_scope else "not_substantiated"
    if s.status == TipStatus.substantiated and s.reward is not None:
        if s.reward.status == RewardStatus.not_due:
            return "no_reward"
        if s.reward.status == RewardStatus.paid:
            return "paid"
        if s.reward.status == RewardStatus.waived:
            return "unclaimed" if s.reward.unclaimed else "waived"
    return None


def _summary_decimal(summary: dict[str, Any], key: str) -> Decimal | None:
    raw = summary.get(key)
    if raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise InvalidCommand(
            f"child summary {key}={raw!r} is not an amount", field=f"summary.{key}", rule="amount"
        )
    return value


def _summary_int(summary: dict[str, Any], key: str) -> int | None:
    raw = summary.get(key)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise InvalidCommand(
            f"child summary {key}={raw!r} is not a count", field=f"summary.{key}", rule="count"
        )
    return raw


TIP = TipDecider()
