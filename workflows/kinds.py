"""One workflow class per case kind, each the shared loop with its decider."""

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


@workflow.defn(name="IncidentWorkflow")
class IncidentWorkflow(CaseWorkflow):
    """生产安全事故: report → investigation → 批复 → measures → publication → 四不放过 evaluation."""

    decider = get_decider("incident")

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> dict[str, Any]:
        return await self.run_case(inp)


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


WORKFLOW_BY_KIND: dict[str, type[CaseWorkflow]] = {
    "hazard": HazardWorkflow,
    "incident": IncidentWorkflow,
    "tip": TipWorkflow,
}
