"""Folding a tip's events into its state."""

from __future__ import annotations

from datetime import datetime
from typing import Any, assert_never

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
from domain.tip.state import (
    ChildRef,
    Extension,
    FeedbackRecord,
    RewardRecord,
    RewardStatus,
    TipState,
    TipStatus,
    TriageRecord,
    VerificationRecord,
)


def evolve(s: TipState, e: TipEvent) -> TipState:
    match e:
        case TipReceived():
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
        case Triaged():
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
        case VerificationExtended():
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
        case VerificationRecorded():
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
        case FeedbackSent():
            return s.model_copy(
                update={
                    "feedback": FeedbackRecord(text=e.text, at=e.at, by=e.by),
                    "lapsed": _without(s.lapsed, "feedback"),
                    "updated_at": e.at,
                }
            )
        case ChildOutcomeRecorded():
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
        case RewardAssessmentOpened():
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
        case RewardNotDue():
            return s.model_copy(
                update={
                    "reward": RewardRecord(status=RewardStatus.not_due, reason=e.reason, decided_at=e.at),
                    "updated_at": e.at,
                }
            )
        case RewardAssessed():
            return _update_reward(
                s,
                e.at,
                assessed_amount=e.amount,
                assessed_by=e.by,
                assessed_at=e.at,
                assess_comment=e.comment,
            )
        case RewardApproved():
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
        case RewardPaid():
            s2 = _update_reward(
                s,
                e.at,
                status=RewardStatus.paid,
                payment_reference=e.reference,
                paid_at=e.at,
                decided_at=e.at,
            )
            return s2.model_copy(update={"status": TipStatus.substantiated})
        case RewardWaived():
            s2 = _update_reward(
                s, e.at, status=RewardStatus.waived, reason=e.reason, unclaimed=e.unclaimed, decided_at=e.at
            )
            return s2.model_copy(
                update={"status": TipStatus.substantiated, "lapsed": _without(s.lapsed, "reward_assessment")}
            )
        case DeadlineMissed():
            lapsed = s.lapsed if e.key in s.lapsed else [*s.lapsed, e.key]
            return s.model_copy(update={"lapsed": lapsed, "updated_at": e.at})
        case TipClosed():
            return s.model_copy(
                update={
                    "status": TipStatus.closed,
                    "closed_at": e.at,
                    "closure_reason": e.reason,
                    "lapsed": [],
                    "updated_at": e.at,
                }
            )
        case _:
            assert_never(e)


def _without(items: list[str], key: str) -> list[str]:
    return [x for x in items if x != key]


def _update_reward(s: TipState, at: datetime, **changes: Any) -> TipState:
    reward = s.reward or RewardRecord(status=RewardStatus.assessing)
    return s.model_copy(update={"reward": reward.model_copy(update=changes), "updated_at": at})
