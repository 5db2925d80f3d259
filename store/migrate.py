"""Apply Alembic migrations programmatically (used by `hazardloop migrate`, `dev` and the tests).

The upgrade runs in one transaction that first takes a transaction-level advisory lock: replicas that
start at once each run it, the first migrates and the others wait, then find the schema at head and do
nothing (issue #20). A transaction-level lock also holds behind PgBouncer in transaction mode, where a
session-level one could be taken and released on different server connections."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from store.db import make_engine

ROOT = Path(__file__).resolve().parent.parent

# the advisory lock key of migrations: "hzrdloop" as a big-endian 64-bit integer
MIGRATION_LOCK = int.from_bytes(b"hzrdloop", "big", signed=True)


def _config() -> Config:
    """The checkout's alembic.ini when there is one; an installed wheel has the same settings here and
    its migrations as package data (the `migrations` package)."""
    ini = ROOT / "alembic.ini"
    cfg = Config(str(ini)) if ini.exists() else Config()
    cfg.set_main_option("script_location", str(files("migrations")))
    cfg.set_main_option("path_separator", "os")
    return cfg


async def migrate(url: str, revision: str = "head", *, pgbouncer: bool = False) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0, pgbouncer=pgbouncer)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})

            def run(sync_conn: Any) -> None:
                cfg = _config()
                cfg.attributes["connection"] = sync_conn
                command.upgrade(cfg, revision)

            await conn.run_sync(run)
    finally:
        await engine.dispose()
