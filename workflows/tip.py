"""The tip workflow: the shared case loop (workflows/case.py) with the tip decider.

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


@workflow.defn(name="TipWorkflow")
class TipWorkflow(CaseWorkflow):
    """安全生产举报: intake → verification → action → reward."""

    decider = get_decider("tip")

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> dict[str, Any]:
        return await self.run_case(inp)
