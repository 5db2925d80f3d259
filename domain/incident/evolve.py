"""Folding an incident's events into its state."""

from __future__ import annotations

from typing import Any, assert_never

from domain.actors import parent_region
from domain.base import known
from domain.incident.events import (
    ApprovalExtended,
    Cancelled,
    ConcealmentFlagged,
    DeadlineMissed,
    EducationRecorded,
    EvaluationOpened,
    EvaluationSubmitted,
    IncidentEvent,
    IncidentReported,
    InvestigationExtensionDecided,
    InvestigationExtensionRequested,
    InvestigationOpened,
    InvestigationPaused,
    InvestigationResumed,
    MeasureUpdated,
    Published,
    ReportAcknowledged,
    ReportApproved,
    ReportSubmitted,
    SanctionRecorded,
    Supplemented,
    WrittenReportFiled,
)
from domain.incident.state import (
    Evaluation,
    IncidentState,
    Investigation,
    InvestigationReport,
    Measure,
    Sanction,
    Status,
)


def evolve(s: IncidentState, e: IncidentEvent) -> IncidentState:
    u: dict[str, Any] = {"updated_at": e.at}
    match e:
        case IncidentReported():
            return IncidentState(
                id=e.id,
                policy=e.policy,
                status=Status.reported,
                occurred_at=e.occurred_at,
                reported_at=e.at,
                reported_by=e.by,
                enterprise_id=e.enterprise_id,
                region=e.region,
                incident_type=e.incident_type,
                deaths=e.deaths,
                serious_injuries=e.serious_injuries,
                direct_loss=e.direct_loss,
                description=e.description,
                grade=e.grade,
                investigating_level=e.investigating_level,
                late_report=e.late_report,
                concealed=e.concealed,
                supervised_by=(e.supervised_by or parent_region(e.region)) if e.concealed else None,
                reported_via=e.reported_via,
                omitted=e.omitted,
                first_casualties=e.deaths + e.serious_injuries,
                written_report_due=e.written_report_due,
                origin=e.origin,
                route=e.route,
                tree=e.tree,
                investigation_due=e.investigation_due,
                supplement_until=e.supplement_until,
                created_at=e.at,
                updated_at=e.at,
            )
        case Supplemented():
            u.update(
                deaths=e.deaths,
                serious_injuries=e.serious_injuries,
                direct_loss=e.direct_loss,
                grade=e.grade,
                investigating_level=e.investigating_level,
                false_report=s.false_report or e.understated,
                route=[*s.route, *e.new_steps],
                supplements=[
                    *s.supplements,
                    {
                        "at": e.at.isoformat(),
                        "by": e.by,
                        "deaths": e.deaths,
                        "serious_injuries": e.serious_injuries,
                        "direct_loss": str(e.direct_loss),
                        "note": e.note,
                        "grade": e.grade.value,
                    },
                ],
            )
        case ReportAcknowledged():
            u["route"] = [
                st.model_copy(update={"acknowledged_at": e.at}) if st.region == e.region else st
                for st in s.route
            ]
        case WrittenReportFiled():
            u.update(written_report_at=e.at, late_report=s.late_report or e.late)
        case ApprovalExtended():
            u.update(approval_due=e.approval_due, approval_extension_days=e.days)
        case InvestigationOpened():
            u.update(
                status=Status.investigating,
                investigation=Investigation(
                    lead_authority=e.lead_authority, team=e.team, opened_at=e.at, opened_by=e.by
                ),
            )
        case InvestigationPaused():
            u.update(
                status=Status.appraisal_pause,
                investigation=known(s.investigation, "investigation").model_copy(update={"paused_at": e.at}),
            )
        case InvestigationResumed():
            inv = known(s.investigation, "investigation")
            u.update(
                status=Status.investigating,
                investigation_due=e.investigation_due,
                investigation=inv.model_copy(
                    update={"paused_at": None, "paused_seconds": inv.paused_seconds + e.paused_seconds}
                ),
            )
        case InvestigationExtensionRequested():
            u["investigation"] = known(s.investigation, "investigation").model_copy(
                update={"extension_days": e.days, "extension_reason": e.reason, "extension_status": "pending"}
            )
        case InvestigationExtensionDecided():
            u["investigation"] = known(s.investigation, "investigation").model_copy(
                update={"extension_status": "approved" if e.approved else "rejected"}
            )
            u["investigation_due"] = e.investigation_due
            if e.approved:
                u["lapsed"] = [k for k in s.lapsed if k != "investigation"]
        case ReportSubmitted():
            u.update(
                status=Status.awaiting_approval,
                report=InvestigationReport(
                    causes=e.causes,
                    enterprise_responsibility=e.enterprise_responsibility,
                    regulatory_responsibility=e.regulatory_responsibility,
                    submitted_at=e.at,
                    submitted_by=e.by,
                ),
                sanctions=[Sanction(target=x.target, measure=x.measure) for x in e.sanctions],
                measures=[
                    Measure(title=m.title, owner_enterprise_id=m.owner_enterprise_id, deadline=m.deadline)
                    for m in e.measures
                ],
                approval_due=e.approval_due,
                lapsed=[k for k in s.lapsed if k != "approval"],
            )
        case ReportApproved():
            u["approvals"] = [
                *s.approvals,
                {"at": e.at.isoformat(), "by": e.by, "approved": e.approved, "comment": e.comment},
            ]
            if e.approved:
                evaluation = Evaluation(
                    opens_at=known(e.evaluation_opens_at, "evaluation_opens_at"),
                    deadline=known(e.evaluation_deadline, "evaluation_deadline"),
                )
                u.update(
                    status=Status.implementing,
                    approved_at=e.at,
                    publication_due=e.publication_due,
                    evaluation=evaluation,
                    measures=[
                        m.model_copy(update={"hazard_id": f"{s.id}-m{i + 1}"})
                        for i, m in enumerate(s.measures)
                    ],
                )
            else:
                u.update(status=Status.investigating, approval_due=None)
        case SanctionRecorded():
            u["sanctions"] = [
                x.model_copy(update={"executed": e.executed, "note": e.note, "recorded_at": e.at})
                if i == e.index
                else x
                for i, x in enumerate(s.sanctions)
            ]
        case MeasureUpdated():
            u["measures"] = [
                m.model_copy(update={"status": e.status, "hazard_id": e.hazard_id}) if i == e.index else m
                for i, m in enumerate(s.measures)
            ]
        case Published():
            u["publication"] = {"uri": e.uri, "copied_to": e.copied_to, "at": e.at.isoformat(), "by": e.by}
        case EducationRecorded():
            u["education"] = [
                *s.education,
                {"note": e.note, "attendees": e.attendees, "at": e.at.isoformat(), "by": e.by},
            ]
        case EvaluationOpened():
            u.update(
                status=Status.evaluating,
                evaluation=known(s.evaluation, "evaluation").model_copy(
                    update={"prefill": e.prefill, "due_at": e.due_at, "round": 1}
                ),
            )
        case EvaluationSubmitted():
            ev = known(s.evaluation, "evaluation")
            record = {
                "round": ev.round,
                "at": e.at.isoformat(),
                "by": e.by,
                "findings": e.findings.model_dump(),
                "prefill": e.prefill.model_dump(),
                "passed": e.passed,
                "report_uri": e.report_uri,
                "comment": e.comment,
            }
            if e.passed:
                u.update(
                    status=Status.closed,
                    closed_at=e.at,
                    evaluation=ev.model_copy(update={"findings": [*ev.findings, record]}),
                )
            else:
                u.update(
                    status=Status.accountability,
                    evaluation=ev.model_copy(
                        update={
                            "findings": [*ev.findings, record],
                            "round": ev.round + 1,
                            "due_at": e.next_due,
                            "prefill": e.prefill,
                        }
                    ),
                )
        case ConcealmentFlagged():
            u.update(concealed=True, investigating_level=e.investigating_level, supervised_by=e.supervised_by)
        case DeadlineMissed():
            u["escalations"] = [
                *s.escalations,
                {
                    "clock": e.key,
                    "due_at": e.due_at.isoformat(),
                    "to": e.escalated_to,
                    "at": e.at.isoformat(),
                },
            ]
            if e.key.startswith("onward:"):
                code = e.key.split(":", 1)[1]
                u["route"] = [
                    st.model_copy(update={"missed": True}) if st.region == code else st for st in s.route
                ]
            else:
                u.update(lapsed=[*s.lapsed, e.key], overdue=True)
                if e.key == "written_report":  # no written report within the hour: 迟报
                    u["late_report"] = True
        case Cancelled():
            u.update(status=Status.cancelled, cancelled_reason=e.reason, closed_at=e.at)
        case _:
            assert_never(e)
    return s.model_copy(update=u)
