"""Tip commands decided: who may send which command in which status, and each handler (package docstring)."""

from __future__ import annotations

from decimal import Decimal

from domain.actors import Role
from domain.base import known
from domain.decider import Context
from domain.errors import Conflict, Forbidden, InvalidCommand
from domain.jurisdiction import TREE_KEY, next_level
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
    Triage,
    WaiveReward,
)
from domain.tip.events import (
    FeedbackSent,
    RewardApproved,
    RewardAssessed,
    RewardNotDue,
    RewardPaid,
    RewardWaived,
    TipEvent,
    TipReceived,
    Triaged,
    VerificationExtended,
    VerificationRecorded,
)
from domain.tip.rewards import cents
from domain.tip.state import (
    RewardRecord,
    TipState,
    TipStatus,
)


def optional_duration_key(policy: PolicyPack, preferred: str, fallback: str) -> str:
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


def receive(s: TipState, c: Receive, ctx: Context) -> list[TipEvent]:
    public_actor = ctx.actor.id == PUBLIC_INTAKE_ACTOR_ID
    if (c.received_via == IntakeRoute.public) != public_actor:
        raise InvalidCommand(
            "received_via 'public' is for the public intake actor only; an officer's intake is 'operator'",
            field="received_via",
            rule="intake_route",
        )
    if _blank(c.content):
        raise InvalidCommand("the tip's content is empty", field="content", rule="content_required")
    key = optional_duration_key(ctx.policy, "tip.triage_due", "tip.feedback_due")
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


def triage(s: TipState, c: Triage, ctx: Context) -> list[TipEvent]:
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


def extend(s: TipState, c: ExtendVerification, ctx: Context) -> list[TipEvent]:
    """An extension is approved by the level above the tip's own, as the pack's jurisdiction tree says
    (packs without a tree, pinned before 2026.2, keep the tip's own supervisors: replay decides as before)."""
    due = known(s.verification_due, "verification_due")
    above = next_level(ctx.policy, s.region)
    if TREE_KEY in ctx.policy.values and not ctx.actor.covers(above):
        raise Forbidden(
            f"a verification extension is approved by the next-higher level ({above}), not by "
            f"{ctx.actor.region}",
            rule="next_level_approves",
        )
    if s.extension is not None:
        raise Conflict(
            f"the verification was already extended once (by {s.extension.days} days); only one "
            "extension is allowed"
        )
    if "verification" in s.lapsed or ctx.now >= due:
        raise Conflict(
            f"the verification deadline {due.isoformat()} has passed; an extension must be approved before it"
        )
    if _blank(c.reason):
        raise InvalidCommand("give the reason for the extension", field="reason", rule="reason_required")
    new_due = ctx.policy.add_iso(IsoDuration(f"P{c.days}D"), due)
    limit = ctx.policy.add("tip.verification_extension_max", due)
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
            previous_due=due,
            new_due=new_due,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def verify(s: TipState, c: RecordVerification, ctx: Context) -> list[TipEvent]:
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
    events: list[TipEvent] = [
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


def feedback(s: TipState, c: SendFeedback, ctx: Context) -> list[TipEvent]:
    if _blank(c.text):
        raise InvalidCommand("the feedback text is empty", field="text", rule="feedback_text_required")
    return [FeedbackSent(text=c.text, at=ctx.now, by=ctx.actor.id)]


def check_amount(r: RewardRecord, amount: Decimal, reference: Decimal, comment: str, what: str) -> None:
    minimum, maximum = known(r.minimum, "reward minimum"), known(r.maximum, "reward maximum")
    if amount > maximum:
        raise InvalidCommand(
            f"{amount} yuan is above the maximum reward of {maximum} yuan",
            field="amount",
            rule="reward_max",
        )
    if amount < minimum:
        raise InvalidCommand(
            f"{amount} yuan is below the minimum reward of {minimum} yuan",
            field="amount",
            rule="reward_min",
        )
    if amount != reference and _blank(comment):
        raise InvalidCommand(
            f"{amount} yuan differs from the {what} {reference} yuan: explain why in comment",
            field="comment",
            rule="comment_required_for_deviation",
        )


def assess(s: TipState, c: AssessReward, ctx: Context) -> list[TipEvent]:
    r = known(s.reward, "reward")
    computed = known(r.computed, "computed reward")
    amount = computed if c.amount is None else c.amount
    check_amount(r, amount, computed, c.comment, "amount computed by the rules")
    return [
        RewardAssessed(
            amount=cents(amount), computed=computed, comment=c.comment, at=ctx.now, by=ctx.actor.id
        )
    ]


def approve(s: TipState, c: ApproveReward, ctx: Context) -> list[TipEvent]:
    r = known(s.reward, "reward")
    if ctx.actor.id == known(s.verification, "verification").by:
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
    check_amount(r, amount, r.assessed_amount, c.comment, "assessed amount")
    return [
        RewardApproved(
            amount=cents(amount),
            comment=c.comment,
            claim_due=ctx.policy.add("tip.claim_window", ctx.now),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def pay(s: TipState, c: RecordPayment, ctx: Context) -> list[TipEvent]:
    if _blank(c.reference):
        raise InvalidCommand("give the payment reference", field="reference", rule="reference_required")
    return [RewardPaid(reference=c.reference, at=ctx.now, by=ctx.actor.id)]


def waive(s: TipState, c: WaiveReward, ctx: Context) -> list[TipEvent]:
    if _blank(c.reason):
        raise InvalidCommand("give the reason for waiving", field="reason", rule="reason_required")
    return [RewardWaived(reason=c.reason, at=ctx.now, by=ctx.actor.id)]
