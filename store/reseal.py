"""Key rotation: re-seal every value the database keeps sealed under the key ring's newest key.

Sealed in the database: tip reporters' identities (store/sealed.py) and webhook endpoints' signing
secrets (store/webhook_secrets.py). Each is opened with the key it names and sealed again with the newest
key, a batch per transaction, so a rotation can be stopped and run again: what moved stays moved, a
second run moves nothing. Temporal payloads are sealed by the codec (runtime/codec.py) inside histories
that cannot be rewritten: those keep needing the key they were sealed with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Column, RowMapping, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from store.schema import contacts, sealed_identities
from store.sealed import identity_associated
from store.sealing import KeyRing, SealedBox, SealError
from store.webhook_secrets import secret_associated

log = structlog.get_logger("hazardloop.seal")

DEFAULT_BATCH = 500


@dataclass(frozen=True)
class SealedColumn:
    """Where a table keeps a sealed value: the key id and ciphertext columns, and what the box is bound to."""

    name: str
    table: Table
    key: Column[Any]
    key_id: Column[Any]
    ciphertext: Column[Any]
    associated: Callable[[RowMapping], bytes]


SEALED = (
    SealedColumn(
        "tip_identities",
        sealed_identities,
        sealed_identities.c.tip_id,
        sealed_identities.c.key_id,
        sealed_identities.c.ciphertext,
        lambda row: identity_associated(str(row["tip_id"])),
    ),
    SealedColumn(
        "webhook_secrets",
        contacts,
        contacts.c.id,
        contacts.c.webhook_key_id,
        contacts.c.webhook_secret,
        lambda row: secret_associated(str(row["webhook_url"])),
    ),
)


async def reseal(engine: AsyncEngine, ring: KeyRing, batch: int = DEFAULT_BATCH) -> dict[str, int]:
    """Re-seal what an older key sealed under `ring`'s newest key; how many values moved, by kind.

    Raises SealError (naming the row) when a value does not open: its key is no longer in the ring."""
    if batch < 1:
        raise ValueError("the batch size must be at least 1")
    return {col.name: await _reseal(engine, ring, col, batch) for col in SEALED}


async def _reseal(engine: AsyncEngine, ring: KeyRing, col: SealedColumn, batch: int) -> int:
    moved = 0
    while True:
        async with engine.begin() as conn:
            rows = (
                (
                    await conn.execute(
                        select(col.table)
                        .where(col.key_id.is_not(None), col.key_id != ring.current_id)
                        .order_by(col.key)
                        .limit(batch)
                        .with_for_update()
                    )
                )
                .mappings()
                .all()
            )
            for row in rows:
                box = SealedBox(str(row[col.key_id.name]), bytes(row[col.ciphertext.name]))
                try:
                    plain = ring.open(box, col.associated(row))
                except SealError as e:
                    raise SealError(f"{col.name} {row[col.key.name]}: {e}") from e
                fresh = ring.seal(plain, col.associated(row))
                await conn.execute(
                    update(col.table)
                    .where(col.key == row[col.key.name])
                    .values({col.key_id.name: fresh.key_id, col.ciphertext.name: fresh.ciphertext})
                )
        moved += len(rows)
        if rows:
            log.info("resealed", what=col.name, batch=len(rows), moved=moved, key_id=ring.current_id)
        if len(rows) < batch:
            return moved
