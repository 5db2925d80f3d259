"""A real headless Chromium (Debian's package, never a downloaded build) driving the console, served by
uvicorn on a free loopback port from the app that harness/apptest.py builds on the real servers."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from harness.apptest import App, running_app

CHROMIUM = os.environ.get("HAZARDLOOP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
# HAZARDLOOP_SCREENSHOTS=docs/screenshots writes the README's pictures there as well
README_SHOTS = os.environ.get("HAZARDLOOP_SCREENSHOTS")


def _chromium() -> str:
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail(f"chromium not found at {CHROMIUM}: CI must install it (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Console:
    app: App
    base: str
    shots: Path

    async def shot(self, page: object, name: str, *, readme: bool = False) -> Path:
        path = self.shots / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        if README_SHOTS and readme:
            keep = Path(README_SHOTS)
            await asyncio.to_thread(keep.mkdir, parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.copy, path, keep / f"{name}.png")
        return path


@asynccontextmanager
async def served(app: App, port: int | None = None) -> AsyncIterator[Console]:
    """The app behind uvicorn on a loopback port (free unless given), for a real browser."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app.asgi, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield Console(app, f"http://127.0.0.1:{port}", Path(tempfile.mkdtemp(prefix="console-shots-")))
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def console(dev_env, db_url) -> AsyncIterator[Console]:
    # no configured secret: the generated development secret is in use, so the demo sign-in is offered
    async with running_app(dev_env.client, db_url, settings_overrides={"jwt_secret": None}) as app:
        async with served(app) as c:
            yield c


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    path = _chromium()
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            await b.close()
