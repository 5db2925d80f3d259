"""Sealed reporter identities: encrypted at rest, read only through an explicit, logged reveal."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from store.schema import reveal_log, sealed_identities
from store.sealing import KeyRing, SealedBox


async def seal_identity(conn: AsyncConnection, ring: KeyRing, tip_id: str, identity: dict[str, Any]) -> None:
    box = ring.seal(json.dumps(identity, ensure_ascii=False).encode(), associated=tip_id.encode())
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
        ring.open(SealedBox(row.key_id, row.ciphertext), associated=tip_id.encode())
    )
    return data


async def reseal_all(conn: AsyncConnection, ring: KeyRing) -> int:
    """Re-encrypt every identity under the newest key (key rotation). Returns how many moved."""
    rows = (
        await conn.execute(
            select(sealed_identities).where(sealed_identities.c.key_id != ring.current_id).with_for_update()
        )
    ).all()
    for row in rows:
        plain = ring.open(SealedBox(row.key_id, row.ciphertext), associated=row.tip_id.encode())
        box = ring.seal(plain, associated=row.tip_id.encode())
        await conn.execute(
            update(sealed_identities)
            .where(sealed_identities.c.tip_id == row.tip_id)
            .values(key_id=box.key_id, ciphertext=box.ciphertext)
        )
    return len(rows)
