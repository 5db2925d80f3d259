"""The history archive's rows (table `history_archive`): one closed run's history per (workflow_id, run_id),
zlib-compressed JSON with the sha256 of the uncompressed bytes and the event count. What the bytes mean
(a Temporal history) is the archiver's (activities/archive.py) and the auditor's (audit/archive.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from store.schema import history_archive


async def insert_history(
    engine: AsyncEngine,
    *,
    workflow_id: str,
    run_id: str,
    workflow_type: str,
    closed_at: datetime | None,
    blob: bytes,
    sha256: str,
    event_count: int,
) -> tuple[str, bytes] | None:
    """Insert one run (a second insert of the same run is a no-op). None when inserted, otherwise the
    stored copy's (sha256, history) to check against."""
    async with engine.begin() as conn:
        inserted = (
            await conn.execute(
                pg_insert(history_archive)
                .values(
                    workflow_id=workflow_id,
                    run_id=run_id,
                    workflow_type=workflow_type,
                    closed_at=closed_at,
                    history=blob,
                    sha256=sha256,
                    event_count=event_count,
                )
                .on_conflict_do_nothing(index_elements=["workflow_id", "run_id"])
                .returning(history_archive.c.run_id)
            )
        ).first()
        if inserted is not None:
            return None
        stored = (
            await conn.execute(
                select(history_archive.c.sha256, history_archive.c.history).where(
                    history_archive.c.workflow_id == workflow_id, history_archive.c.run_id == run_id
                )
            )
        ).one()
    return stored.sha256, stored.history


async def archived_rows(engine: AsyncEngine, workflow_id: str) -> Sequence[Row[Any]]:
    """Every archived run of `workflow_id`, oldest close first."""
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(history_archive)
                .where(history_archive.c.workflow_id == workflow_id)
                .order_by(history_archive.c.closed_at, history_archive.c.archived_at)
            )
        ).all()


async def newest_closed_at(engine: AsyncEngine) -> datetime | None:
    async with engine.connect() as conn:
        newest: datetime | None = (await conn.execute(select(func.max(history_archive.c.closed_at)))).scalar()
    return newest


async def archived_pairs(engine: AsyncEngine, run_ids: Sequence[str]) -> set[tuple[str, str]]:
    """(workflow_id, run_id) of those of `run_ids` the archive already holds."""
    if not run_ids:
        return set()
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(history_archive.c.workflow_id, history_archive.c.run_id).where(
                    history_archive.c.run_id.in_(run_ids)
                )
            )
        ).all()
    return {(r.workflow_id, r.run_id) for r in rows}
