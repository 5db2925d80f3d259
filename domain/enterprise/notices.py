"""Who the enterprise record tells what: the closure proposal, the listing decision, the 联合惩戒
departments (a listing and its removal), escalations of a late publication or decision."""

from __future__ import annotations

from typing import Any

from domain.decider import Notice
from domain.enterprise.events import (
    ClosureProposed,
    CreditCauseFound,
    CreditListed,
    DeadlineMissed,
    ListingRemoved,
    RemovalRequested,
)
from domain.enterprise.state import EnterpriseState


def enterprise_notices(before: EnterpriseState, e: Any, after: EnterpriseState) -> list[Notice]:
    ent, region = after.enterprise_id, after.region
    data = {"enterprise_id": ent}

    def n(kind: str, role: str, party: str, subject: str, **extra: Any) -> Notice:
        return Notice(
            kind=kind, recipient_role=role, recipient_party=party, subject=subject, data={**data, **extra}
        )

    if isinstance(e, ClosureProposed):
        return [n("closure_proposal", "supervisor", region, e.reason, ground=e.ground)]
    if isinstance(e, CreditCauseFound):
        return [
            n("action_required", "supervisor", region, f"严重失信 listing cause: {e.reason}", cause=e.cause)
        ]
    if isinstance(e, CreditListed):
        subject = f"listed as 安全生产严重失信主体 ({e.decision_no}) until {e.until.isoformat()}"
        return [
            n("credit_listed", "enterprise_responsible", ent, subject, causes=e.causes),
            *(
                n("joint_punishment", f"department:{d}", region, "联合惩戒: " + subject, causes=e.causes)
                for d in e.departments
            ),
        ]
    if isinstance(e, ListingRemoved):
        subject = f"removed from the 严重失信主体名单 ({e.because})"
        return [
            n("credit_removed", "enterprise_responsible", ent, subject),
            *(n("joint_punishment_lifted", f"department:{d}", region, subject) for d in e.departments),
        ]
    if isinstance(e, RemovalRequested):
        return [n("action_required", "supervisor", region, "early removal (信用修复) requested: decide it")]
    if isinstance(e, DeadlineMissed) and e.escalated_to is not None:
        return [n("escalation", "supervisor", e.escalated_to, f"the record's {e.key} is late", key=e.key)]
    return []
