"""The month's enforcement events for the bulletin (domain/bulletin.py), each with its case's region."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.bulletin import MEASURES
from store.schema import cases, events


async def enforcement_events(conn: AsyncConnection, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Events of `MEASURES` that occurred in [start, end), with the region of the case they belong to."""
    kinds = or_(*(and_(events.c.kind == k, events.c.type == t) for k, t in MEASURES))
    q = (
        select(events.c.kind, events.c.type, events.c.data, cases.c.region)
        .join(cases, cases.c.id == events.c.stream_id)
        .where(kinds, events.c.occurred_at >= start, events.c.occurred_at < end)
    )
    return [dict(r) for r in (await conn.execute(q)).mappings()]
