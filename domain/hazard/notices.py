"""Who must be told what when a hazard event happens (docs/rules.md#hazard-deadlines,
docs/rules.md#notifications).

Recipients are roles or responsibilities of a party: `enterprise_responsible` of an enterprise (its
三个责任人), `inspector` / `supervisor` / `expert` of a region. Escalations go one level up
(`parent_region`). The delivery layer resolves these to people and channels.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.actors import parent_region
from domain.decider import Notice
from domain.decider import Subject as Text
from domain.hazard.commands import Level
from domain.hazard.events import (
    AssessmentSubmitted,
    Cancelled,
    ClosureProposed,
    DeadlineMissed,
    ExtensionDecided,
    ExtensionRequested,
    Graded,
    HazardReported,
    Listed,
    PenaltyImposed,
    PlanDecided,
    PlanSubmitted,
    RectificationSubmitted,
    Reinspected,
    ReminderSent,
    Reviewed,
    StopWorkLifted,
    StopWorkOrdered,
    WentOverdue,
)
from domain.hazard.state import HazardState

ORIGIN_ZH = {"tip": "举报", "incident": "事故"}
STOP_ZH = {"partial": "部分停产", "full": "全部停产"}

_MISSED: dict[str, Text] = {
    "grading": ("隐患未按时定级", "the hazard was not graded in time"),
    "listing": ("重大事故隐患未按时挂牌督办", "the major hazard was not listed for supervision in time"),
    "plan": ("五落实治理方案未按时报送", "the 五落实 plan was not filed in time"),
    "explanation": ("逾期隐患未提交书面说明", "no written explanation (书面说明) of the overdue hazard"),
    "extension_decision": ("延期申请未按时审批", "the extension request was not decided in time"),
    "review": ("监管部门复查/核销逾期", "the regulator's review (复查/核销) is late"),
    "listing_max": ("挂牌督办已达最长期限", "the listing has lasted its maximum duration"),
    "progress": ("治理进度报告逾期", "the progress report is late"),
    "listing_publication": ("挂牌督办信息未按时公布", "the listing was not published in time"),
    "writeoff_publication": ("销号信息未按时公布", "the write-off was not published in time"),
}


def hazard_notices(before: HazardState, e: Any, after: HazardState) -> list[Notice]:
    """What each event tells whom; a working-day clock counted in a year without a holiday table is also
    flagged to the region's supervisors (the date may fall on a holiday: check it)."""
    out = _notices(before, e, after)
    years = getattr(e, "provisional_years", None)
    if years:
        out.append(
            Notice(
                kind="calendar_provisional",
                recipient_role="supervisor",
                recipient_party=after.region,
                subject=f"工作日期限按周一至周五计算({'、'.join(map(str, years))}年):政策包缺少该年度节假日"
                "安排,请核对日期",
                data={
                    "years": years,
                    "event": e.type,
                    "subject_en": f"a working-day deadline counts {', '.join(map(str, years))} Monday–Friday"
                    " only: the policy pack lacks that year's holiday notice; check the date",
                },
            )
        )
    return out


