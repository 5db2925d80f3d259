"""Engine and session factory (SQLAlchemy 2 async + asyncpg)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool


def _statement_name() -> str:
    return f"__hl_{uuid.uuid4().hex}__"


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 20,
    pool_timeout: float = 30.0,
    pool_recycle: int = 1800,
    pgbouncer: bool = False,
) -> AsyncEngine:
    """`pool_size` connections kept, `max_overflow` more opened under load, `pool_timeout` seconds a
    checkout waits for one before failing.

    `pgbouncer`: behind PgBouncer in transaction mode, where consecutive transactions of one client
    connection may run on different server connections. No prepared statement may outlive its
    transaction there: asyncpg's statement cache and SQLAlchemy's are off, every statement gets a unique
    name (no collision with another client's on a shared server connection), and the pool is a NullPool
    (PgBouncer is the pool; SQLAlchemy's asyncpg dialect documentation, "Prepared Statement Name with
    PGBouncer"). Session state is limited to what PgBouncer tracks (application_name, TimeZone).

    No pre-ping: a ping is three round trips (BEGIN, a statement, ROLLBACK) on every checkout, which
    doubled the statements of a command (bench/RESULTS.md). A connection the server dropped fails its next
    statement instead; SQLAlchemy then sees the disconnect and invalidates every pooled connection made
    before it, so after a PostgreSQL restart one request answers 503 (an activity retries) and the next
    ones get fresh connections (tests/fault: PostgreSQL restarted mid-run). `pool_recycle` retires
    connections before a proxy or firewall would drop them while idle."""
    connect_args: dict[str, Any] = {"server_settings": {"application_name": "hazardloop", "timezone": "UTC"}}
    if pgbouncer:
        connect_args |= {
            "statement_cache_size": 0,
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": _statement_name,
        }
        return create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_recycle=pool_recycle,
        connect_args=connect_args,
    )


async def ping(engine: AsyncEngine) -> None:
    """Raises unless the database answers a trivial query (readiness)."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


def sqlstate(e: BaseException) -> str:
    """The PostgreSQL SQLSTATE behind a SQLAlchemy error (the asyncpg adapter keeps it on `orig` or its
    cause); empty when there is none, e.g. the server cannot be reached."""
    orig = getattr(e, "orig", None)
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return ""


def refuses_the_value(e: BaseException) -> bool:
    """Whether the database (or the driver, before sending) refused a value itself, so the same statement
    fails again however often it is retried: SQLSTATE class 22 (data exception: a NUL, an unpaired
    surrogate, a number out of range), 54 (a program limit, e.g. a value too large for an index), a NOT
    NULL or CHECK violation, or asyncpg's own refusal of an argument (a `ValueError`). A unique violation
    is not among them: a concurrent append of the same events resolves on retry."""
    state = sqlstate(e)
    if state[:2] in ("22", "54") or state in ("23502", "23514"):
        return True
    orig = getattr(e, "orig", None)
    return not state and isinstance(getattr(orig, "__cause__", None), ValueError)


_STATEMENT = re.compile(
    r"^\s*(?:(INSERT)\s+INTO|(UPDATE)|(DELETE)\s+FROM|(SELECT)\b.*?\bFROM)\s+\"?(\w+)", re.I | re.S
)


def statement_name(e: BaseException) -> str:
    """What a failed statement did, as "<verb> <table>" ("insert events"): never its parameters."""
    sql = getattr(e, "statement", None)
    m = _STATEMENT.match(sql) if isinstance(sql, str) else None
    if m is None:
        return "statement"
    verb = next(g for g in m.groups()[:4] if g)
    return f"{verb.lower()} {m.group(5)}"
