"""The enterprise-record decider: the shared skeleton (domain/base.py) with the record's tables,
handlers and reads."""

from __future__ import annotations

from pydantic import TypeAdapter

from domain.base import CaseDecider, Handler, Reads, on
from domain.decider import (
    ChildCaseUpdated,
    Context,
    DeadlineElapsed,
    KindSpec,
)
from domain.enterprise import decide, view
from domain.enterprise.commands import (
    DecideListing,
    DecideRemoval,
    EnterpriseCommand,
    OpenRecord,
    RecordPublication,
    RecordRefusal,
    RequestRemoval,
)
from domain.enterprise.events import EnterpriseEvent
from domain.enterprise.evolve import evolve
from domain.enterprise.notices import enterprise_notices
from domain.enterprise.rules import ROLES, allowed_commands
from domain.enterprise.state import EnterpriseState

HANDLERS: dict[str, Handler[EnterpriseState, EnterpriseEvent]] = dict(
    [
        on(OpenRecord, decide.open_record),
        on(RecordRefusal, decide.record_refusal),
        on(DecideListing, decide.decide_listing),
        on(RecordPublication, decide.record_publication),
        on(RequestRemoval, decide.request_removal),
        on(DecideRemoval, decide.decide_removal),
        on(DeadlineElapsed, decide.deadline_elapsed),
        on(ChildCaseUpdated, decide.case_facts),
    ]
)

_WHY_NOT = {
    "record_refusal": "no stop-work order is in force",
    "decide_listing": "no listing cause is pending, or a listing is in force",
    "record_publication": "nothing is waiting to be published",
    "request_removal": "no listing is in force, or a removal request is pending",
    "decide_removal": "no removal request is pending",
}


class EnterpriseDecider(CaseDecider[EnterpriseState, EnterpriseCommand, EnterpriseEvent]):
    """The record of one enterprise: its cases' facts, Art. 113 closure proposals, the credit listing."""

    def __init__(self) -> None:
        super().__init__(
            kind="enterprise",
            state=EnterpriseState,
            commands=TypeAdapter(EnterpriseCommand),
            events=TypeAdapter(EnterpriseEvent),
            creation="open_record",
            roles=ROLES,
            handlers=HANDLERS,
            reads=Reads(
                evolve=evolve,
                deadlines=decide.deadlines,
                index=view.index,
                view=view.view,
                summary=view.summary,
                notices=enterprise_notices,
            ),
        )

    def allowed(self, s: EnterpriseState) -> list[str]:
        return allowed_commands(s)

    def scope(self, s: EnterpriseState, c: EnterpriseCommand) -> tuple[str, str | None]:
        if isinstance(c, OpenRecord):
            return c.region, c.enterprise_id
        return s.region, s.enterprise_id

    def why_not(self, s: EnterpriseState, command: str) -> str:
        return f" ({_WHY_NOT[command]})" if command in _WHY_NOT else ""

    def settle(
        self, s: EnterpriseState, events: list[EnterpriseEvent], ctx: Context
    ) -> list[EnterpriseEvent]:
        if not events:
            return events
        after = s
        for e in events:
            after = evolve(after, e)
        return [*events, *decide.entailed(after, ctx)]


ENTERPRISE = EnterpriseDecider()

ENTERPRISE_KIND = KindSpec(
    name=ENTERPRISE.kind,
    label_zh="企业安全生产记录",
    plural="enterprises",
    id_prefix="EN",
    workflow_type="EnterpriseWorkflow",
    creation=ENTERPRISE.creation,
    decider=ENTERPRISE,
    commands=EnterpriseCommand,
    events=EnterpriseEvent,
)