def _notices(before: HazardState, e: Any, after: HazardState) -> list[Notice]:
    ent, region, up = after.enterprise_id, after.region, parent_region(after.region)
    data = {
        "title": after.title,
        "status": after.status.value,
        "level": after.level.value if after.level else None,
    }

    def n(
        kind: str, role: str, party: str, subject: Text, due: datetime | None = None, **extra: Any
    ) -> Notice:
        return Notice(
            kind=kind,
            recipient_role=role,
            recipient_party=party,
            due_at=due,
            subject=subject[0],
            data={**data, **extra, "subject_en": subject[1]},
        )

    def enterprise(kind: str, subject: Text, due: datetime | None = None, **extra: Any) -> Notice:
        return n(kind, "enterprise_responsible", ent, subject, due, **extra)

    if isinstance(e, HazardReported):
        if e.origin is not None:
            return [
                n(
                    "action_required",
                    "inspector",
                    region,
                    (
                        f"由{ORIGIN_ZH.get(e.origin.kind, '')} {e.origin.case_id} 转来的隐患:请定级",
                        f"hazard from {e.origin.kind} {e.origin.case_id}: grade it",
                    ),
                    e.grading_due,
                )
            ]
        return [
            n(
                "action_required",
                "inspector",
                region,
                ("新上报隐患:请定级", "new hazard reported: grade it"),
                e.grading_due,
            )
        ]
    if isinstance(e, Graded):
        if e.level == Level.major:
            return [
                n(
                    "major_hazard",
                    "supervisor",
                    region,
                    ("重大事故隐患:请挂牌督办", "major hazard (重大事故隐患): list it for supervision"),
                    e.major_report_due,
                ),
                enterprise(
                    "major_hazard",
                    (
                        "已判定为重大事故隐患:将挂牌督办,须报送五落实治理方案",
                        "graded as a major hazard: a listing and a 五落实 plan follow",
                    ),
                ),
            ]
        return [
            enterprise(
                "action_required",
                ("请在期限内完成隐患整改", "rectify the hazard by the deadline"),
                e.deadline,
            )
        ]
    if isinstance(e, Listed):
        return [
            enterprise(
                "listed",
                (
                    f"已由{e.authority}挂牌督办:请报送五落实治理方案",
                    f"listed for supervision (挂牌督办) by {e.authority}: file the 五落实 plan",
                ),
                e.plan_due,
                deadline=e.deadline.isoformat(),
                stop_work=e.stop_work.value,
            ),
            n(
                "publication_due",
                "supervisor",
                region,
                ("请公布挂牌督办信息", "publish the listing"),
                e.publish_due,
            ),
        ]
    if isinstance(e, PlanSubmitted):
        return [
            n(
                "action_required",
                "supervisor",
                region,
                ("五落实治理方案已报送:请审批", "五落实 plan submitted: approve or reject it"),
            )
        ]
    if isinstance(e, PlanDecided):
        what: Text = (
            ("治理方案已批准:请实施治理", "plan approved: treat the hazard")
            if e.approved
            else ("治理方案未获批准:请重新报送", "plan rejected: file a new plan")
        )
        return [enterprise("plan_decided", what, e.plan_due, comment=e.comment)]
    if isinstance(e, ExtensionRequested):
        return [
            n(
                "action_required",
                "supervisor",
                region,
                ("隐患整改申请延期:请审批", "extension requested: decide it"),
                e.decision_due,
                new_deadline=e.new_deadline.isoformat(),
            )
        ]
    if isinstance(e, ExtensionDecided):
        decided: Text = (
            ("延期已批准", "extension approved") if e.approved else ("延期未获批准", "extension refused")
        )
        return [enterprise("extension_decided", decided, after.deadline, comment=e.comment)]
    if isinstance(e, RectificationSubmitted):
        if after.level == Level.major:
            return [
                n(
                    "action_required",
                    "expert",
                    region,
                    ("治理已完成:请对重大事故隐患进行评估", "treatment finished: assess the major hazard"),
                )
            ]
        return [
            n(
                "action_required",
                "inspector",
                region,
                ("整改已提交:请复查", "rectification submitted: review it"),
                e.review_due,
            )
        ]
    if isinstance(e, AssessmentSubmitted):
        if e.passed:
            return [
                n(
                    "action_required",
                    "supervisor",
                    region,
                    ("评估已通过:请现场审查并核销", "assessment passed: review on site and write off (核销)"),
                    e.review_due,
                )
            ]
        return [
            enterprise(
                "action_required",
                ("评估未通过:请继续治理", "assessment failed: continue the treatment"),
                after.deadline,
            )
        ]
    if isinstance(e, Reviewed):
        if e.passed:
            notes = [
                enterprise(
                    "closed",
                    ("隐患已销号;已摘牌", "hazard closed (销号); listing lifted (摘牌)")
                    if after.listing
                    else ("隐患已销号", "hazard closed (销号)"),
                )
            ]
            if after.listing is not None:
                notes.append(
                    n(
                        "publication_due",
                        "supervisor",
                        region,
                        ("请公布核销信息", "publish the write-off"),
                        e.publish_due,
                    )
                )
            return notes
        return [
            enterprise(
                "action_required",
                ("复查未通过:请在新期限内重新整改", "review failed: rectify again by the new deadline"),
                e.new_deadline,
                comment=e.comment,
            )
        ]
    if isinstance(e, PenaltyImposed):
        return [
            enterprise(
                "penalty",
                (
                    f"行政处罚决定 {e.decision_no}:罚款 {e.amount} 元",
                    f"penalty decision {e.decision_no}: {e.amount} yuan",
                ),
                amount=str(e.amount),
            )
        ]
    if isinstance(e, ClosureProposed):
        return [
            n(
                "closure_proposal",
                "supervisor",
                region,
                (
                    "提请关闭该生产经营单位(安全生产法第一百一十三条)",
                    "propose closing the enterprise (安全生产法 Art. 113)",
                ),
                reason=e.reason,
            )
        ]
    if isinstance(e, Reinspected) and not e.compliant and e.accrual_base is not None:
        return [
            enterprise(
                "penalty",
                ("复查仍未改正:按日连续处罚", "not corrected: the fine accrues daily (按日连续处罚)"),
                accrual_base=str(e.accrual_base),
            )
        ]
    if isinstance(e, StopWorkOrdered):
        scope = STOP_ZH.get(e.scope.value, e.scope.value)
        order: Text = (f"责令停产停业({scope})", f"stop-work order ({e.scope.value})")
        return [enterprise("stop_work", order, reason=e.reason)]
    if isinstance(e, StopWorkLifted):
        return [enterprise("stop_work", ("已解除停产停业", "stop-work order lifted"), reason=e.reason)]
    if isinstance(e, ReminderSent):
        return [
            enterprise("reminder", ("整改期限即将到期", "the rectification deadline approaches"), e.deadline)
        ]
    if isinstance(e, WentOverdue):
        notes = [
            enterprise(
                "overdue",
                ("隐患已逾期:请提交书面说明", "overdue: submit a written explanation (书面说明)"),
                e.explanation_due,
                deadline=e.deadline.isoformat(),
            ),
            n(
                "overdue",
                "supervisor",
                region,
                ("隐患整改逾期", "hazard overdue"),
                e.explanation_due,
                deadline=e.deadline.isoformat(),
            ),
        ]
        if e.listed:
            notes.append(
                n(
                    "warning_list",
                    "supervisor",
                    up,
                    ("挂牌督办隐患逾期:列入警示曝光", "listed hazard overdue: 警示曝光 warning list"),
                    deadline=e.deadline.isoformat(),
                )
            )
        return notes
    if isinstance(e, DeadlineMissed):
        why = _MISSED.get(e.key, (e.key, e.key))
        if e.escalated_to is None:
            return [
                enterprise("overdue", why, e.next_due),
                n("overdue", "supervisor", region, why, e.next_due),
            ]
        return [n("escalation", "supervisor", e.escalated_to, why, clock=e.key, due_at=e.due_at.isoformat())]
    if isinstance(e, Cancelled):
        return [enterprise("cancelled", ("隐患已撤销", "hazard cancelled"), reason=e.reason)]
    return []
