"""The hazard decider: the shared skeleton (domain/base.py) with the hazard's tables, handlers and reads."""

from __future__ import annotations

from pydantic import TypeAdapter

from domain.base import CaseDecider, Handler, Reads, no_children, on
from domain.decider import (
    ChildCaseUpdated,
    DeadlineElapsed,
    KindSpec,
)
from domain.hazard import clocks, decide, publication, review, view
from domain.hazard.commands import (
    Cancel,
    DecideExtension,
    DecidePlan,
    Grade,
    HazardCommand,
    ImposePenalty,
    LiftStopWork,
    ListForSupervision,
    OrderStopWork,
    PublishListing,
    PublishWriteoff,
    Regrade,
    Reinspect,
    Report,
    ReportProgress,
    RequestExtension,
    Review,
    SubmitAssessment,
    SubmitExplanation,
    SubmitPlan,
    SubmitRectification,
)
from domain.hazard.events import HazardEvent
from domain.hazard.evolve import evolve
from domain.hazard.notices import hazard_notices
from domain.hazard.rules import BY_STATUS, ROLES, allowed_commands
from domain.hazard.state import HazardState

HANDLERS: dict[str, Handler[HazardState, HazardEvent]] = dict(
    [
        on(Report, decide.report),
        on(Grade, decide.grade),
        on(Regrade, decide.regrade),
        on(ListForSupervision, decide.list_for_supervision),
        on(SubmitPlan, decide.submit_plan),
        on(DecidePlan, decide.decide_plan),
        on(ReportProgress, decide.report_progress),
        on(RequestExtension, decide.request_extension),
        on(DecideExtension, decide.decide_extension),
        on(SubmitExplanation, decide.submit_explanation),
        on(SubmitRectification, review.submit_rectification),
        on(SubmitAssessment, review.submit_assessment),
        on(Review, review.review),
        on(ImposePenalty, review.impose_penalty),
        on(Reinspect, review.reinspect),
        on(OrderStopWork, review.order_stop_work),
        on(LiftStopWork, review.lift_stop_work),
        on(PublishListing, publication.publish_listing),
        on(PublishWriteoff, publication.publish_writeoff),
        on(Cancel, review.cancel),
        on(DeadlineElapsed, clocks.deadline_elapsed),
        on(ChildCaseUpdated, no_children),
    ]
)
"""Each command type's handler."""

_WHY_NOT = {
    "decide_extension": "no extension request is pending",
    "request_extension": "an extension request is already pending",
    "submit_explanation": "an explanation is owed only by an overdue hazard, once",
    "lift_stop_work": "no stop-work order is in force",
    "reinspect": "no rectification order has been given yet (grade the hazard first)",
}


class HazardDecider(CaseDecider[HazardState, HazardCommand, HazardEvent]):
    """事故隐患: report, grade, (list, 五落实), rectify, review, write off; enforcement beside it."""

    def __init__(self) -> None:
        super().__init__(
            kind="hazard",
            state=HazardState,
            commands=TypeAdapter(HazardCommand),
            events=TypeAdapter(HazardEvent),
            creation="report",
            roles=ROLES,
            handlers=HANDLERS,
            reads=Reads(
                evolve=evolve,
                deadlines=clocks.deadlines,
                index=view.index,
                view=view.view,
                summary=view.summary,
                notices=hazard_notices,
            ),
        )

    # ---- the skeleton's hooks --------------------------------------------------------------------------

    def allowed(self, s: HazardState) -> list[str]:
        return allowed_commands(s)

    def scope(self, s: HazardState, c: HazardCommand) -> tuple[str, str | None]:
        if isinstance(c, Report):
            return c.region, c.enterprise_id
        return s.region, s.enterprise_id

    def why_not(self, s: HazardState, command: str) -> str:
        if command in BY_STATUS[s.status] and command in _WHY_NOT:
            return f" ({_WHY_NOT[command]})"
        return ""


HAZARD = HazardDecider()

HAZARD_KIND = KindSpec(
    name=HAZARD.kind,
    label_zh="隐患",
    plural="hazards",
    id_prefix="HZ",
    workflow_type="HazardWorkflow",
    creation=HAZARD.creation,
    decider=HAZARD,
    commands=HazardCommand,
    events=HazardEvent,
)
