"""Who is told what when an incident event happens, and the child cases it starts (its corrective
measures, as hazards)."""

from __future__ import annotations

from datetime import datetime

from domain.actors import parent_region
from domain.decider import ChildSpec, Notice
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


def incident_notices(before: IncidentState, e: IncidentEvent, after: IncidentState) -> list[Notice]:
    region, ent = after.region, after.enterprise_id
    data = {
        "grade": after.grade.value if after.grade else None,
        "status": after.status.value,
        "deaths": after.deaths,
    }

    def n(kind: str, role: str, party: str, subject: str, due: datetime | None = None) -> Notice:
        return Notice(
            kind=kind, recipient_role=role, recipient_party=party, due_at=due, subject=subject, data=data
        )

    auth = authority(after) if after.investigating_level else region
    if isinstance(e, IncidentReported):
        out = [n("incident_reported", "supervisor", region, "production safety accident reported")]
        out += [
            n("incident_reported", "supervisor", st.region, "accident report (onward, Art. 10)", st.due_at)
            for st in e.route
        ]
        if e.late_report:
            out.append(
                n("late_report", "supervisor", parent_region(region), "迟报: the accident was reported late")
            )
        if e.omitted and not e.concealed:
            out.append(
                n(
                    "omitted_report",
                    "supervisor",
                    parent_region(region),
                    f"漏报: the accident reached the regulator by {e.reported_via.value}, not the enterprise",
                )
            )
        if e.concealed:
            out.append(
                n(
                    "listed_for_supervision",
                    "supervisor",
                    parent_region(region),
                    "瞒报 uncovered: listed for supervision, investigation moved up",
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
                    "谎报: the first report understated it",
                )
            )
        if e.grade != before.grade:
            out.append(n("regraded", "supervisor", auth, f"supplementary report: grade now {e.grade.value}"))
        return out
    if isinstance(e, ConcealmentFlagged):
        return [
            n(
                "listed_for_supervision",
                "supervisor",
                e.supervised_by,
                "瞒报: listed for supervision; 提级调查",
            )
        ]
    if isinstance(e, ReportSubmitted):
        return [
            n(
                "action_required",
                "supervisor",
                auth,
                "investigation report submitted: 批复 due",
                e.approval_due,
            )
        ]
    if isinstance(e, ReportApproved):
        if not e.approved:
            return [n("action_required", "inspector", auth, "report returned: complete the investigation")]
        return [
            n(
                "approved",
                "enterprise_responsible",
                ent,
                "investigation report approved (批复): implement the measures",
            ),
            n(
                "publication_due",
                "supervisor",
                region,
                "publish the handling, copy the 区综合执法局",
                e.publication_due,
            ),
        ]
    if isinstance(e, EvaluationOpened):
        return [n("action_required", "supervisor", auth, "四不放过 evaluation window open", e.due_at)]
    if isinstance(e, EvaluationSubmitted):
        if e.passed:
            return [n("closed", "supervisor", region, "四不放过 evaluation passed: case closed")]
        return [
            n(
                "accountability",
                "supervisor",
                parent_region(auth),
                "四不放过 evaluation failed: accountability",
                e.next_due,
            ),
            n(
                "accountability",
                "enterprise_responsible",
                ent,
                "open items remain: the evaluation repeats",
                e.next_due,
            ),
        ]
    if isinstance(e, DeadlineMissed):
        return [n("escalation", "supervisor", e.escalated_to, f"{e.key} deadline missed")]
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
