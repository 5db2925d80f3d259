"""The database pool is configurable, and a PgBouncer transaction-mode setting leaves no prepared statement
behind on a server connection (issue #20: "Temporal and the database in production"). Real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.pool import NullPool

from harness.servers import PgServer
from runtime.settings import Settings
from store.db import make_engine
from store.events import read_stream, verify_chain
from store.migrate import migrate
from tests.integration.test_event_store import noted, opened, record


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def test_the_engine_takes_the_configured_pool(db_url: str) -> None:
    s = _settings(
        database_pool_size=1, database_max_overflow=0, database_pool_timeout=0.3, database_pool_recycle=60
    )
    engine = make_engine(db_url, **s.database_options())
    try:
        pool = engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout, pool._recycle) == (1, 0, 0.3, 60)  # type: ignore[attr-defined]
        async with engine.connect() as held:
            await held.execute(text("SELECT 1"))
            # the only connection is out: a second checkout gives up after the configured timeout
            with pytest.raises(Exception, match="QueuePool limit of size 1 overflow 0 reached"):
                async with asyncio.timeout(5), engine.connect():
                    pass
    finally:
        await engine.dispose()


def test_the_defaults_are_the_old_fixed_pool() -> None:
    assert _settings().database_options() == {
        "pool_size": 10,
        "max_overflow": 20,
        "pool_timeout": 30.0,
        "pool_recycle": 1800,
        "pgbouncer": False,
    }


async def _prepared_statements(url: str, *, pgbouncer: bool) -> list[str]:
    engine = make_engine(url, pgbouncer=pgbouncer)
    try:
        async with engine.connect() as conn:
            for i in range(3):
                await conn.execute(text("SELECT CAST(:x AS int) + 1"), {"x": i})
            rows = await conn.execute(text("SELECT name FROM pg_prepared_statements"))
            return [r[0] for r in rows]
    finally:
        await engine.dispose()


async def test_pgbouncer_mode_leaves_no_prepared_statement_on_the_server(db_url: str) -> None:
    """Behind PgBouncer in transaction mode the next transaction may run on another client's server
    connection: a cached statement named `__asyncpg_stmt_1__` there collides, or is missing."""
    cached = await _prepared_statements(db_url, pgbouncer=False)
    assert len(cached) >= 3 and all(n.startswith("__asyncpg_stmt_") for n in cached)

    seen = await _prepared_statements(db_url, pgbouncer=True)
    assert len(seen) == 1 and seen[0].startswith("__hl_")  # only the statement listing them, uniquely named


async def test_the_store_works_in_pgbouncer_mode(pg: PgServer) -> None:
    name = f"t_{uuid.uuid4().hex[:16]}"
    await asyncio.to_thread(pg.server.ensure_database, name)
    url = pg.server.url(name)
    await migrate(url, pgbouncer=True)
    engine = make_engine(url, **_settings(database_pgbouncer=True).database_options())
    try:
        assert isinstance(engine.pool, NullPool)
        await record(engine, "T-PGB", 0, [opened("T-PGB")], "c1")
        await record(engine, "T-PGB", 1, [noted("a"), noted("b")], "c2")
        _, dup = await record(engine, "T-PGB", 1, [noted("a"), noted("b")], "c2")
        async with engine.connect() as conn:
            stream = await read_stream(conn, "T-PGB")
        assert dup and [e.version for e in stream] == [1, 2, 3] and verify_chain(stream) == []
    finally:
        await engine.dispose()
