"""What the auditor reads besides the event stream and the projection: a case's notifications."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncEngine

from store.schema import notifications


async def case_notifications(engine: AsyncEngine, case_id: str) -> Sequence[Row[Any]]:
    """The notifications a case's events produced, in event order."""
    async with engine.connect() as conn:
        return (
            await conn.execute(
                select(notifications)
                .where(notifications.c.case_id == case_id)
                .order_by(notifications.c.stream_version, notifications.c.seq)
            )
        ).all()
