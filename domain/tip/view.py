"""What a tip shows: the index, the officers' view, the parent's summary, the reporter's status."""

from __future__ import annotations

from typing import Any

from domain.decider import CaseIndex
from domain.tip.clocks import deadlines
from domain.tip.decide import allowed_commands
from domain.tip.state import (
    RewardStatus,
    TipState,
    TipStatus,
)


def index(s: TipState) -> CaseIndex:
    owed = deadlines(s)
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


def view(s: TipState) -> dict[str, Any]:
    """What officers see. There is no reporter identity in the state; the claim token hash stays out."""
    data = s.model_dump(mode="json", exclude={"claim_token_hash", "lapsed"})
    data.update(
        kind="tip",
        duplicate=s.duplicate,
        deadlines=[{"key": d.key, "kind": d.kind, "due_at": d.due_at.isoformat()} for d in deadlines(s)],
        overdue=bool(s.lapsed),
        overdue_clocks=list(s.lapsed),
        waits_for_child=s.waits_for_child,
        allowed_commands=allowed_commands(s),
        created_at=data["received_at"],
    )
    return data


def summary(s: TipState) -> dict[str, Any]:
    r = s.reward
    amount = r.approved_amount if r is not None else None
    return {
        "status": s.status.value,
        "terminal": s.status == TipStatus.closed,
        "reward_amount": None if amount is None else str(amount),
        "paid": r is not None and r.status == RewardStatus.paid,
    }


def public_status(s: TipState) -> dict[str, Any]:
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
