"""A tip's child case: the hazard or incident it opens, that case's outcome, and the reward decision
that outcome leads to."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from domain.base import known
from domain.decider import ChildCaseUpdated, ChildSpec, Context
from domain.errors import InvalidCommand
from domain.tip.decide import optional_duration_key
from domain.tip.events import (
    ChildOutcomeRecorded,
    RewardAssessmentOpened,
    RewardNotDue,
    TipEvent,
    VerificationRecorded,
)
from domain.tip.rewards import REWARD_BASE_PARTS, concealed_reward, fine_reward, reward_base, reward_bounds
from domain.tip.state import (
    RewardBasis,
    TipState,
    TipStatus,
)

INCIDENT_TYPE_FIELD = "incident_type"
"""Where a concealed-incident child's report command carries the accident type (`type` of an incident
report body, docs/http-api.md#report-bodies)."""


def child_updated(s: TipState, c: ChildCaseUpdated, ctx: Context) -> list[TipEvent]:
    child = s.child
    if child is None or c.child_id != child.case_id or s.status == TipStatus.closed:
        return []  # not our child, or nothing left to wait for
    summary = c.summary
    status = summary.get("status")
    terminal = bool(summary.get("terminal", False))
    fine = (
        reward_base([_summary_decimal(summary, k) for k in REWARD_BASE_PARTS])
        if child.kind == "hazard"
        else None
    )
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
    events: list[TipEvent] = []
    if (recorded.status, terminal, fine, recorded.grade, deaths) != (
        child.status,
        child.terminal,
        child.fine_total,
        child.grade,
        child.concealed_deaths,
    ):
        events.append(recorded)
    if terminal and s.reward is None:
        events.append(_reward_decision(s, recorded, ctx))
    return events


def _reward_decision(s: TipState, o: ChildOutcomeRecorded, ctx: Context) -> TipEvent:
    if s.duplicate:
        return RewardNotDue(
            reason=f"duplicate of tip {known(s.triage, 'triage').duplicate_of}: only the first reporter of "
            "the same matter is rewarded",
            at=ctx.now,
        )
    if o.status == "cancelled":
        return RewardNotDue(reason=f"the {o.child_kind} case {o.child_id} was cancelled", at=ctx.now)
    due = ctx.policy.add(
        optional_duration_key(ctx.policy, "tip.reward.assessment_due", "tip.feedback_due"), ctx.now
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


def children(before: TipState, e: TipEvent, after: TipState) -> list[ChildSpec]:
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
