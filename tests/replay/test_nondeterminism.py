"""A non-deterministic change to a workflow is caught: by the Replayer on a recorded history, and by
`hazardloop audit replay` on a live case."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

from audit import replay as audit_replay
from harness.apptest import App
from harness.servers import TEST_SEAL_KEY
from runtime.settings import Settings
from runtime.temporal_client import data_converter
from tests.integration.test_audit import app, cli, cli_env, closed_ticket
from tests.replay.test_replay import HISTORIES_DIR, PASSTHROUGH, load
from worker import workflow_runner

__all__ = ["app", "cli_env"]  # fixtures shared with the integration tests

SUPPORT = Path(__file__).resolve().parent.parent / "support" / "ticket_workflow.py"


@pytest.fixture
def changed_ticket_workflow(tmp_path: Path) -> Iterator[type]:
    """A copy of TicketWorkflow (same workflow name) that sleeps before doing anything: a new timer
    where the recorded histories schedule the `record_events` activity."""
    source = SUPPORT.read_text(encoding="utf-8")
    original = "        return await self.run_case(inp)"
    assert original in source
    changed = source.replace(original, "        await workflow.sleep(1)\n" + original)
    name = f"ticket_workflow_changed_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(changed, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    try:
        module: ModuleType = importlib.import_module(name)
        yield module.TicketWorkflow
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)


async def test_the_replayer_raises_nondeterminism_on_a_recorded_history(
    changed_ticket_workflow: type,
) -> None:
    run = load(HISTORIES_DIR / "TicketWorkflow__happy_path.json")
    replayer = Replayer(
        workflows=[changed_ticket_workflow],
        data_converter=data_converter(Settings(seal_key=TEST_SEAL_KEY)),
        workflow_runner=workflow_runner(PASSTHROUGH),
    )
    with pytest.raises(NondeterminismError):
        await replayer.replay_workflow(run.history)
    report = await audit_replay.replay_runs(
        run.run_id,
        [run],
        data_converter(Settings(seal_key=TEST_SEAL_KEY)),
        workflows=[changed_ticket_workflow],
        passthrough=PASSTHROUGH,
    )
    assert not report.ok and report.runs[0].error_type == "NondeterminismError"
    assert report.first_divergence and "NondeterminismError" in report.first_divergence


async def test_audit_replay_reports_the_divergence(
    app: App, cli_env: None, changed_ticket_workflow: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = await closed_ticket(app)
    assert (await cli("audit", "replay", case_id)).exit_code == 0
    monkeypatch.setitem(audit_replay._EXTRA_WORKFLOWS, "TicketWorkflow", changed_ticket_workflow)
    res = await cli("audit", "replay", case_id)
    assert res.exit_code == 1, res.output
    assert "DIVERGED: NondeterminismError" in res.output and "replay failed" in res.output
    res = await cli("audit", "verify", case_id, "--json")
    assert res.exit_code == 1 and '"check": "replay"' in res.output
