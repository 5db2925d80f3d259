"""Waiting for what the system reaches asynchronously (a timer, a child's signal, a restart): poll a
condition, bounded, instead of sleeping a guessed amount."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from temporalio.api.enums.v1 import EventType


async def eventually(probe: Callable[[], Awaitable[bool]], what: str, within: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    while not await probe():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def settled_history_length(handle: Any) -> int:
    """The length of a workflow's history once it has settled: no workflow task outstanding, and every
    signal to another workflow and every child start it issued answered. A case tells its enterprise
    record behind a command's answer (workflows/case.py, `record-told-behind`), so right after the answer
    its history may still grow by the telling's events; a test counting what a refused command added waits
    for this first."""
    seen: list[int] = []

    async def settled() -> bool:
        events = (await handle.fetch_history()).events
        n = Counter(e.event_type for e in events)
        tasks = n[EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED] - (
            n[EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
            + n[EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
            + n[EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT]
        )
        signals = n[EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED] - (
            n[EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED]
            + n[EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED]
        )
        starts = n[EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED] - (
            n[EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED]
            + n[EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED]
        )
        seen.append(len(events))
        return tasks == 0 and signals == 0 and starts == 0

    await eventually(settled, "the history to settle")
    return seen[-1]
