"""The incident decider: decide, evolve, deadlines — pure, no I/O (DOMAIN.md §2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.access import check_acts, check_files
from domain.actors import Role, parent_region
from domain.decider import CaseIndex, ChildCaseUpdated, ChildSpec, Context, Deadline, DeadlineElapsed, Notice
from domain.errors import Conflict, Forbidden, InvalidCommand, NotAllowedInState
from domain.incident.grading import (
    INVESTIGATED_BY,
    Grade,
    InvestigatingLevel,
    authority_region,
    grade_of,
    higher,
    one_up,
    route,
)
from domain.incident.model import (
    COMMANDS,
    EVENTS,
    TERMINAL,
    AcknowledgeReport,
    ApproveReport,
    Cancel,
    Cancelled,
    ConcealmentFlagged,
    DeadlineMissed,
    DecideInvestigationExtension,
    EducationRecorded,
    Evaluation,
    EvaluationOpened,
    EvaluationSubmitted,
    FlagConcealment,
    IncidentReported,
    IncidentState,
    IncidentType,
    Investigation,
    InvestigationExtensionDecided,
    InvestigationExtensionRequested,
    InvestigationOpened,
    InvestigationPaused,
    InvestigationReport,
    InvestigationResumed,
    Measure,
    MeasureUpdated,
    OpenInvestigation,
    PauseInvestigation,
    Prefill,
    Publish,
    Published,
    RecordEducation,
    RecordSanction,
    Report,
    ReportAcknowledged,
    ReportApproved,
    ReportSubmitted,
    RequestInvestigationExtension,
    ResumeInvestigation,
    Sanction,
    SanctionRecorded,
    Status,
    Step,
    SubmitEvaluation,
    SubmitReport,
    Supplement,
    Supplemented,
)
from domain.policy import PolicyPack
from domain.timecalc import IsoDuration

E, INS, S, OP, SYS = Role.enterprise, Role.inspector, Role.supervisor, Role.operator, Role.system

ROLES: dict[str, frozenset[Role]] = {
    "report": frozenset({E, INS, S, OP, SYS}),
    "supplement": frozenset({E, INS, S, OP}),
    "acknowledge_report": frozenset({S}),
    "open_investigation": frozenset({INS, S}),
    "pause_investigation": frozenset({INS, S}),
    "resume_investigation": frozenset({INS, S}),
    "request_investigation_extension": frozenset({INS, S}),
    "decide_investigation_extension": frozenset({S}),
    "submit_report": frozenset({INS, S}),
    "approve_report": frozenset({S}),
    "record_sanction": frozenset({INS, S, OP}),
    "publish": frozenset({S, OP}),
    "record_education": frozenset({INS, S, OP, E}),
    "submit_evaluation": frozenset({S}),
    "flag_concealment": frozenset({INS, S, SYS}),
    "cancel": frozenset({S, OP}),
}
# acts of the investigating authority: the actor's jurisdiction must cover the authority's region
AUTHORITY_ACTS = frozenset(
    {
        "open_investigation",
        "pause_investigation",
        "resume_investigation",
        "request_investigation_extension",
        "decide_investigation_extension",
        "submit_report",
        "approve_report",
        "submit_evaluation",
    }
)
_AFTER = ("record_sanction", "publish", "record_education")
_BY_STATUS: dict[Status, tuple[str, ...]] = {
    Status.none: ("report",),
    Status.reported: ("supplement", "acknowledge_report", "open_investigation", "flag_concealment", "cancel"),
    Status.investigating: (
        "supplement",
        "acknowledge_report",
        "pause_investigation",
        "request_investigation_extension",
        "decide_investigation_extension",
        "submit_report",
        "flag_concealment",
        "cancel",
    ),
    Status.appraisal_pause: (
        "supplement",
        "acknowledge_report",
        "resume_investigation",
        "flag_concealment",
        "cancel",
    ),
    Status.awaiting_approval: ("acknowledge_report", "approve_report", "flag_concealment"),
    Status.implementing: ("acknowledge_report", *_AFTER, "flag_concealment"),
    Status.evaluating: ("submit_evaluation", *_AFTER),
    Status.accountability: ("submit_evaluation", *_AFTER),
    Status.closed: (),
    Status.cancelled: (),
}


def allowed_commands(s: IncidentState) -> list[str]:
    out = []
    for c in _BY_STATUS[s.status]:
        inv = s.investigation
        if c == "decide_investigation_extension" and (inv is None or inv.extension_status != "pending"):
            continue
        if c == "request_investigation_extension" and inv is not None and inv.extension_status is not None:
            continue
        if c == "acknowledge_report" and not any(st.acknowledged_at is None for st in s.route):
            continue
        if c == "flag_concealment" and s.concealed:
            continue
        if c == "publish" and s.publication is not None:
            continue
        out.append(c)
    return out


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


class IncidentDecider:
    """生产安全事故: report, grade, investigate, 批复, measures, publish, 四不放过 evaluation."""

    kind = "incident"

    def initial_state(self) -> IncidentState:
        return IncidentState()

    def parse_command(self, data: dict[str, Any]) -> Any:
        return COMMANDS.validate_python(data)

    def parse_event(self, data: dict[str, Any] | str) -> Any:
        return EVENTS.validate_json(data) if isinstance(data, str) else EVENTS.validate_python(data)

    def parse_state(self, data: dict[str, Any]) -> IncidentState:
        return IncidentState.model_validate(data)

    def authority(self, s: IncidentState) -> str:
        return authority_region(s.region, s.investigating_level or InvestigatingLevel.county)

    # ---- decide ---------------------------------------------------------------------------------------

    def decide(self, s: IncidentState, c: Any, ctx: Context) -> list[Any]:
        if isinstance(c, DeadlineElapsed | ChildCaseUpdated):
            if ctx.actor.role != Role.system:
                raise Forbidden(
                    f"{c.type} is a system command: only the system sends it", rule="system_command"
                )
            return self._deadline(s, c, ctx) if isinstance(c, DeadlineElapsed) else self._child(s, c, ctx)
        if isinstance(c, Report):
            if s.status != Status.none:
                self._refuse(s, "report")
            self._check_actor(s, c, ctx, c.region, c.enterprise_id)
            check_files(ctx.actor, c.region, "incident")
            return self._report(c, ctx)
        if s.status == Status.none:
            self._refuse(s, c.type)
        self._check_actor(s, c, ctx, s.region, s.enterprise_id)
        if c.type not in allowed_commands(s):
            self._refuse(s, c.type)
        events: list[Any] = getattr(self, "_" + c.type)(s, c, ctx)
        return events

    def _refuse(self, s: IncidentState, command: str) -> None:
        allowed = allowed_commands(s)
        if command == "flag_concealment" and s.concealed:
            raise Conflict("the concealment is already flagged", rule="duplicate")
        if command == "publish" and s.publication is not None:
            raise Conflict("the handling is already published", rule="duplicate")
        what = ", ".join(allowed) if allowed else f"nothing (the case is {s.status.value})"
        raise NotAllowedInState(
            f"an incident in status {s.status.value} does not accept {command}; it accepts {what}",
            status=s.status.value,
            allowed=allowed,
        )

    def _check_actor(self, s: IncidentState, c: Any, ctx: Context, region: str, enterprise_id: str) -> None:
        actor = ctx.actor
        check_acts(actor, c.type, ROLES[c.type], region, enterprise_id, "incident")
        if actor.role == Role.enterprise:
            return
        if c.type in AUTHORITY_ACTS:
            auth = self.authority(s)
            if not actor.covers(auth):
                raise Forbidden(
                    f"{c.type} is for the investigating authority ({s.investigating_level} level, "
                    f"region {auth}); "
                    f"your jurisdiction {actor.region} is below it",
                    rule="investigating_authority",
                )

    def _report(self, c: Report, ctx: Context) -> list[Any]:
        system = ctx.actor.role == Role.system
        if (c.origin is not None) != system or (c.concealed and not system):
            raise InvalidCommand(
                "origin and concealed are set by the system when a tip uncovers a concealed accident",
                field="origin",
                rule="origin_system_only",
            )
        if c.occurred_at > ctx.now:
            raise InvalidCommand("occurred_at lies in the future", field="occurred_at", rule="not_future")
        thresholds = ctx.policy.table("incident.grade_thresholds")
        grade = grade_of(c.deaths, c.serious_injuries, c.direct_loss, thresholds)
        level = INVESTIGATED_BY[grade]
        if c.concealed:
            level = one_up(level)
        late = ctx.now > ctx.policy.add("incident.report_due", c.occurred_at)
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
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _supplement(self, s: IncidentState, c: Supplement, ctx: Context) -> list[Any]:
        assert s.supplement_until is not None
        if ctx.now > s.supplement_until:
            raise Conflict(
                f"supplementary reports are accepted until {s.supplement_until.isoformat()} (Art. 13)",
                rule="supplement_window",
            )
        grade = grade_of(
            c.deaths, c.serious_injuries, c.direct_loss, ctx.policy.table("incident.grade_thresholds")
        )
        assert s.investigating_level is not None
        level = higher(s.investigating_level, INVESTIGATED_BY[grade])
        known = {st.region for st in s.route}
        return [
            Supplemented(
                deaths=c.deaths,
                serious_injuries=c.serious_injuries,
                direct_loss=c.direct_loss,
                note=c.note,
                grade=grade,
                investigating_level=level,
                new_steps=_steps(ctx.policy, s.region, grade, ctx.now, known),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _acknowledge_report(self, s: IncidentState, c: AcknowledgeReport, ctx: Context) -> list[Any]:
        step = next(
            (st for st in s.route if st.acknowledged_at is None and st.region == ctx.actor.region), None
        )
        if step is None:
            pending = [st.region for st in s.route if st.acknowledged_at is None]
            raise Forbidden(
                f"the report awaits acknowledgement by {', '.join(pending)}, not {ctx.actor.region}",
                rule="reporting_route",
            )
        return [ReportAcknowledged(region=step.region, note=c.note, at=ctx.now, by=ctx.actor.id)]

    def _open_investigation(self, s: IncidentState, c: OpenInvestigation, ctx: Context) -> list[Any]:
        return [
            InvestigationOpened(lead_authority=c.lead_authority, team=c.team, at=ctx.now, by=ctx.actor.id)
        ]

    def _pause_investigation(self, s: IncidentState, c: PauseInvestigation, ctx: Context) -> list[Any]:
        return [InvestigationPaused(reason=c.reason, at=ctx.now, by=ctx.actor.id)]

    def _resume_investigation(self, s: IncidentState, c: ResumeInvestigation, ctx: Context) -> list[Any]:
        inv, due = s.investigation, s.investigation_due
        assert inv is not None and inv.paused_at is not None and due is not None
        paused = ctx.now - inv.paused_at
        return [
            InvestigationResumed(
                reason=c.reason,
                paused_seconds=paused.total_seconds(),
                investigation_due=due + paused,
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _request_investigation_extension(
        self, s: IncidentState, c: RequestInvestigationExtension, ctx: Context
    ) -> list[Any]:
        assert s.investigation_due is not None
        limit = ctx.policy.add("incident.investigation_extension_max", s.investigation_due)
        if ctx.policy.add_iso(_days(c.days), s.investigation_due) > limit:
            raise InvalidCommand(
                "one extension of at most "
                f"{ctx.policy.raw('incident.investigation_extension_max')} (Art. 29)",
                field="days",
                rule="extension_max",
            )
        return [InvestigationExtensionRequested(days=c.days, reason=c.reason, at=ctx.now, by=ctx.actor.id)]

    def _decide_investigation_extension(
        self, s: IncidentState, c: DecideInvestigationExtension, ctx: Context
    ) -> list[Any]:
        inv, due = s.investigation, s.investigation_due
        assert inv is not None and inv.extension_days is not None and due is not None
        new_due = ctx.policy.add_iso(_days(inv.extension_days), due) if c.approved else due
        return [
            InvestigationExtensionDecided(
                approved=c.approved, comment=c.comment, investigation_due=new_due, at=ctx.now, by=ctx.actor.id
            )
        ]

    def _submit_report(self, s: IncidentState, c: SubmitReport, ctx: Context) -> list[Any]:
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
        assert s.grade is not None
        return [
            ReportSubmitted(
                causes=c.causes,
                enterprise_responsibility=c.enterprise_responsibility,
                regulatory_responsibility=c.regulatory_responsibility,
                sanctions=c.sanctions,
                measures=c.measures,
                approval_due=ctx.policy.add_iso(_approval_key(ctx.policy, s.grade), ctx.now),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _approve_report(self, s: IncidentState, c: ApproveReport, ctx: Context) -> list[Any]:
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

    def _record_sanction(self, s: IncidentState, c: RecordSanction, ctx: Context) -> list[Any]:
        if c.index >= len(s.sanctions):
            raise InvalidCommand(
                f"the report lists {len(s.sanctions)} sanctions (index 0..{len(s.sanctions) - 1})",
                field="index",
                rule="sanction_index",
            )
        return [
            SanctionRecorded(index=c.index, executed=c.executed, note=c.note, at=ctx.now, by=ctx.actor.id)
        ]

    def _publish(self, s: IncidentState, c: Publish, ctx: Context) -> list[Any]:
        return [Published(uri=c.uri, copied_to=c.copied_to, at=ctx.now, by=ctx.actor.id)]

    def _record_education(self, s: IncidentState, c: RecordEducation, ctx: Context) -> list[Any]:
        return [EducationRecorded(note=c.note, attendees=c.attendees, at=ctx.now, by=ctx.actor.id)]

    def _submit_evaluation(self, s: IncidentState, c: SubmitEvaluation, ctx: Context) -> list[Any]:
        known = self.prefill(s)
        findings = Prefill(
            causes_identified=c.causes_identified,
            responsible_handled=c.responsible_handled,
            measures_implemented=c.measures_implemented,
            people_educated=c.people_educated,
        )
        for name, value in findings.model_dump().items():
            if value and not getattr(known, name):
                raise InvalidCommand(
                    f"{name} cannot hold: the case file says otherwise ({_WHY[name]})",
                    field=name,
                    rule="contradicts_record",
                )
        passed = all(findings.model_dump().values())
        return [
            EvaluationSubmitted(
                findings=findings,
                prefill=known,
                report_uri=c.report_uri,
                comment=c.comment,
                passed=passed,
                next_due=None if passed else ctx.policy.add("incident.evaluation_duration", ctx.now),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _flag_concealment(self, s: IncidentState, c: FlagConcealment, ctx: Context) -> list[Any]:
        assert s.investigating_level is not None
        return [
            ConcealmentFlagged(
                source=c.source,
                note=c.note,
                investigating_level=one_up(s.investigating_level),
                supervised_by=parent_region(s.region),
                at=ctx.now,
                by=ctx.actor.id,
            )
        ]

    def _cancel(self, s: IncidentState, c: Cancel, ctx: Context) -> list[Any]:
        if not c.reason.strip():
            raise InvalidCommand("say why the incident is cancelled", field="reason", rule="reason_required")
        return [Cancelled(reason=c.reason, at=ctx.now, by=ctx.actor.id)]

    @staticmethod
    def prefill(s: IncidentState) -> Prefill:
        """What the system knows of the four checks (四不放过)."""
        return Prefill(
            causes_identified=bool(s.report and s.report.causes),
            responsible_handled=all(x.executed for x in s.sanctions),
            measures_implemented=all(m.status == "closed" for m in s.measures),
            people_educated=bool(s.education),
        )

    # ---- system commands ------------------------------------------------------------------------------

    def _child(self, s: IncidentState, c: ChildCaseUpdated, ctx: Context) -> list[Any]:
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

    def deadlines(self, s: IncidentState) -> list[Deadline]:
        if s.status in TERMINAL or s.status == Status.none:
            return []
        out = [
            Deadline(key=f"onward:{st.region}", kind="onward_report", due_at=st.due_at)
            for st in s.route
            if st.acknowledged_at is None and not st.missed
        ]
        lapsed = set(s.lapsed)
        if (
            s.status in (Status.reported, Status.investigating)
            and s.investigation_due
            and "investigation" not in lapsed
        ):
            out.append(Deadline(key="investigation", kind="investigation", due_at=s.investigation_due))
        if s.status == Status.awaiting_approval and s.approval_due and "approval" not in lapsed:
            out.append(Deadline(key="approval", kind="approval", due_at=s.approval_due))
        if s.approved_at and s.publication is None and s.publication_due and "publication" not in lapsed:
            out.append(Deadline(key="publication", kind="publication", due_at=s.publication_due))
        ev = s.evaluation
        if s.status == Status.implementing and ev is not None:
            out.append(Deadline(key="evaluation_opens", kind="evaluation_opens", due_at=ev.opens_at))
        if s.status in (Status.evaluating, Status.accountability) and ev and ev.due_at:
            key = f"evaluation:{ev.round}"
            if key not in lapsed:
                out.append(Deadline(key=key, kind="evaluation", due_at=ev.due_at))
        return sorted(out, key=lambda d: (d.due_at, d.key))

    def _deadline(self, s: IncidentState, c: DeadlineElapsed, ctx: Context) -> list[Any]:
        d = {x.key: x for x in self.deadlines(s)}.get(c.key)
        if d is None or d.due_at != c.due_at:
            return []
        now, by = ctx.now, ctx.actor.id
        if d.key == "evaluation_opens":
            assert s.evaluation is not None
            return [EvaluationOpened(prefill=self.prefill(s), due_at=s.evaluation.deadline, at=now, by=by)]
        if d.kind == "onward_report":
            to = d.key.split(":", 1)[1]
        elif d.key == "publication":
            to = parent_region(s.region)
        else:
            to = parent_region(self.authority(s))
        return [DeadlineMissed(key=d.key, due_at=d.due_at, escalated_to=to, at=now, by=by)]

    # ---- evolve ---------------------------------------------------------------------------------------

    def evolve(self, s: IncidentState, e: Any) -> IncidentState:
        u: dict[str, Any] = {"updated_at": e.at}
        if isinstance(e, IncidentReported):
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
                supervised_by=parent_region(e.region) if e.concealed else None,
                origin=e.origin,
                route=e.route,
                investigation_due=e.investigation_due,
                supplement_until=e.supplement_until,
                created_at=e.at,
                updated_at=e.at,
            )
        if isinstance(e, Supplemented):
            u.update(
                deaths=e.deaths,
                serious_injuries=e.serious_injuries,
                direct_loss=e.direct_loss,
                grade=e.grade,
                investigating_level=e.investigating_level,
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
        elif isinstance(e, ReportAcknowledged):
            u["route"] = [
                st.model_copy(update={"acknowledged_at": e.at}) if st.region == e.region else st
                for st in s.route
            ]
        elif isinstance(e, InvestigationOpened):
            u.update(
                status=Status.investigating,
                investigation=Investigation(
                    lead_authority=e.lead_authority, team=e.team, opened_at=e.at, opened_by=e.by
                ),
            )
        elif isinstance(e, InvestigationPaused):
            assert s.investigation is not None
            u.update(
                status=Status.appraisal_pause,
                investigation=s.investigation.model_copy(update={"paused_at": e.at}),
            )
        elif isinstance(e, InvestigationResumed):
            assert s.investigation is not None
            inv = s.investigation
            u.update(
                status=Status.investigating,
                investigation_due=e.investigation_due,
                investigation=inv.model_copy(
                    update={"paused_at": None, "paused_seconds": inv.paused_seconds + e.paused_seconds}
                ),
            )
        elif isinstance(e, InvestigationExtensionRequested):
            assert s.investigation is not None
            u["investigation"] = s.investigation.model_copy(
                update={"extension_days": e.days, "extension_reason": e.reason, "extension_status": "pending"}
            )
        elif isinstance(e, InvestigationExtensionDecided):
            assert s.investigation is not None
            u["investigation"] = s.investigation.model_copy(
                update={"extension_status": "approved" if e.approved else "rejected"}
            )
            u["investigation_due"] = e.investigation_due
            if e.approved:
                u["lapsed"] = [k for k in s.lapsed if k != "investigation"]
        elif isinstance(e, ReportSubmitted):
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
        elif isinstance(e, ReportApproved):
            u["approvals"] = [
                *s.approvals,
                {"at": e.at.isoformat(), "by": e.by, "approved": e.approved, "comment": e.comment},
            ]
            if e.approved:
                assert e.evaluation_opens_at is not None and e.evaluation_deadline is not None
                u.update(
                    status=Status.implementing,
                    approved_at=e.at,
                    publication_due=e.publication_due,
                    evaluation=Evaluation(opens_at=e.evaluation_opens_at, deadline=e.evaluation_deadline),
                    measures=[
                        m.model_copy(update={"hazard_id": f"{s.id}-m{i + 1}"})
                        for i, m in enumerate(s.measures)
                    ],
                )
            else:
                u.update(status=Status.investigating, approval_due=None)
        elif isinstance(e, SanctionRecorded):
            u["sanctions"] = [
                x.model_copy(update={"executed": e.executed, "note": e.note, "recorded_at": e.at})
                if i == e.index
                else x
                for i, x in enumerate(s.sanctions)
            ]
        elif isinstance(e, MeasureUpdated):
            u["measures"] = [
                m.model_copy(update={"status": e.status, "hazard_id": e.hazard_id}) if i == e.index else m
                for i, m in enumerate(s.measures)
            ]
        elif isinstance(e, Published):
            u["publication"] = {"uri": e.uri, "copied_to": e.copied_to, "at": e.at.isoformat(), "by": e.by}
        elif isinstance(e, EducationRecorded):
            u["education"] = [
                *s.education,
                {"note": e.note, "attendees": e.attendees, "at": e.at.isoformat(), "by": e.by},
            ]
        elif isinstance(e, EvaluationOpened):
            assert s.evaluation is not None
            u.update(
                status=Status.evaluating,
                evaluation=s.evaluation.model_copy(
                    update={"prefill": e.prefill, "due_at": e.due_at, "round": 1}
                ),
            )
        elif isinstance(e, EvaluationSubmitted):
            ev = s.evaluation
            assert ev is not None
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
        elif isinstance(e, ConcealmentFlagged):
            u.update(concealed=True, investigating_level=e.investigating_level, supervised_by=e.supervised_by)
        elif isinstance(e, DeadlineMissed):
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
        elif isinstance(e, Cancelled):
            u.update(status=Status.cancelled, cancelled_reason=e.reason, closed_at=e.at)
        return s.model_copy(update=u)

    # ---- read sides -----------------------------------------------------------------------------------

    def index(self, s: IncidentState) -> CaseIndex:
        dl = self.deadlines(s)
        return CaseIndex(
            status=s.status.value,
            level=s.grade.value if s.grade else None,
            region=s.region,
            enterprise_id=s.enterprise_id or None,
            next_due_at=dl[0].due_at if dl else None,
            overdue=s.overdue and s.status not in TERMINAL,
            terminal=s.status in TERMINAL,
        )

    def view(self, s: IncidentState) -> dict[str, Any]:
        data = s.model_dump(mode="json", exclude={"lapsed"})
        data["type"] = data.pop("incident_type")
        data["flags"] = s.flags
        data["investigating_authority"] = self.authority(s) if s.investigating_level else None
        data["deadlines"] = [d.model_dump(mode="json", exclude={"note"}) for d in self.deadlines(s)]
        data["overdue"] = s.overdue and s.status not in TERMINAL
        data["lapsed_clocks"] = list(s.lapsed)
        data["prefill"] = self.prefill(s).model_dump() if s.status != Status.none else None
        data["allowed_commands"] = allowed_commands(s)
        return data

    def summary(self, s: IncidentState) -> dict[str, Any]:
        return {
            "status": s.status.value,
            "terminal": s.status in TERMINAL,
            "grade": s.grade.value if s.grade else None,
            "deaths": s.deaths,
            "concealed": s.concealed,
            "concealed_deaths": s.deaths if s.concealed else 0,
        }

    def notices(self, before: IncidentState, e: Any, after: IncidentState) -> list[Notice]:
        return _notices(self, before, e, after)

    def children(self, before: IncidentState, e: Any, after: IncidentState) -> list[ChildSpec]:
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


_WHY = {
    "causes_identified": "the report names no causes",
    "responsible_handled": "a sanction is not recorded as executed",
    "measures_implemented": "a corrective measure's hazard case is not closed",
    "people_educated": "no education record",
}


def _notices(d: IncidentDecider, before: IncidentState, e: Any, after: IncidentState) -> list[Notice]:
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

    auth = d.authority(after) if after.investigating_level else region
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
    if isinstance(e, Supplemented) and e.grade != before.grade:
        return [n("regraded", "supervisor", auth, f"supplementary report: grade now {e.grade.value}")]
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


INCIDENT = IncidentDecider()
