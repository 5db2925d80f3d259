"""The incident decider: the shared skeleton (domain/base.py) with the incident's tables, handlers, reads."""

from __future__ import annotations

from pydantic import TypeAdapter

from domain.actors import Role
from domain.base import CaseDecider, Handler, Reads, on
from domain.decider import (
    ChildCaseUpdated,
    Context,
    DeadlineElapsed,
    KindSpec,
)
from domain.errors import Conflict, DomainError, Forbidden
from domain.incident import clocks, decide, notices, reporting, view
from domain.incident.commands import (
    AcknowledgeReport,
    ApproveReport,
    Cancel,
    DecideInvestigationExtension,
    ExtendApproval,
    FileWrittenReport,
    FlagConcealment,
    IncidentCommand,
    OpenInvestigation,
    PauseInvestigation,
    Publish,
    RecordEducation,
    RecordSanction,
    Report,
    RequestInvestigationExtension,
    ResumeInvestigation,
    SubmitEvaluation,
    SubmitReport,
    Supplement,
)
from domain.incident.events import IncidentEvent
from domain.incident.evolve import evolve
from domain.incident.rules import AUTHORITY_ACTS, ROLES, allowed_commands, authority
from domain.incident.state import IncidentState, Prefill

HANDLERS: dict[str, Handler[IncidentState, IncidentEvent]] = dict(
    [
        on(Report, reporting.report),
        on(Supplement, reporting.supplement),
        on(AcknowledgeReport, reporting.acknowledge_report),
        on(FileWrittenReport, reporting.file_written_report),
        on(ExtendApproval, decide.extend_approval),
        on(OpenInvestigation, decide.open_investigation),
        on(PauseInvestigation, decide.pause_investigation),
        on(ResumeInvestigation, decide.resume_investigation),
        on(RequestInvestigationExtension, decide.request_investigation_extension),
        on(DecideInvestigationExtension, decide.decide_investigation_extension),
        on(SubmitReport, decide.submit_report),
        on(ApproveReport, decide.approve_report),
        on(RecordSanction, decide.record_sanction),
        on(Publish, decide.publish),
        on(RecordEducation, decide.record_education),
        on(SubmitEvaluation, decide.submit_evaluation),
        on(FlagConcealment, decide.flag_concealment),
        on(Cancel, decide.cancel),
        on(DeadlineElapsed, clocks.deadline_elapsed),
        on(ChildCaseUpdated, decide.child_updated),
    ]
)
"""Each command type's handler."""


class IncidentDecider(CaseDecider[IncidentState, IncidentCommand, IncidentEvent]):
    """生产安全事故: report, grade, investigate, 批复, measures, publish, 四不放过 evaluation."""

    def __init__(self) -> None:
        super().__init__(
            kind="incident",
            state=IncidentState,
            commands=TypeAdapter(IncidentCommand),
            events=TypeAdapter(IncidentEvent),
            creation="report",
            roles=ROLES,
            handlers=HANDLERS,
            reads=Reads(
                evolve=evolve,
                deadlines=clocks.deadlines,
                index=view.index,
                view=view.view,
                summary=view.summary,
                notices=notices.incident_notices,
                children=notices.children,
            ),
        )

    def authority(self, s: IncidentState) -> str:
        return authority(s)

    @staticmethod
    def prefill(s: IncidentState) -> Prefill:
        """What the system knows of the four checks (四不放过)."""
        return decide.prefill(s)

    # ---- the skeleton's hooks --------------------------------------------------------------------------

    def allowed(self, s: IncidentState) -> list[str]:
        return allowed_commands(s)

    def scope(self, s: IncidentState, c: IncidentCommand) -> tuple[str, str | None]:
        if isinstance(c, Report):
            return c.region, c.enterprise_id
        return s.region, s.enterprise_id

    def check_actor(self, s: IncidentState, c: IncidentCommand, ctx: Context) -> None:
        super().check_actor(s, c, ctx)
        actor = ctx.actor
        if actor.role == Role.enterprise or c.type not in AUTHORITY_ACTS:
            return
        auth = authority(s)
        if not actor.covers(auth):
            raise Forbidden(
                f"{c.type} is for the investigating authority ({s.investigating_level} level, "
                f"region {auth}); "
                f"your jurisdiction {actor.region} is below it",
                rule="investigating_authority",
            )

    def conflict(self, s: IncidentState, command: str) -> DomainError | None:
        if command == "flag_concealment" and s.concealed:
            return Conflict("the concealment is already flagged", rule="duplicate")
        if command == "publish" and s.publication is not None:
            return Conflict("the handling is already published", rule="duplicate")
        return None


INCIDENT = IncidentDecider()

INCIDENT_KIND = KindSpec(
    name=INCIDENT.kind,
    label_zh="事故",
    plural="incidents",
    id_prefix="IN",
    workflow_type="IncidentWorkflow",
    creation=INCIDENT.creation,
    decider=INCIDENT,
    commands=IncidentCommand,
    events=IncidentEvent,
    # the accident's own `type` (fire, mining…) would collide with the command tag `type`
    create_rename={"type": "incident_type"},
)
