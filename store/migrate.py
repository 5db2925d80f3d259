"""Apply Alembic migrations programmatically (used by `hazardloop migrate`, `dev` and the tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from store.db import make_engine

ROOT = Path(__file__).resolve().parent.parent


def _config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return cfg


async def migrate(url: str, revision: str = "head", *, pgbouncer: bool = False) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0, pgbouncer=pgbouncer)
    try:
        async with engine.begin() as conn:

            def run(sync_conn: Any) -> None:
                cfg = _config()
                cfg.attributes["connection"] = sync_conn
                command.upgrade(cfg, revision)

            await conn.run_sync(run)
    finally:
        await engine.dispose()
