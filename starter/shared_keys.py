"""What the entry points do about the deployment's shared secrets (rules: runtime/keys.py): refuse to start
without them, and refuse to start with keys that differ from the deployment's."""

from __future__ import annotations

import asyncio
import sys

import structlog

from runtime.keys import Role, key_mismatches, missing_message, missing_secrets
from runtime.settings import Settings
from store.db import make_engine

log = structlog.get_logger("hazardloop.keys")

EXIT_CONFIG = 2


def require_secrets(settings: Settings, command: str, role: Role) -> None:
    """Exit 2 with one line on stderr when an external setup lacks a shared secret."""
    missing = missing_secrets(settings, role)
    if missing:
        sys.stderr.write(missing_message(command, missing) + "\n")
        raise SystemExit(EXIT_CONFIG)


async def _mismatches(settings: Settings, role: Role) -> list[str]:
    engine = make_engine(settings.resolved_database_url, pool_size=1, max_overflow=0)
    try:
        async with asyncio.timeout(15):
            return await key_mismatches(engine, settings, role)
    finally:
        await engine.dispose()


def refuse_mismatched_keys(settings: Settings, command: str, role: Role, *, unreachable_ok: bool) -> None:
    """Exit 2 when this process's keys differ from the deployment's. A database that cannot be reached
    is fatal for a worker (it must not poll unchecked) and only logged for the API (its `/readyz` keeps
    checking, and answers 503 meanwhile)."""
    try:
        reasons = asyncio.run(_mismatches(settings, role))
    except Exception as e:
        if not unreachable_ok:
            raise
        log.warning("keys not compared: the database is unavailable", error=type(e).__name__)
        return
    if reasons:
        sys.stderr.write(f"hazardloop {command}: refusing to start: {'; '.join(reasons)}\n")
        raise SystemExit(EXIT_CONFIG)
