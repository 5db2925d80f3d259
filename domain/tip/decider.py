"""The tip decider: the shared skeleton (domain/base.py) with the tip's tables, handlers and reads."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from domain.base import CaseDecider, Handler, Reads, on
from domain.decider import (
    ChildCaseUpdated,
    Context,
    DeadlineElapsed,
    KindSpec,
)
from domain.errors import Conflict, DomainError, Forbidden
from domain.tip import children, clocks, decide, evolve, view
from domain.tip.commands import (
    PUBLIC_INTAKE_ACTOR_ID,
    ApproveReward,
    AssessReward,
    ExtendVerification,
    Receive,
    RecordPayment,
    RecordVerification,
    SendFeedback,
    TipCommand,
    Triage,
    WaiveReward,
)
from domain.tip.decide import ROLES, allowed_commands
from domain.tip.events import TipClosed, TipEvent
from domain.tip.notices import tip_notices
from domain.tip.state import RewardStatus, TipState, TipStatus

HANDLERS: dict[str, Handler[TipState, TipEvent]] = dict(
    [
        on(Receive, decide.receive),
        on(Triage, decide.triage),
        on(ExtendVerification, decide.extend),
        on(RecordVerification, decide.verify),
        on(SendFeedback, decide.feedback),
        on(AssessReward, decide.assess),
        on(ApproveReward, decide.approve),
        on(RecordPayment, decide.pay),
        on(WaiveReward, decide.waive),
        on(DeadlineElapsed, clocks.deadline_elapsed),
        on(ChildCaseUpdated, children.child_updated),
    ]
)
"""Each command type's handler."""


class TipDecider(CaseDecider[TipState, TipCommand, TipEvent]):
    """安全生产举报: receive, triage, verify, feed back, reward."""

    def __init__(self) -> None:
        super().__init__(
            kind="tip",
            state=TipState,
            commands=TypeAdapter(TipCommand),
            events=TypeAdapter(TipEvent),
            creation="receive",
            roles=ROLES,
            handlers=HANDLERS,
            reads=Reads(
                evolve=evolve.evolve,
                deadlines=clocks.deadlines,
                index=view.index,
                view=view.view,
                summary=view.summary,
                notices=tip_notices,
                children=children.children,
            ),
        )

    # ---- the skeleton's hooks --------------------------------------------------------------------------

    def allowed(self, s: TipState) -> list[str]:
        return allowed_commands(s)

    def scope(self, s: TipState, c: TipCommand) -> tuple[str, str | None]:
        # no enterprise scope: the target enterprise never acts on (or reads) a tip about itself
        return (c.region if isinstance(c, Receive) else s.region), None

    def check_actor(self, s: TipState, c: TipCommand, ctx: Context) -> None:
        if ctx.actor.id == PUBLIC_INTAKE_ACTOR_ID and c.type != "receive":
            raise Forbidden(
                "the public intake only receives tips; officers handle them", rule="public_intake_only"
            )
        super().check_actor(s, c, ctx)

    def conflict(self, s: TipState, command: str) -> DomainError | None:
        if command == "send_feedback" and s.feedback is not None:
            return Conflict(f"feedback was already sent to the reporter at {s.feedback.at.isoformat()}")
        return None

    def nothing(self, s: TipState) -> str:
        return "nothing (the tip is closed)"

    def settle(self, s: TipState, events: list[TipEvent], ctx: Context) -> list[TipEvent]:
        """Append `tip_closed` when these events leave nothing to do: feedback given, reward settled."""
        if not events:
            return events
        after = s
        for e in events:
            after = evolve.evolve(after, e)
        reason = _closure_reason(after)
        if reason is None:
            return events
        return [*events, TipClosed(reason=reason, at=ctx.now)]

    def public_status(self, s: TipState) -> dict[str, Any]:
        return view.public_status(s)


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


TIP = TipDecider()

TIP_KIND = KindSpec(
    name=TIP.kind,
    label_zh="举报",
    plural="tips",
    id_prefix="TP",
    workflow_type="TipWorkflow",
    creation=TIP.creation,
    decider=TIP,
    commands=TipCommand,
    events=TipEvent,
)
