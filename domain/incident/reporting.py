"""Incident reporting decided: the first report (迟报, 漏报 and the 30-minute phone report), supplements,
the report routed up level by level, the written report after a phone report (the package docstring
draws the states; the other commands are in domain/incident/decide.py)."""

from __future__ import annotations

from datetime import datetime

from domain.actors import Role
from domain.base import known
from domain.decider import Context
from domain.errors import Forbidden, InvalidCommand
from domain.incident.commands import (
    AcknowledgeReport,
    FileWrittenReport,
    IncidentType,
    Report,
    ReportedVia,
    Supplement,
)
from domain.incident.decide import escalating, not_after  # shared helpers
from domain.incident.events import (
    IncidentEvent,
    IncidentReported,
    ReportAcknowledged,
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
    IncidentState,
    Step,
)
from domain.jurisdiction import incident_tree, next_level
from domain.policy import PolicyPack
from domain.timecalc import IsoDuration


def _supplement_until(policy: PolicyPack, kind: IncidentType, occurred_at: datetime) -> datetime:
    table = policy.table("incident.supplement_window")
    return policy.add_iso(IsoDuration(str(table.get(kind.value, table["default"]))), occurred_at)


def _steps(policy: PolicyPack, region: str, grade: Grade, start: datetime, skip: set[str]) -> list[Step]:
    """The onward reporting route: each level up within `incident.level_report_due` of the one below."""
    out, due = [], start
    for code in route(region, grade, incident_tree(policy)):
        due = policy.add("incident.level_report_due", due)
        if code not in skip:
            out.append(Step(region=code, due_at=due))
    return out


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
    if c.concealed or (omitted and "omitted" in escalating(ctx.policy)):
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
            tree=incident_tree(ctx.policy),
            at=ctx.now,
            by=ctx.actor.id,
        )
    ]


def supplement(s: IncidentState, c: Supplement, ctx: Context) -> list[IncidentEvent]:
    until = known(s.supplement_until, "supplement_until")
    not_after(
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
    if understated and not s.false_report and "false_report" in escalating(ctx.policy):
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
