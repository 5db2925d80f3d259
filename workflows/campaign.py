"""The campaign workflow: the shared case loop (workflows/case.py) with the campaign decider.

When the campaign's deadline clock has been recorded (status `deadline_passed`), the workflow reads which
hazards under the campaign are still open (the `campaign_overdue` activity, from the projection) and
records them through the decider as the system's `child_case_updated` (ref `overdue_at_deadline`): from
then on each owes its written explanation, and the list stays what it was at the deadline.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.contracts import CAMPAIGN_OVERDUE, CampaignOverdueInput
    from domain.actors import SYSTEM, Actor
    from domain.campaign import OVERDUE_LISTING, CampaignState
    from domain.decider import ChildCaseUpdated
    from domain.registry import get_decider

from workflows.case import CaseWorkflow
from workflows.contracts import CaseInput, CommandResult

LIST_TIMEOUT = timedelta(seconds=60)
LIST_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))


@workflow.defn(name="CampaignWorkflow")
class CampaignWorkflow(CaseWorkflow):
    """专项行动: launch → (signed reports) → deadline → the open hazards listed → their explanations."""

    decider = get_decider("campaign")

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> dict[str, Any]:
        return await self.run_case(inp)

    async def _apply(
        self, command: Any, actor: Actor, command_id: str | None, decided: list[Any] | None = None
    ) -> CommandResult:
        result = await super()._apply(command, actor, command_id, decided)
        s: CampaignState = self._state
        if s.status == "deadline_passed" and not isinstance(command, ChildCaseUpdated):
            hazards = await workflow.execute_activity(
                CAMPAIGN_OVERDUE,
                CampaignOverdueInput(
                    campaign_id=s.id,
                    regions=s.regions,
                    industries=s.industries,
                    starts_on=s.starts_on,
                    deadline=s.deadline,
                ),
                result_type=list[dict[str, Any]],
                start_to_close_timeout=LIST_TIMEOUT,
                retry_policy=LIST_RETRY,
            )
            listing = ChildCaseUpdated(
                child_id=s.id, child_kind="hazard", ref=OVERDUE_LISTING, summary={"hazards": hazards}
            )
            await super()._apply(listing, SYSTEM, None)
        return result
