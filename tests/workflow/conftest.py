"""Time-skipping: the Java test server jumps time for every workflow at once, so each test gets its own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from harness.servers import start_time_skipping


@pytest.fixture
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_time_skipping()
    yield env
    await env.shutdown()
