"""The enterprise-record workflow: the shared case loop (workflows/case.py) with the enterprise decider.

Started on demand by the first case of an enterprise that tells it a fact (id `EN-…`, see
domain/enterprise/facts.py); never terminal (continue-as-new carries it on).
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.decider import ChildCaseUpdated
    from domain.registry import get_decider

from workflows.case import CaseWorkflow
from workflows.contracts import CaseInput


@workflow.defn(name="EnterpriseWorkflow")
class EnterpriseWorkflow(CaseWorkflow):
    """企业安全生产记录: the facts of the enterprise's cases, Art. 113 proposals, the credit listing."""

    decider = get_decider("enterprise")

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> dict[str, Any]:
        return await self.run_case(inp)

    @workflow.signal
    async def case_facts(self, update: ChildCaseUpdated) -> None:
        """A case's facts: applied once the record is open (a signal may arrive with its start)."""
        await workflow.wait_condition(lambda: self._created() or self._refusal is not None)
        if self._created():
            await self._child_update(update)
