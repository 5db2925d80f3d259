"""`hazardloop daily file | show | region` against the API served over real HTTP (uvicorn on a free port):
a report filed from the command line starts its hazard case, a second one of the day is refused with the
problem's code, and the region's day lists the enterprise that missed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from domain.duties.daily import DailyReportRule
from domain.policy import PolicyRef
from domain.timecalc import CN_TZ
from harness.apptest import App, running_app
from starter.auth import mint_token
from starter.cli import app as cli
from store.daily_reports import record_missed
from store.registry import bind_region
from tests.support.poll import eventually

DAY = date(2026, 11, 26)


@pytest.fixture
async def served(dev_env: Any, db_url: str) -> AsyncIterator[tuple[App, str]]:
    async with running_app(dev_env.client, db_url) as a:
        async with a.engine.begin() as conn:
            for ent in ("ENT-1", "ENT-2"):
                await bind_region(conn, ent, None, "500107")
        a.asgi.state.clock = lambda: datetime(2026, 11, 26, 11, 0, tzinfo=CN_TZ)
        server = uvicorn.Server(uvicorn.Config(a.asgi, host="127.0.0.1", port=0, log_level="warning"))
        task = asyncio.create_task(server.serve())

        async def up() -> bool:
            return bool(server.started)

        await eventually(up, "the API listening")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield a, f"http://127.0.0.1:{port}"
        server.should_exit = True
        await task


async def run(*args: str) -> Any:
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


async def test_file_show_and_region_from_the_command_line(served: tuple[App, str]) -> None:
    app, url = served
    ent = mint_token(app.settings, sub="ent-1", role="enterprise", region="500107", enterprise_id="ENT-1")
    insp = mint_token(app.settings, sub="insp-1", role="inspector", region="500107")
    filed = await run(
        "daily",
        "file",
        "ENT-1",
        "--hazard",
        "安全出口锁闭|unsafe_condition",
        "--token",
        ent,
        "--api-url",
        url,
        "--json",
    )
    assert filed.exit_code == 0, filed.output
    report = json.loads(filed.output)
    assert report["filed"] and not report["late"] and len(report["hazard_ids"]) == 1
    again = await run("daily", "file", "ENT-1", "--nothing-found", "--token", ent, "--api-url", url)
    assert again.exit_code == 1 and "409 conflict" in again.output
    shown = await run("daily", "show", "ENT-1", "--token", ent, "--api-url", url)
    assert shown.exit_code == 0 and "ENT-1 today 2026-11-26: filed" in shown.output

    async with app.engine.begin() as conn:
        await record_missed(
            conn, DailyReportRule(), PolicyRef(id="test-fast", version="1"), DAY, [("ENT-2", "500107")]
        )
    region = await run(
        "daily", "region", "500107", "--day", DAY.isoformat(), "--token", insp, "--api-url", url
    )
    assert region.exit_code == 0, region.output
    assert "MISSED ENT-2" in region.output and "'filed': 1, 'missed': 1" in region.output
