"""Waiting for what the system reaches asynchronously (a timer, a child's signal, a restart): poll a
condition, bounded, instead of sleeping a guessed amount."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(probe: Callable[[], Awaitable[bool]], what: str, within: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not await probe():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
