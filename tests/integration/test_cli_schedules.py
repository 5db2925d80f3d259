"""`hazardloop schedules ensure` creates the schedules once and is idempotent on a second run."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from activities.archive import SCHEDULE_ID
from domain.timecalc import CN_TZ
from runtime.settings import get_settings
from starter.cli import app
from starter.schedules import report_schedules

DAILY_SWEEP = "hazardloop-daily-report-sweep"


@pytest.fixture
def cli_env(dev_env, monkeypatch, tmp_path):
    monkeypatch.setenv("HAZARDLOOP_TEMPORAL_ADDRESS", dev_env.client.service_client.config.target_host)
    monkeypatch.setenv("HAZARDLOOP_TEMPORAL_TASK_QUEUE", "schedules-cli-test")
    monkeypatch.setenv("HAZARDLOOP_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield dev_env
    get_settings.cache_clear()


async def test_schedules_ensure_twice_leaves_one_schedule(cli_env) -> None:
    runner = CliRunner()
    for _ in range(2):
        result = await asyncio.to_thread(runner.invoke, app, ["schedules", "ensure", "--json"])
        assert result.exit_code == 0, result.output
        ids = json.loads(result.output)["schedules"]
        assert ids == [SCHEDULE_ID, *report_schedules("q"), DAILY_SWEEP]
    sweep = await cli_env.client.get_schedule_handle(DAILY_SWEEP).describe()
    for t in sweep.info.next_action_times[:3]:  # the daily reports fall due at 15:00 Asia/Shanghai
        assert (t.astimezone(CN_TZ).hour, t.astimezone(CN_TZ).minute) == (15, 0)
    desc = await cli_env.client.get_schedule_handle(SCHEDULE_ID).describe()
    assert desc.schedule.action.task_queue == "schedules-cli-test"  # type: ignore[attr-defined]
    listed = [s.id async for s in await cli_env.client.list_schedules()]
    for sid in ids:
        assert listed.count(sid) == 1
        await cli_env.client.get_schedule_handle(sid).delete()
