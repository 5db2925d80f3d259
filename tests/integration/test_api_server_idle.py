"""The API's HTTP server as `hazardloop api` runs it (starter/cli.py api_server) wakes once a second
when idle, not ten times (uvicorn's own loop), still serves a current Date header, and stops at once
on a signal."""

from __future__ import annotations

import asyncio
import signal
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from runtime.settings import Settings
from starter.cli import api_server
from tests.support.poll import eventually


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _true(value: bool) -> bool:
    return value


async def test_the_idle_api_server_ticks_once_a_second_and_stops_at_once() -> None:
    server = api_server(Settings(api_port=0), hello)
    ticks: list[float] = []
    on_tick = server.on_tick

    async def counting(counter: int) -> bool:
        ticks.append(time.monotonic())
        return await on_tick(counter)

    server.on_tick = counting  # type: ignore[method-assign]
    # uvicorn re-raises a captured signal once it has stopped: one this process ignores, not SIGTERM
    previous = signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _true(server.started), "the API server to listen")
        port = server.servers[0].sockets[0].getsockname()[1]
        window = 3.0
        before = len(ticks)
        await asyncio.sleep(window)  # the measured idle window, not a wait for something
        woken = len(ticks) - before
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            r = await http.get("/")
        assert r.status_code == 200 and r.text == "ok"
        age = time.time() - parsedate_to_datetime(r.headers["date"]).timestamp()
        assert -1.0 <= age <= 2.5, r.headers["date"]  # refreshed every tick (a second), not stale
    finally:
        t0 = time.monotonic()
        server.handle_exit(signal.SIGUSR1, None)  # what its signal handler calls
        await serving
        stopped_in = time.monotonic() - t0
        signal.signal(signal.SIGUSR1, previous)
    assert woken <= window + 1, woken  # uvicorn's own loop: about 30 in 3 s
    assert stopped_in < 0.5, stopped_in  # the signal wakes the loop; it does not wait for the tick
