"""The hazard workflow: the shared case loop (workflows/case.py) with the hazard decider.

One workflow class per module: the sandbox re-imports a workflow's module for every workflow instance it
creates (a new case, a cache eviction, every replay), so the module holds only its own class.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.registry import get_decider

from workflows.case import CaseWorkflow
from workflows.contracts import CaseInput


@workflow.defn(name="HazardWorkflow")
class HazardWorkflow(CaseWorkflow):
    """事故隐患: discovery → grading → (listing, 五落实) → rectification → review → write-off."""

    decider = get_decider("hazard")

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> dict[str, Any]:
        return await self.run_case(inp)
