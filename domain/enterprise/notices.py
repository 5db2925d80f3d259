"""Who the enterprise record tells what: the closure proposal, the listing decision, the 联合惩戒
departments (a listing and its removal), escalations of a late publication or decision."""

from __future__ import annotations

from typing import Any

from domain.decider import Notice, Subject
from domain.enterprise.events import (
    ClosureProposed,
    CreditCauseFound,
    CreditListed,
    DeadlineMissed,
    ListingRemoved,
    RemovalRequested,
)
from domain.enterprise.state import EnterpriseState

KEY_ZH = {
    "publication": "失信名单公示",
    "removal_decision": "信用修复决定",
    "removal_publication": "移出名单公示",
}


def enterprise_notices(before: EnterpriseState, e: Any, after: EnterpriseState) -> list[Notice]:
    ent, region = after.enterprise_id, after.region
    data = {"enterprise_id": ent}

    def n(kind: str, role: str, party: str, subject: Subject, **extra: Any) -> Notice:
        return Notice(
            kind=kind,
            recipient_role=role,
            recipient_party=party,
            subject=subject[0],
            data={**data, **extra, "subject_en": subject[1]},
        )

    if isinstance(e, ClosureProposed):
        closing = (f"提请关闭该生产经营单位(安全生产法第一百一十三条第({e.ground})项)", e.reason)
        return [n("closure_proposal", "supervisor", region, closing, ground=e.ground)]
    if isinstance(e, CreditCauseFound):
        return [
            n(
                "action_required",
                "supervisor",
                region,
                (f"发现列入严重失信主体名单的事由:{e.reason}", f"严重失信 listing cause: {e.reason}"),
                cause=e.cause,
            )
        ]
    if isinstance(e, CreditListed):
        zh = f"已列入安全生产严重失信主体名单({e.decision_no}),至 {e.until.isoformat()}"
        en = f"listed as 安全生产严重失信主体 ({e.decision_no}) until {e.until.isoformat()}"
        joint = ("联合惩戒:" + zh, "联合惩戒: " + en)
        return [
            n("credit_listed", "enterprise_responsible", ent, (zh, en), causes=e.causes),
            *(
                n("joint_punishment", f"department:{d}", region, joint, causes=e.causes)
                for d in e.departments
            ),
        ]
    if isinstance(e, ListingRemoved):
        why = "期满" if e.because == "expired" else "信用修复"
        subject = (f"已移出严重失信主体名单({why})", f"removed from the 严重失信主体名单 ({e.because})")
        return [
            n("credit_removed", "enterprise_responsible", ent, subject),
            *(n("joint_punishment_lifted", f"department:{d}", region, subject) for d in e.departments),
        ]
    if isinstance(e, RemovalRequested):
        return [
            n(
                "action_required",
                "supervisor",
                region,
                ("申请信用修复提前移出:请决定", "early removal (信用修复) requested: decide it"),
            )
        ]
    if isinstance(e, DeadlineMissed) and e.escalated_to is not None:
        late = (f"{KEY_ZH.get(e.key, e.key)}逾期未办", f"the record's {e.key} is late")
        return [n("escalation", "supervisor", e.escalated_to, late, key=e.key)]
    return []
