"""Session-wide real servers; per-test isolation by a fresh database and a unique task queue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.testing import WorkflowEnvironment

from harness.servers import PgServer, start_dev_server
from runtime.logging import configure_logging


@pytest.fixture(scope="session", autouse=True)
def _logging() -> Iterator[None]:
    configure_logging("WARNING")
    yield


@pytest.fixture(scope="session")
async def pg() -> AsyncIterator[PgServer]:
    server = PgServer()
    await server.start()
    yield server
    server.stop()


@pytest.fixture
async def db_url(pg: PgServer) -> str:
    return await pg.fresh_database()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server()
    yield env
    await env.shutdown()
