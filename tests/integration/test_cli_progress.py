"""Long CLI jobs show a progress bar on a terminal and nothing else anywhere else (issue #20,
"Packaging and reproducibility"): `hazardloop projections rebuild` run as a process on a pseudo-terminal
and on pipes, against the real PostgreSQL with events written through the API."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from harness.apptest import App, running_app
from starter.progress import progress_bar
from store.schema import events

CLI = str(Path(sys.executable).parent / "hazardloop")
SELF_REPORTED = {"source": "self_inspection", "category": "unsafe_condition"}


@pytest.fixture
async def app(dev_env: Any, db_url: str) -> AsyncIterator[App]:
    async with running_app(dev_env.client, db_url) as a:
        yield a


def env(app: App, tmp: Path) -> dict[str, str]:
    url = app.engine.url.render_as_string(hide_password=False)
    return {**os.environ, "HAZARDLOOP_DATABASE_URL": url, "HAZARDLOOP_DATA_DIR": str(tmp), "COLUMNS": "120"}


def on_a_terminal(args: list[str], environ: dict[str, str]) -> tuple[int, str]:
    """Run with stdin, stdout and stderr on a pseudo-terminal; everything it wrote and its exit code."""
    master, slave = os.openpty()
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=environ)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(timeout=120), out.decode(errors="replace")


async def test_rebuild_shows_a_bar_on_a_terminal_and_none_on_pipes(app: App, tmp_path: Path) -> None:
    ent = app.token("ent-1", "enterprise", "500107", "ENT-BAR")
    for i in range(3):
        body = {"title": f"隐患 {i}", "enterprise_id": "ENT-BAR", "region": "500107"} | SELF_REPORTED
        r = await app.http.post("/v1/hazards", json=body, headers=ent)
        assert r.status_code == 201, r.text
    async with app.engine.connect() as conn:
        n = (await conn.execute(select(func.count()).select_from(events))).scalar_one()
    assert n >= 3

    code, shown = await asyncio.to_thread(on_a_terminal, [CLI, "projections", "rebuild"], env(app, tmp_path))
    assert code == 0, shown
    read = re.search(r"events: (\d+)", shown)  # the workflows may have added one since the count
    assert read and int(read.group(1)) >= n, shown
    total = read.group(1)
    assert "rebuilding" in shown and f"{total}/{total}" in shown, shown  # the bar, complete

    piped = await asyncio.to_thread(
        subprocess.run,
        [CLI, "projections", "rebuild", "--json"],
        env=env(app, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["events"] >= n  # machine output alone
    assert "rebuilding" not in piped.stdout + piped.stderr


def test_a_bar_off_a_terminal_does_nothing() -> None:
    with progress_bar("x") as bar:  # pytest captures standard error: not a terminal
        bar.total(3)
        bar.advance()
    assert bar.enabled is False
