"""Engine and session factory (SQLAlchemy 2 async + asyncpg)."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> AsyncEngine:
    """No pre-ping: a ping is three round trips (BEGIN, a statement, ROLLBACK) on every checkout, which
    doubled the statements of a command (bench/RESULTS.md). A connection the server dropped fails its next
    statement instead; SQLAlchemy then sees the disconnect and invalidates every pooled connection made
    before it, so after a PostgreSQL restart one request answers 503 (an activity retries) and the next
    ones get fresh connections (tests/fault: PostgreSQL restarted mid-run). `pool_recycle` retires
    connections before a proxy or firewall would drop them while idle."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
        connect_args={"server_settings": {"application_name": "hazardloop", "timezone": "UTC"}},
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
