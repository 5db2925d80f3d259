"""Every recorded history in tests/histories replays against the current workflow code.

A failure here means a workflow change is not replay-safe: guard it with `workflow.patched` (README,
"Changing workflow code safely"), or start a new workflow type. New paths: `make record-histories`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory

from audit.models import RunHistory
from audit.replay import replay_runs, replay_workflows, workflow_name
from harness.servers import TEST_SEAL_KEY
from runtime.settings import Settings
from runtime.temporal_client import data_converter
from tests.support.ticket_workflow import TicketWorkflow
from workflows.contracts import CaseInput

HISTORIES_DIR = Path(__file__).resolve().parent.parent / "histories"
HISTORIES = sorted(HISTORIES_DIR.glob("*__*.json"))
PASSTHROUGH = ["tests.support.ticket"]


def current_workflows() -> list[type]:
    """The project's workflows (those whose deciders exist) and the test `ticket` workflow."""
    workflows, _ = replay_workflows()
    by_name = {workflow_name(c): c for c in workflows}
    by_name["TicketWorkflow"] = TicketWorkflow
    return list(by_name.values())


def load(path: Path) -> RunHistory:
    history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
    first = history.events[0].workflow_execution_started_event_attributes
    return RunHistory(
        run_id=first.original_execution_run_id,
        workflow_type=first.workflow_type.name,
        source="file",
        history=history,
    )


def test_every_workflow_type_has_recorded_histories() -> None:
    recorded = {p.name.split("__", 1)[0] for p in HISTORIES}
    missing = sorted({workflow_name(c) for c in current_workflows()} - recorded)
    assert not missing, f"no recorded history for {missing}: add scenarios to tests/histories/record.py"


def test_the_ticket_workflow_main_paths_are_recorded() -> None:
    names = {p.stem for p in HISTORIES}
    for scenario in ("happy_path", "deadline_fired", "parent_with_child"):
        assert f"TicketWorkflow__{scenario}" in names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays_against_current_code(path: Path) -> None:
    run = load(path)
    assert path.name.startswith(f"{run.workflow_type}__"), "file name and workflow type disagree"
    report = await replay_runs(
        path.stem,
        [run],
        data_converter(Settings(seal_key=TEST_SEAL_KEY)),
        workflows=current_workflows(),
        passthrough=PASSTHROUGH,
    )
    assert report.ok, f"{path.name} no longer replays: {report.first_divergence}"


async def test_the_deferral_of_a_record_told_faster_than_it_records_is_recorded() -> None:
    """`carry-deferred-updates` (workflows/case.py) has stored runs: one that carried the tellings it was
    told once continue-as-new was suggested, and the next, which applied them first (scenario
    `record_storm_deferred`). Without them the path would replay only in its own test."""
    converter = data_converter(Settings(seal_key=TEST_SEAL_KEY))
    carried = 0
    for path in sorted(HISTORIES_DIR.glob("EnterpriseWorkflow__record_storm_deferred*.json")):
        started = load(path).history.events[0].workflow_execution_started_event_attributes
        (inp,) = await converter.decode(started.input.payloads, [CaseInput])
        assert isinstance(inp, CaseInput)
        carried += len(inp.carried.deferred) if inp.carried else 0
    assert carried > 0
