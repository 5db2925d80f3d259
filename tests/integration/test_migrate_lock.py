"""Migrations take an advisory lock: replicas that start at once and each run `hazardloop migrate` on a
fresh database do not race (issue #20). Real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

from alembic.script import ScriptDirectory
from sqlalchemy import text

from harness.servers import PgServer
from store.db import make_engine
from store.migrate import _config, migrate


async def test_concurrent_migrations_of_a_fresh_database_both_succeed(pg: PgServer) -> None:
    name = f"t_{uuid.uuid4().hex[:16]}"
    await asyncio.to_thread(pg.server.ensure_database, name)
    url = pg.server.url(name)

    async with asyncio.timeout(120):  # without the lock they can also deadlock on each other's DDL
        results = await asyncio.gather(*(migrate(url) for _ in range(3)), return_exceptions=True)

    assert [r for r in results if isinstance(r, BaseException)] == []
    head = ScriptDirectory.from_config(_config()).get_current_head()
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            events = (await conn.execute(text("SELECT count(*) FROM events"))).scalar_one()
    finally:
        await engine.dispose()
    assert versions == [head]
    assert events == 0
