"""The notifications outbox and its deliveries (tables `notifications`, `deliveries`, read with
`contacts`): what the outbox drainer and the deliverer (notify/outbox.py, notify/delivery.py)
read and write. Which roles a notice reaches is domain/contacts.py's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import RowMapping, and_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.contacts import ENTERPRISE_RESPONSIBLE, ENTERPRISE_ROLES
from store.schema import contacts, deliveries, notifications


async def contacts_for(
    conn: AsyncConnection, role: str, party: str, duties: Sequence[str] = ENTERPRISE_RESPONSIBLE
) -> list[RowMapping]:
    """The registry entries a notice for `role` at `party` reaches, in registration order.
    `enterprise_responsible`: the enterprise's persons of the roles in `duties` (domain/notice_roles.py),
    or, when none of those is registered, its 三个责任人; `officer`: the officer `party`'s own channel
    (their 包保 duty: store/duties.py)."""
    if role == "enterprise_responsible":
        of = and_(contacts.c.party_kind == "enterprise", contacts.c.party_id == party)
        q = select(contacts).order_by(contacts.c.id)
        found = (await conn.execute(q.where(of, contacts.c.role.in_(duties)))).mappings().all()
        if found or tuple(duties) == ENTERPRISE_RESPONSIBLE:
            return list(found)
        cond = and_(of, contacts.c.role.in_(ENTERPRISE_RESPONSIBLE))
    elif role == "officer":
        cond = and_(contacts.c.party_kind == "officer", contacts.c.party_id == party)
    elif role in ENTERPRISE_ROLES:
        cond = and_(
            contacts.c.party_kind == "enterprise", contacts.c.party_id == party, contacts.c.role == role
        )
    else:  # a region's duty officers, and its 联合惩戒 departments (`department:<code>`)
        cond = and_(contacts.c.party_kind == "region", contacts.c.party_id == party, contacts.c.role == role)
    return list((await conn.execute(select(contacts).where(cond).order_by(contacts.c.id))).mappings().all())


async def contact(conn: AsyncConnection, contact_id: int) -> RowMapping | None:
    """A registry entry as it is now (None when it was removed)."""
    q = select(contacts).where(contacts.c.id == contact_id)
    return (await conn.execute(q)).mappings().one_or_none()


async def add_deliveries(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Insert delivery rows; one whose idempotency key is already there is skipped."""
    await conn.execute(
        insert(deliveries).values(rows).on_conflict_do_nothing(index_elements=["idempotency_key"])
    )


async def claim_due(
    conn: AsyncConnection, now: datetime, lease: timedelta, batch: int
) -> tuple[list[dict[str, Any]], dict[int, RowMapping]]:
    """Claim up to `batch` pending deliveries due at `now` (skipping those another worker holds): each
    counts an attempt and is leased until now + lease. Returns them and their notifications by id."""
    due = (
        select(deliveries.c.id)
        .where(deliveries.c.status == "pending", deliveries.c.next_attempt_at <= now)
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    claimed = (
        (
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(due.scalar_subquery()))
                .values(next_attempt_at=now + lease, attempts=deliveries.c.attempts + 1)
                .returning(deliveries)
            )
        )
        .mappings()
        .all()
    )
    ids = [r["notification_id"] for r in claimed]
    notes = {
        r["id"]: r
        for r in (await conn.execute(select(notifications).where(notifications.c.id.in_(ids)))).mappings()
    }
    return [dict(r) for r in claimed], notes


async def settle_delivery(engine: AsyncEngine, delivery_id: int, values: Mapping[str, Any]) -> None:
    """Record a delivery attempt's outcome."""
    async with engine.begin() as conn:
        await conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(**values))


async def pending_notifications(conn: AsyncConnection, batch: int) -> list[RowMapping]:
    """Up to `batch` pending notifications, oldest first, locked (skipping those another drainer holds)."""
    q = (
        select(notifications)
        .where(notifications.c.status == "pending")
        .order_by(notifications.c.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    return list((await conn.execute(q)).mappings().all())


async def settle_notification(
    conn: AsyncConnection, notification_id: int, outcome: str, error: str | None, at: datetime
) -> None:
    """Record a notification's outcome (one more attempt; `at` is its delivery time when delivered)."""
    await conn.execute(
        update(notifications)
        .where(notifications.c.id == notification_id)
        .values(
            status=outcome,
            attempts=notifications.c.attempts + 1,
            last_error=error,
            delivered_at=at if outcome == "delivered" else None,
        )
    )
