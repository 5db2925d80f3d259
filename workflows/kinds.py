"""One workflow class per case kind, each the shared loop with its decider."""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.decider import Decider
    from domain.registry import get_decider

from workflows.case import CaseWorkflow
from workflows.contracts import CaseInput


def _decider(kind: str) -> Decider[Any, Any, Any] | None:
    """The kind's decider, or None while a kind is not installed (its workflow is then not registered)."""
    try:
        return get_decider(kind)
    except KeyError:
        return None


@workflow.defn(name="HazardWorkflow")
class HazardWorkflow(CaseWorkflow):
    """事故隐患: discovery → grading → (listing, 五落实) → rectification → review → write-off."""

    decider = _decider("hazard")  # type: ignore[assignment]

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> dict[str, Any]:
        return await self.run_case(inp)


@workflow.defn(name="IncidentWorkflow")
class IncidentWorkflow(CaseWorkflow):
    """生产安全事故: report → investigation → 批复 → measures → publication → 四不放过 evaluation."""

    decider = _decider("incident")  # type: ignore[assignment]

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> dict[str, Any]:
        return await self.run_case(inp)


@workflow.defn(name="TipWorkflow")
class TipWorkflow(CaseWorkflow):
    """安全生产举报: intake → verification → action → reward."""

    decider = _decider("tip")  # type: ignore[assignment]

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        super().__init__(inp)

    @workflow.run
    async def run(self, inp: CaseInput) -> dict[str, Any]:
        return await self.run_case(inp)


WORKFLOW_BY_KIND: dict[str, type[CaseWorkflow]] = {
    kind: cls
    for kind, cls in (("hazard", HazardWorkflow), ("incident", IncidentWorkflow), ("tip", TipWorkflow))
    if cls.decider is not None
}
