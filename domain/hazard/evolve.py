"""Folding a hazard's events into its state."""

from __future__ import annotations

from datetime import datetime
from typing import Any, assert_never

from domain.base import known
from domain.hazard.commands import Level, StopWork
from domain.hazard.events import (
    AssessmentSubmitted,
    Cancelled,
    ClosureProposed,
    DeadlineMissed,
    ExplanationSubmitted,
    ExtensionDecided,
    ExtensionRequested,
    Graded,
    HazardEvent,
    HazardReported,
    Listed,
    ListingPublished,
    PenaltyAccrued,
    PenaltyImposed,
    PlanDecided,
    PlanSubmitted,
    ProgressReported,
    RectificationSubmitted,
    Reinspected,
    ReminderSent,
    Reviewed,
    StopWorkLifted,
    StopWorkOrdered,
    WentOverdue,
    WriteoffPublished,
)
from domain.hazard.state import Clock, Entry, Extension, Fine, HazardState, Listing, Plan, Status


def evolve(s: HazardState, e: HazardEvent) -> HazardState:
    u: dict[str, Any] = {"updated_at": e.at}
    match e:
        case HazardReported():
            return HazardState(
                id=e.id,
                policy=e.policy,
                status=Status.reported,
                title=e.title,
                description=e.description,
                enterprise_id=e.enterprise_id,
                region=e.region,
                industry=e.industry,
                location=e.location,
                source=e.source,
                category=e.category,
                discovered_at=e.discovered_at,
                evidence=e.evidence,
                risk_color=e.risk_color,
                origin=e.origin,
                reported_by=e.by,
                grading_due=e.grading_due,
                created_at=e.at,
                updated_at=e.at,
            )
        case Graded():
            u.update(level=e.level, basis=e.basis or (s.basis if e.level == Level.major else None))
            if e.level == Level.major:
                u.update(
                    status=Status.reported_major,
                    major_report_due=e.major_report_due,
                    deadline=None,
                    reminders=[],
                )
            else:
                u.update(status=Status.rectifying, **_new_deadline(s, e.deadline, e.reminders, e.at))
        case Listed():
            u.update(
                status=Status.listed,
                listing=Listing(
                    authority=e.authority,
                    deadline=e.deadline,
                    requirements=e.requirements,
                    stop_work=e.stop_work,
                    plan_due=e.plan_due,
                    progress_interval=e.progress_interval,
                    listed_at=e.at,
                    listed_by=e.by,
                    max_until=e.max_until,
                ),
                progress_due=e.progress_due,
                publish_due=e.publish_due,
                publication_owed=e.publication_owed,
                stop_work=e.stop_work if e.stop_work != StopWork.none else s.stop_work,
                **_new_deadline(s, e.deadline, e.reminders, e.at),
            )
        case PlanSubmitted():
            u.update(
                status=Status.plan_submitted,
                plan=Plan(
                    responsible=e.responsible,
                    measures=e.measures,
                    funds=e.funds,
                    deadline=e.deadline,
                    contingency_plan=e.contingency_plan,
                    submitted_by=e.by,
                    submitted_at=e.at,
                ),
            )
        case PlanDecided():
            plan = known(s.plan, "plan").model_copy(
                update={
                    "status": "approved" if e.approved else "rejected",
                    "decided_by": e.by,
                    "decided_at": e.at,
                    "comment": e.comment,
                }
            )
            u.update(plan=plan, status=Status.treating if e.approved else Status.listed)
            if not e.approved and s.listing is not None:
                u["listing"] = s.listing.model_copy(update={"plan_due": known(e.plan_due, "plan_due")})
                u["lapsed"] = [k for k in s.lapsed if k != "plan"]
        case ProgressReported():
            entry = Entry(
                at=e.at,
                by=e.by,
                data={"percent": e.percent, "note": e.note, "evidence": [x.model_dump() for x in e.evidence]},
            )
            u.update(progress=[*s.progress, entry], progress_due=e.next_due, progress_overdue=False)
        case ExtensionRequested():
            ext = Extension(
                requested_at=e.at,
                requested_by=e.by,
                previous_deadline=s.deadline,
                new_deadline=e.new_deadline,
                reason=e.reason,
                decision_due=e.decision_due,
            )
            u.update(
                extensions=[*s.extensions, ext], lapsed=[k for k in s.lapsed if k != "extension_decision"]
            )
        case ExtensionDecided():
            last = s.extensions[-1].model_copy(
                update={
                    "status": "approved" if e.approved else "rejected",
                    "decided_at": e.at,
                    "decided_by": e.by,
                    "comment": e.comment,
                }
            )
            u["extensions"] = [*s.extensions[:-1], last]
            if e.approved and e.new_deadline is not None:
                u.update(_new_deadline(s, e.new_deadline, e.reminders, e.at))
        case ExplanationSubmitted():
            u.update(
                explained=True, explanations=[*s.explanations, Entry(at=e.at, by=e.by, data={"text": e.text})]
            )
        case RectificationSubmitted():
            entry = Entry(
                at=e.at,
                by=e.by,
                data={"summary": e.summary, "evidence": [x.model_dump() for x in e.evidence]},
            )
            u.update(rectifications=[*s.rectifications, entry], **_submitted(s, e.review_due))
        case AssessmentSubmitted():
            entry = Entry(
                at=e.at,
                by=e.by,
                data={
                    "assessor": e.assessor,
                    "organization": e.organization,
                    "passed": e.passed,
                    "report_uri": e.report_uri,
                },
            )
            if e.passed:
                u.update(
                    assessment=entry,
                    status=Status.awaiting_review,
                    review_due=e.review_due,
                    lapsed=_drop(s, "review"),
                )
            else:
                u.update(assessment=entry, status=Status.treating)
        case Reviewed():
            entry = Entry(
                at=e.at,
                by=e.by,
                data={
                    "passed": e.passed,
                    "comment": e.comment,
                    "new_deadline": e.new_deadline.isoformat() if e.new_deadline else None,
                },
            )
            u["reviews"] = [*s.reviews, entry]
            if e.passed:
                u.update(
                    status=Status.written_off if e.publication_owed else Status.closed,
                    closed_at=None if e.publication_owed else e.at,
                    stop_work=StopWork.none,
                    reminders=[],
                    review_due=None,
                    publish_due=e.publish_due,
                    penalty=s.penalty.model_copy(update={"accruing": False, "next_accrual_at": None}),
                )
                if s.listing is not None:
                    u["listing"] = s.listing.model_copy(update={"lifted_at": e.at})
            else:
                status = Status.treating if s.status == Status.awaiting_review else Status.rectifying
                u.update(
                    status=status, review_due=None, **_new_deadline(s, e.new_deadline, e.reminders, e.at)
                )
        case PenaltyImposed():
            fine = Fine(
                amount=e.amount,
                decision_no=e.decision_no,
                legal_basis=e.legal_basis,
                confiscated=e.confiscated,
                at=e.at,
                by=e.by,
            )
            u["penalty"] = s.penalty.model_copy(update={"fines": [*s.penalty.fines, fine]})
        case ClosureProposed():
            u["closure_proposed"] = True
        case Reinspected():
            entry = Entry(at=e.at, by=e.by, data={"compliant": e.compliant, "note": e.note})
            u["reinspections"] = [*s.reinspections, entry]
            if e.compliant:
                u["penalty"] = s.penalty.model_copy(update={"accruing": False, "next_accrual_at": None})
                if e.moves_to is not None:
                    rect = Entry(
                        at=e.at,
                        by=e.by,
                        data={"summary": "re-inspection found it corrected: " + e.note, "evidence": []},
                    )
                    u.update(rectifications=[*s.rectifications, rect], **_submitted(s, e.review_due))
            elif e.accrual_base is not None:
                u["penalty"] = s.penalty.model_copy(
                    update={
                        "accruing": True,
                        "accrual_base": e.accrual_base,
                        "days_accrued": e.accrual_days,
                        "accrued_total": e.accrual_base * e.accrual_days,
                        "next_accrual_at": e.next_accrual_at,
                    }
                )
        case PenaltyAccrued():
            p = s.penalty
            u["penalty"] = p.model_copy(
                update={
                    "days_accrued": e.day,
                    "accrued_total": p.accrued_total + e.amount,
                    "next_accrual_at": e.next_accrual_at,
                }
            )
        case StopWorkOrdered():
            u.update(
                stop_work=e.scope,
                stop_work_history=[
                    *s.stop_work_history,
                    Entry(at=e.at, by=e.by, data={"order": e.scope.value, "reason": e.reason}),
                ],
            )
        case StopWorkLifted():
            u.update(
                stop_work=StopWork.none,
                stop_work_history=[
                    *s.stop_work_history,
                    Entry(at=e.at, by=e.by, data={"order": "lifted", "reason": e.reason}),
                ],
            )
        case ReminderSent():
            u["reminders"] = [r for r in s.reminders if r.key != e.key]
        case WentOverdue():
            u.update(
                overdue=True,
                overdue_since=e.at,
                explanation_due=e.explanation_due,
                explained=False,
                reminders=[],
                warning_list=s.warning_list or e.listed,
            )
        case DeadlineMissed():
            u["lapsed"] = [*s.lapsed, e.key] if e.key != "progress" else s.lapsed
            if e.escalated_to is not None:
                u["escalations"] = [
                    *s.escalations,
                    Entry(at=e.at, by=e.by, data={"clock": e.key, "to": e.escalated_to}),
                ]
            if e.key == "explanation":
                u["explanation_due"] = None
            if e.key == "progress":
                u.update(progress_due=e.next_due, progress_overdue=True)
        case ListingPublished():
            u["publication"] = Entry(at=e.at, by=e.by, data={"uri": e.uri, "late": e.late})
        case WriteoffPublished():
            u.update(
                writeoff_publication=Entry(at=e.at, by=e.by, data={"uri": e.uri, "late": e.late}),
                status=Status.closed,
                closed_at=e.at,
                publish_due=None,
            )
        case Cancelled():
            u.update(
                status=Status.cancelled,
                cancelled_reason=e.reason,
                closed_at=e.at,
                reminders=[],
                penalty=s.penalty.model_copy(update={"accruing": False, "next_accrual_at": None}),
            )
        case _:
            assert_never(e)
    provisional = getattr(e, "provisional_years", None)
    if provisional:  # a working-day clock counted a year the calendar lacks: flag it on the case
        u["calendar_provisional"] = sorted({*s.calendar_provisional, *provisional})
    return s.model_copy(update=u)


def _drop(s: HazardState, key: str) -> list[str]:
    return [k for k in s.lapsed if k != key]


def _new_deadline(
    s: HazardState, deadline: datetime | None, reminders: list[Clock], at: datetime
) -> dict[str, Any]:
    """A new rectification/treatment deadline: reminders rearmed, the overdue episode ended, the first
    deadline ever set kept on record, the order time (for daily penalties) kept from the first order."""
    return {
        "deadline": deadline,
        "original_deadline": s.original_deadline or deadline,
        "ordered_at": s.ordered_at or at,
        "reminders": reminders,
        "overdue": False,
        "overdue_since": None,
        "explanation_due": None,
        "explained": False,
        "lapsed": [k for k in s.lapsed if k != "explanation"],
    }


def _submitted(s: HazardState, review_due: datetime | None) -> dict[str, Any]:
    """Rectification reported: general → verifying (review clock); major treating → assessing."""
    if s.status == Status.rectifying:
        return {
            "status": Status.verifying,
            "review_due": review_due,
            "reminders": [],
            "lapsed": _drop(s, "review"),
        }
    return {"status": Status.assessing, "reminders": []}
