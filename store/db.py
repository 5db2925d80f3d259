"""Engine and session factory (SQLAlchemy 2 async + asyncpg)."""

from __future__ import annotations

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
