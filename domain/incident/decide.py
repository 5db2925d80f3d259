"""Incident commands decided (the package docstring draws the states)."""

from __future__ import annotations

from datetime import datetime

from domain.base import known
from domain.decider import ChildCaseUpdated, Context
from domain.errors import Conflict, Forbidden, InvalidCommand
from domain.incident.commands import (
    ApproveReport,
    Cancel,
    DecideInvestigationExtension,
    ExtendApproval,
    FlagConcealment,
    OpenInvestigation,
    PauseInvestigation,
    Publish,
    RecordEducation,
    RecordSanction,
    RequestInvestigationExtension,
    ResumeInvestigation,
    SubmitEvaluation,
    SubmitReport,
)
from domain.incident.events import (
    ApprovalExtended,
    Cancelled,
    ConcealmentFlagged,
    EducationRecorded,
    EvaluationSubmitted,
    IncidentEvent,
    InvestigationExtensionDecided,
    InvestigationExtensionRequested,
    InvestigationOpened,
    InvestigationPaused,
    InvestigationResumed,
    MeasureUpdated,
    Published,
    ReportApproved,
    ReportSubmitted,
    SanctionRecorded,
)
from domain.incident.grading import (
    Grade,
    one_up,
)
from domain.incident.state import (
    TERMINAL,
    IncidentState,
    Prefill,
)
from domain.jurisdiction import next_level
from domain.policy import PolicyPack
from domain.timecalc import IsoDuration


def duration_days(n: int) -> IsoDuration:
    return IsoDuration(f"P{n}D")


def _approval_key(policy: PolicyPack, grade: Grade) -> IsoDuration:
    table = policy.table("incident.approval_due")
    return IsoDuration(str(table.get(grade.value, table["default"])))


def not_after(ctx: Context, limit: datetime, detail: str, rule: str) -> None:
    """A move accepted until `limit` only."""
    if ctx.now > limit:
        raise Conflict(detail, rule=rule)


def escalating(policy: PolicyPack) -> list[str]:
    """The reporting failures that move the investigation one level up (提级调查), from the pack."""
    entry = policy.values.get("incident.escalate_on")
    return list(entry.value.get("failures", [])) if entry is not None else []


_WHY = {
    "causes_identified": "the report names no causes",
    "responsible_handled": "a sanction is not recorded as executed",
    "measures_implemented": "a corrective measure's hazard case is not closed",
    "people_educated": "no education record",
}


def extend_approval(s: IncidentState, c: ExtendApproval, ctx: Context) -> list[IncidentEvent]:
    """493号令 Art. 32: only an especially major accident's 批复, once, by at most the pack's maximum."""
    due = known(s.approval_due, "approval_due")
    not_after(
        ctx,
        due,
        f"the 批复 was due {due.isoformat()}; an extension is decided before the deadline",
        "extension_before_deadline",
    )
    maximum = IsoDuration(str(ctx.policy.table("incident.approval_due")["especially_major_extension_max"]))
    if ctx.policy.add_iso(duration_days(c.days), due) > ctx.policy.add_iso(maximum, due):
        raise InvalidCommand(
            f"the 批复 of an especially major accident may be extended by at most {maximum.text} (Art. 32)",
            field="days",
            rule="extension_max",
        )
    new_due = ctx.policy.add_iso(duration_days(c.days), due)
    return [ApprovalExtended(days=c.days, reason=c.reason, approval_due=new_due, at=ctx.now, by=ctx.actor.id)]


def open_investigation(s: IncidentState, c: OpenInvestigation, ctx: Context) -> list[IncidentEvent]:
    return [InvestigationOpened(lead_authority=c.lead_authority, team=c.team, at=ctx.now, by=ctx.actor.id)]


def pause_investigation(s: IncidentState, c: PauseInvestigation, ctx: Context) -> list[IncidentEvent]:
    return [InvestigationPaused(reason=c.reason, at=ctx.now, by=ctx.actor.id)]


