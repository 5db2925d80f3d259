"""Incident commands decided (the package docstring draws the states)."""

from __future__ import annotations

from datetime import datetime

from domain.actors import Role
from domain.base import known
from domain.decider import ChildCaseUpdated, Context
from domain.errors import Conflict, Forbidden, InvalidCommand
from domain.incident.commands import (
    AcknowledgeReport,
    ApproveReport,
    Cancel,
    DecideInvestigationExtension,
    ExtendApproval,
    FileWrittenReport,
    FlagConcealment,
    IncidentType,
    OpenInvestigation,
    PauseInvestigation,
    Publish,
    RecordEducation,
    RecordSanction,
    Report,
    ReportedVia,
    RequestInvestigationExtension,
    ResumeInvestigation,
    SubmitEvaluation,
    SubmitReport,
    Supplement,
)
from domain.incident.events import (
    ApprovalExtended,
    Cancelled,
    ConcealmentFlagged,
    EducationRecorded,
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
from domain.incident.grading import (
    INVESTIGATED_BY,
    Grade,
    grade_of,
    higher,
    one_up,
    route,
)
from domain.incident.state import (
    TERMINAL,
    IncidentState,
    Prefill,
    Step,
)
from domain.jurisdiction import next_level
from domain.policy import PolicyPack
from domain.timecalc import IsoDuration


def _days(n: int) -> IsoDuration:
    return IsoDuration(f"P{n}D")


def _approval_key(policy: PolicyPack, grade: Grade) -> IsoDuration:
    table = policy.table("incident.approval_due")
    return IsoDuration(str(table.get(grade.value, table["default"])))


def _supplement_until(policy: PolicyPack, kind: IncidentType, occurred_at: datetime) -> datetime:
    table = policy.table("incident.supplement_window")
    return policy.add_iso(IsoDuration(str(table.get(kind.value, table["default"]))), occurred_at)


def _steps(policy: PolicyPack, region: str, grade: Grade, start: datetime, skip: set[str]) -> list[Step]:
    """The onward reporting route: each level up within `incident.level_report_due` of the one below."""
    out, due = [], start
    for code in route(region, grade):
        due = policy.add("incident.level_report_due", due)
        if code not in skip:
            out.append(Step(region=code, due_at=due))
    return out


def _not_after(ctx: Context, limit: datetime, detail: str, rule: str) -> None:
    """A move accepted until `limit` only."""
    if ctx.now > limit:
        raise Conflict(detail, rule=rule)


def _escalating(policy: PolicyPack) -> list[str]:
    """The reporting failures that move the investigation one level up (提级调查), from the pack."""
    entry = policy.values.get("incident.escalate_on")
    return list(entry.value.get("failures", [])) if entry is not None else []


def _lateness(policy: PolicyPack, c: Report, now: datetime) -> tuple[bool, datetime | None]:
    """迟报, and when a written report is still owed.

    493号令 Art. 9: the report within `incident.report_due` (1 hour). Where the pack has
    `incident.phone_report_due` (seed 002, 三: 30 minutes by phone, written within 1 hour), the first
    report of either channel is late after 30 minutes, and a phone report owes the written one by 1 hour.
    """
    written_due = policy.add("incident.report_due", c.occurred_at)
    if "incident.phone_report_due" not in policy.values:
        return now > written_due, None
    late = now > policy.add("incident.phone_report_due", c.occurred_at)
    if c.channel == "written":
        return late or now > written_due, None
    return late, written_due


_WHY = {
    "causes_identified": "the report names no causes",
    "responsible_handled": "a sanction is not recorded as executed",
    "measures_implemented": "a corrective measure's hazard case is not closed",
    "people_educated": "no education record",
}


def report(s: IncidentState, c: Report, ctx: Context) -> list[IncidentEvent]:
    system = ctx.actor.role == Role.system
    if (c.origin is not None) != system or (c.concealed and not system):
        raise InvalidCommand(
            "origin and concealed are set by the system when a tip uncovers a concealed accident",
            field="origin",
            rule="origin_system_only",
        )
    if c.occurred_at > ctx.now:
        raise InvalidCommand("occurred_at lies in the future", field="occurred_at", rule="not_future")
    via = ReportedVia.tip if system else c.reported_via
    if ctx.actor.role == Role.enterprise and via != ReportedVia.enterprise:
        raise InvalidCommand(
            "an enterprise reports its own accident: reported_via must be enterprise",
            field="reported_via",
            rule="enterprise_reports_itself",
        )
    omitted = via != ReportedVia.enterprise  # 漏报: the accident reached the regulator another way
    thresholds = ctx.policy.table("incident.grade_thresholds")
    grade = grade_of(c.deaths, c.serious_injuries, c.direct_loss, thresholds)
    level = INVESTIGATED_BY[grade]
    if c.concealed or (omitted and "omitted" in _escalating(ctx.policy)):
        level = one_up(level)
    late, written_due = _lateness(ctx.policy, c, ctx.now)
    return [
        IncidentReported(
            id=ctx.case_id,
            policy=ctx.policy.ref,
            occurred_at=c.occurred_at,
            enterprise_id=c.enterprise_id,
            region=c.region,
            incident_type=c.incident_type,
            deaths=c.deaths,
            serious_injuries=c.serious_injuries,
            direct_loss=c.direct_loss,
            description=c.description,
            grade=grade,
            investigating_level=level,
            late_report=late,
            concealed=c.concealed,
            origin=c.origin,
            route=_steps(ctx.policy, c.region, grade, ctx.now, set()),
            investigation_due=ctx.policy.add("incident.investigation_due", c.occurred_at),
            supplement_until=_supplement_until(ctx.policy, c.incident_type, c.occurred_at),
            reported_via=via,
            omitted=omitted,
            supervised_by=next_level(ctx.policy, c.region) if c.concealed else None,
            written_report_due=written_due,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def supplement(s: IncidentState, c: Supplement, ctx: Context) -> list[IncidentEvent]:
    until = known(s.supplement_until, "supplement_until")
    _not_after(
        ctx,
        until,
        f"supplementary reports are accepted until {until.isoformat()} (Art. 13)",
        "supplement_window",
    )
    grade = grade_of(
        c.deaths, c.serious_injuries, c.direct_loss, ctx.policy.table("incident.grade_thresholds")
    )
    level = higher(known(s.investigating_level, "investigating_level"), INVESTIGATED_BY[grade])
    # 谎报: the later figures show the first report understated the casualties (a death among the
    # injured first reported does not; more people hurt or dead than first reported does)
    understated = s.first_casualties is not None and c.deaths + c.serious_injuries > s.first_casualties
    if understated and not s.false_report and "false_report" in _escalating(ctx.policy):
        level = higher(level, one_up(known(s.investigating_level, "investigating_level")))
    on_route = {st.region for st in s.route}
    return [
        Supplemented(
            deaths=c.deaths,
            serious_injuries=c.serious_injuries,
            direct_loss=c.direct_loss,
            note=c.note,
            grade=grade,
            investigating_level=level,
            new_steps=_steps(ctx.policy, s.region, grade, ctx.now, on_route),
            understated=understated,
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def acknowledge_report(s: IncidentState, c: AcknowledgeReport, ctx: Context) -> list[IncidentEvent]:
    step = next((st for st in s.route if st.acknowledged_at is None and st.region == ctx.actor.region), None)
    if step is None:
        pending = [st.region for st in s.route if st.acknowledged_at is None]
        raise Forbidden(
            f"the report awaits acknowledgement by {', '.join(pending)}, not {ctx.actor.region}",
            rule="reporting_route",
        )
    return [ReportAcknowledged(region=step.region, note=c.note, at=ctx.now, by=ctx.actor.id)]


def file_written_report(s: IncidentState, c: FileWrittenReport, ctx: Context) -> list[IncidentEvent]:
    due = known(s.written_report_due, "written_report_due")
    return [WrittenReportFiled(uri=c.uri, late=ctx.now > due, at=ctx.now, by=ctx.actor.id)]


def extend_approval(s: IncidentState, c: ExtendApproval, ctx: Context) -> list[IncidentEvent]:
    """493号令 Art. 32: only an especially major accident's 批复, once, by at most the pack's maximum."""
    due = known(s.approval_due, "approval_due")
    _not_after(
        ctx,
        due,
        f"the 批复 was due {due.isoformat()}; an extension is decided before the deadline",
        "extension_before_deadline",
    )
    maximum = IsoDuration(str(ctx.policy.table("incident.approval_due")["especially_major_extension_max"]))
    if ctx.policy.add_iso(_days(c.days), due) > ctx.policy.add_iso(maximum, due):
        raise InvalidCommand(
            f"the 批复 of an especially major accident may be extended by at most {maximum.text} (Art. 32)",
            field="days",
            rule="extension_max",
        )
    new_due = ctx.policy.add_iso(_days(c.days), due)
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
    if ctx.policy.add_iso(_days(c.days), due) > limit:
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
    new_due = ctx.policy.add_iso(_days(days), due) if c.approved else due
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
