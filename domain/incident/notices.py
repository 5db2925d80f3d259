"""Who is told what when an incident event happens, and the child cases it starts (its corrective
measures, as hazards)."""

from __future__ import annotations

from datetime import datetime

from domain.actors import parent_region
from domain.decider import ChildSpec, Notice, Subject
from domain.incident.events import (
    ConcealmentFlagged,
    DeadlineMissed,
    EvaluationOpened,
    EvaluationSubmitted,
    IncidentEvent,
    IncidentReported,
    ReportApproved,
    ReportSubmitted,
    Supplemented,
)
from domain.incident.rules import authority
from domain.incident.state import (
    IncidentState,
)

VIA_ZH = {"inspection": "执法检查", "hospital": "医院", "police": "公安", "tip": "举报", "other": "其他途径"}
GRADE_ZH = {
    "general": "一般事故",
    "larger": "较大事故",
    "major": "重大事故",
    "especially_major": "特别重大事故",
}
CLOCK_ZH = {
    "written_report": "书面报告",
    "investigation": "事故调查",
    "approval": "批复",
    "publication": "处理情况公布",
    "evaluation": "四不放过评估",
}


def incident_notices(before: IncidentState, e: IncidentEvent, after: IncidentState) -> list[Notice]:
    region, ent = after.region, after.enterprise_id
    data = {
        "grade": after.grade.value if after.grade else None,
        "status": after.status.value,
        "deaths": after.deaths,
    }

    def n(kind: str, role: str, party: str, subject: Subject, due: datetime | None = None) -> Notice:
        return Notice(
            kind=kind,
            recipient_role=role,
            recipient_party=party,
            due_at=due,
            subject=subject[0],
            data={**data, "subject_en": subject[1]},
        )

    auth = authority(after) if after.investigating_level else region
    if isinstance(e, IncidentReported):
        out = [
            n(
                "incident_reported",
                "supervisor",
                region,
                ("生产安全事故报告", "production safety accident reported"),
            )
        ]
        out += [
            n(
                "incident_reported",
                "supervisor",
                st.region,
                ("事故逐级上报(第十条)", "accident report (onward, Art. 10)"),
                st.due_at,
            )
            for st in e.route
        ]
        if e.late_report:
            out.append(
                n(
                    "late_report",
                    "supervisor",
                    parent_region(region),
                    ("迟报:事故未按时报告", "迟报: the accident was reported late"),
                )
            )
        via = e.reported_via.value
        if e.omitted and not e.concealed:
            out.append(
                n(
                    "omitted_report",
                    "supervisor",
                    parent_region(region),
                    (
                        f"漏报:事故经{VIA_ZH.get(via, via)}获知,而非企业报告",
                        f"漏报: the accident reached the regulator by {via}, not the enterprise",
                    ),
                )
            )
        if e.concealed:
            out.append(
                n(
                    "listed_for_supervision",
                    "supervisor",
                    parent_region(region),
                    (
                        "发现瞒报:挂牌督办,提级调查",
                        "瞒报 uncovered: listed for supervision, investigation moved up",
                    ),
                )
            )
        return out
    if isinstance(e, Supplemented):
        out = []
        if e.understated and not before.false_report:
            out.append(
                n(
                    "false_report",
                    "supervisor",
                    parent_region(region),
                    ("谎报:首次报告少报了事故情况", "谎报: the first report understated it"),
                )
            )
        if e.grade != before.grade:
            grade = (
                f"续报:事故等级现为{GRADE_ZH.get(e.grade.value, e.grade.value)}",
                f"supplementary report: grade now {e.grade.value}",
            )
            out.append(n("regraded", "supervisor", auth, grade))
        return out
    if isinstance(e, ConcealmentFlagged):
        return [
            n(
                "listed_for_supervision",
                "supervisor",
                e.supervised_by,
                ("瞒报:挂牌督办,提级调查", "瞒报: listed for supervision; 提级调查"),
            )
        ]
    if isinstance(e, ReportSubmitted):
        return [
            n(
                "action_required",
                "supervisor",
                auth,
                ("调查报告已提交:请批复", "investigation report submitted: 批复 due"),
                e.approval_due,
            )
        ]
    if isinstance(e, ReportApproved):
        if not e.approved:
            back = ("调查报告被退回:请补充调查", "report returned: complete the investigation")
            return [n("action_required", "inspector", auth, back)]
        return [
            n(
                "approved",
                "enterprise_responsible",
                ent,
                (
                    "调查报告已批复:请落实整改措施",
                    "investigation report approved (批复): implement the measures",
                ),
            ),
            n(
                "publication_due",
                "supervisor",
                region,
                ("请公布事故处理情况,抄送区综合执法局", "publish the handling, copy the 区综合执法局"),
                e.publication_due,
            ),
        ]
    if isinstance(e, EvaluationOpened):
        window = ("四不放过评估开始", "四不放过 evaluation window open")
        return [n("action_required", "supervisor", auth, window, e.due_at)]
    if isinstance(e, EvaluationSubmitted):
        if e.passed:
            passed = ("四不放过评估通过:结案", "四不放过 evaluation passed: case closed")
            return [n("closed", "supervisor", region, passed)]
        return [
            n(
                "accountability",
                "supervisor",
                parent_region(auth),
                ("四不放过评估未通过:追责", "四不放过 evaluation failed: accountability"),
                e.next_due,
            ),
            n(
                "accountability",
                "enterprise_responsible",
                ent,
                ("仍有未落实事项:将再次评估", "open items remain: the evaluation repeats"),
                e.next_due,
            ),
        ]
    if isinstance(e, DeadlineMissed):
        clock = "逐级上报" if e.key.startswith("onward:") else CLOCK_ZH.get(e.key.split(":")[0], "办理")
        missed = (f"{clock}时限已过", f"{e.key} deadline missed")
        return [n("escalation", "supervisor", e.escalated_to, missed)]
    return []


def children(before: IncidentState, e: IncidentEvent, after: IncidentState) -> list[ChildSpec]:
    if not isinstance(e, ReportApproved) or not e.approved:
        return []
    origin = after.id
    return [
        ChildSpec(
            kind="hazard",
            case_id=f"{origin}-m{i}",
            ref=f"m{i}",
            command={
                "type": "report",
                "title": m.title,
                "description": f"incident {origin} corrective measure {i}",
                "enterprise_id": m.owner_enterprise_id,
                "region": after.region,
                "industry": "",
                "location": "",
                "source": "incident",
                "category": "management_defect",
                "origin": {"kind": "incident", "case_id": origin, "ref": f"m{i}"},
                "level": "general",
                "deadline": m.deadline.isoformat(),
            },
        )
        for i, m in enumerate(after.measures, start=1)
    ]
