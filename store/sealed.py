"""Sealed reporter identities: encrypted at rest, read only through an explicit, logged reveal."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from store.schema import reveal_log, sealed_identities
from store.sealing import KeyRing, SealedBox


def identity_associated(tip_id: str) -> bytes:
    """What a sealed identity is bound to: its tip (a box moved to another tip does not open)."""
    return tip_id.encode()


async def seal_identity(conn: AsyncConnection, ring: KeyRing, tip_id: str, identity: dict[str, Any]) -> None:
    box = ring.seal(json.dumps(identity, ensure_ascii=False).encode(), associated=identity_associated(tip_id))
    await conn.execute(
        pg_insert(sealed_identities)
        .values(tip_id=tip_id, key_id=box.key_id, ciphertext=box.ciphertext)
        .on_conflict_do_nothing()
    )


async def reveal_identity(
    conn: AsyncConnection, ring: KeyRing, tip_id: str, actor: dict[str, Any], reason: str
) -> dict[str, Any] | None:
    row = (await conn.execute(select(sealed_identities).where(sealed_identities.c.tip_id == tip_id))).first()
    if row is None:
        return None
    await conn.execute(reveal_log.insert().values(tip_id=tip_id, actor=actor, reason=reason))
    data: dict[str, Any] = json.loads(
        ring.open(SealedBox(row.key_id, row.ciphertext), associated=identity_associated(tip_id))
    )
    return data


async def is_sealed(conn: AsyncConnection, tip_id: str) -> bool:
    """Whether the tip's reporter left an identity (an anonymous tip has none)."""
    q = select(sealed_identities.c.tip_id).where(sealed_identities.c.tip_id == tip_id)
    return (await conn.execute(q)).first() is not None


async def reporter_contact(conn: AsyncConnection, ring: KeyRing, tip_id: str) -> str | None:
    """The reporter's contact, opened only to send them a notice (notify/delivery.py): a machine reads
    it, nobody sees it, so it is not a reveal and is not in `reveal_log`; the caller never logs or
    stores it."""
    row = (await conn.execute(select(sealed_identities).where(sealed_identities.c.tip_id == tip_id))).first()
    if row is None:
        return None
    data = json.loads(
        ring.open(SealedBox(row.key_id, row.ciphertext), associated=identity_associated(tip_id))
    )
    contact = data.get("contact")
    return str(contact) if contact else None
