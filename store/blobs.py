"""The evidence blob index (`blobs`) and which cases reference a blob (through their events' evidence)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from store.schema import blobs

# every case one of whose events names the hash as `sha256` anywhere in its data (evidence lists of any
# command); the projection gives the case's jurisdiction
_REFERENCING = text(
    "SELECT DISTINCT c.id, c.kind, c.region, c.enterprise_id FROM events e JOIN cases c ON c.id = e.stream_id"
    " WHERE jsonb_path_exists(e.data, '$.** ? (@.sha256 == $h)', jsonb_build_object('h', CAST(:sha AS text)))"
)


async def record_blob(conn: AsyncConnection, **row: Any) -> None:
    """Indexes a stored blob; the first upload of a content keeps its row (same hash, same bytes)."""
    await conn.execute(insert(blobs).values(**row).on_conflict_do_nothing(index_elements=["sha256"]))


async def get_blob(conn: AsyncConnection, sha256: str) -> Any:
    return (await conn.execute(select(blobs).where(blobs.c.sha256 == sha256))).first()


async def referencing_cases(conn: AsyncConnection, sha256: str) -> list[Any]:
    return list((await conn.execute(_REFERENCING, {"sha": sha256})).all())
