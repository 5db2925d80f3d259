"""The shared case loop running the test `ticket` decider."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from tests.support.ticket import TICKET

from domain.actors import Actor
from domain.policy import PolicyPack
from workflows.case import CaseWorkflow
from workflows.contracts import CaseInput


@workflow.defn(name="TicketWorkflow")
class TicketWorkflow(CaseWorkflow):
    decider = TICKET  # type: ignore[assignment]
    child_workflows = {"ticket": "TicketWorkflow"}

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> dict[str, Any]:
        return await self.run_case(inp)


def open_ticket(case_id: str, actor: Actor, policy: PolicyPack, title: str, ttl_seconds: int) -> CaseInput:
    """The input of a ticket workflow opened by `actor` in its region, expiring after `ttl_seconds`."""
    return CaseInput(
        case_id=case_id,
        kind="ticket",
        policy=policy,
        actor=actor,
        command={"type": "open", "region": actor.region, "title": title, "ttl_seconds": ttl_seconds},
    )