def resume_investigation(s: IncidentState, c: ResumeInvestigation, ctx: Context) -> list[IncidentEvent]:
    due = known(s.investigation_due, "investigation_due")
    paused = ctx.now - known(known(s.investigation, "investigation").paused_at, "paused_at")
    return [
        InvestigationResumed(
            reason=c.reason,
            paused_seconds=paused.total_seconds(),
            investigation_due=due + paused,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def request_investigation_extension(
    s: IncidentState, c: RequestInvestigationExtension, ctx: Context
) -> list[IncidentEvent]:
    due = known(s.investigation_due, "investigation_due")
    limit = ctx.policy.add("incident.investigation_extension_max", due)
    if ctx.policy.add_iso(duration_days(c.days), due) > limit:
        raise InvalidCommand(
            f"one extension of at most {ctx.policy.raw('incident.investigation_extension_max')} (Art. 29)",
            field="days",
            rule="extension_max",
        )
    return [InvestigationExtensionRequested(days=c.days, reason=c.reason, at=ctx.now, by=ctx.actor.id)]


def decide_investigation_extension(
    s: IncidentState, c: DecideInvestigationExtension, ctx: Context
) -> list[IncidentEvent]:
    due = known(s.investigation_due, "investigation_due")
    days = known(known(s.investigation, "investigation").extension_days, "extension_days")
    new_due = ctx.policy.add_iso(duration_days(days), due) if c.approved else due
    return [
        InvestigationExtensionDecided(
            approved=c.approved, comment=c.comment, investigation_due=new_due, at=ctx.now, by=ctx.actor.id
        )
    ]


def submit_report(s: IncidentState, c: SubmitReport, ctx: Context) -> list[IncidentEvent]:
    for name in ("causes", "enterprise_responsibility", "regulatory_responsibility"):
        items: list[str] = getattr(c, name)
        if not items or any(not x.strip() for x in items):
            rule = "one_case_two_investigations" if name.endswith("responsibility") else "causes_required"
            raise InvalidCommand(
                f"the report must name {name.replace('_', ' ')}"
                + (
                    " (一案双查: both the enterprise's and the regulators')"
                    if name.endswith("responsibility")
                    else ""
                ),
                field=name,
                rule=rule,
            )
    for i, m in enumerate(c.measures):
        if m.deadline <= ctx.now:
            raise InvalidCommand(
                "a measure's deadline must lie in the future",
                field=f"measures.{i}.deadline",
                rule="future_deadline",
            )
    grade = known(s.grade, "grade")
    return [
        ReportSubmitted(
            causes=c.causes,
            enterprise_responsibility=c.enterprise_responsibility,
            regulatory_responsibility=c.regulatory_responsibility,
            sanctions=c.sanctions,
            measures=c.measures,
            approval_due=ctx.policy.add_iso(_approval_key(ctx.policy, grade), ctx.now),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def approve_report(s: IncidentState, c: ApproveReport, ctx: Context) -> list[IncidentEvent]:
    if not c.approved:
        if not c.comment.strip():
            raise InvalidCommand("say what the report lacks", field="comment", rule="reason_required")
        return [ReportApproved(approved=False, comment=c.comment, at=ctx.now, by=ctx.actor.id)]
    if s.report is not None and ctx.actor.id == s.report.submitted_by:
        raise Forbidden(
            "separation of duties: who submitted the report does not approve it",
            rule="separation_of_duties",
        )
    return [
        ReportApproved(
            approved=True,
            comment=c.comment,
            publication_due=ctx.policy.add("incident.publication_due", ctx.now),
            evaluation_opens_at=ctx.policy.add("incident.evaluation_opens", ctx.now),
            evaluation_deadline=ctx.policy.add("incident.evaluation_deadline", ctx.now),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def record_sanction(s: IncidentState, c: RecordSanction, ctx: Context) -> list[IncidentEvent]:
    if c.index >= len(s.sanctions):
        raise InvalidCommand(
            f"the report lists {len(s.sanctions)} sanctions (index 0..{len(s.sanctions) - 1})",
            field="index",
            rule="sanction_index",
        )
    return [SanctionRecorded(index=c.index, executed=c.executed, note=c.note, at=ctx.now, by=ctx.actor.id)]


def publish(s: IncidentState, c: Publish, ctx: Context) -> list[IncidentEvent]:
    return [Published(uri=c.uri, copied_to=c.copied_to, at=ctx.now, by=ctx.actor.id)]


def record_education(s: IncidentState, c: RecordEducation, ctx: Context) -> list[IncidentEvent]:
    return [EducationRecorded(note=c.note, attendees=c.attendees, at=ctx.now, by=ctx.actor.id)]


def submit_evaluation(s: IncidentState, c: SubmitEvaluation, ctx: Context) -> list[IncidentEvent]:
    on_file = prefill(s)
    findings = Prefill(
        causes_identified=c.causes_identified,
        responsible_handled=c.responsible_handled,
        measures_implemented=c.measures_implemented,
        people_educated=c.people_educated,
    )
    for name, value in findings.model_dump().items():
        if value and not getattr(on_file, name):
            raise InvalidCommand(
                f"{name} cannot hold: the case file says otherwise ({_WHY[name]})",
                field=name,
                rule="contradicts_record",
            )
    passed = all(findings.model_dump().values())
    return [
        EvaluationSubmitted(
            findings=findings,
            prefill=on_file,
            report_uri=c.report_uri,
            comment=c.comment,
            passed=passed,
            next_due=None if passed else ctx.policy.add("incident.evaluation_duration", ctx.now),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def flag_concealment(s: IncidentState, c: FlagConcealment, ctx: Context) -> list[IncidentEvent]:
    return [
        ConcealmentFlagged(
            source=c.source,
            note=c.note,
            investigating_level=one_up(known(s.investigating_level, "investigating_level")),
            supervised_by=next_level(ctx.policy, s.region),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def cancel(s: IncidentState, c: Cancel, ctx: Context) -> list[IncidentEvent]:
    if not c.reason.strip():
        raise InvalidCommand("say why the incident is cancelled", field="reason", rule="reason_required")
    return [Cancelled(reason=c.reason, at=ctx.now, by=ctx.actor.id)]


def prefill(s: IncidentState) -> Prefill:
    """What the system knows of the four checks (四不放过)."""
    return Prefill(
        causes_identified=bool(s.report and s.report.causes),
        responsible_handled=all(x.executed for x in s.sanctions),
        measures_implemented=all(m.status == "closed" for m in s.measures),
        people_educated=bool(s.education),
    )


def child_updated(s: IncidentState, c: ChildCaseUpdated, ctx: Context) -> list[IncidentEvent]:
    if not c.ref.startswith("m") or not c.ref[1:].isdigit():
        return []
    i = int(c.ref[1:]) - 1
    if not 0 <= i < len(s.measures) or s.status in TERMINAL:
        return []
    status = str(c.summary.get("status", "unknown"))
    m = s.measures[i]
    if m.status == status and m.hazard_id == c.child_id:
        return []
    return [MeasureUpdated(index=i, hazard_id=c.child_id, status=status, at=ctx.now, by=ctx.actor.id)]
