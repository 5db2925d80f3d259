"""The fingerprints of the secrets a deployment's processes share (migration 0013): recorded by the first
process that starts, read by every later one. Fingerprints only, never a key."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_CLAIM = text(
    "INSERT INTO deployment_keys (name, fingerprint) VALUES (:name, :fp) ON CONFLICT (name) DO NOTHING"
)


async def claim_or_read(engine: AsyncEngine, fingerprints: Mapping[str, str]) -> dict[str, str]:
    """Record each fingerprint not recorded yet (the first process wins a race: ON CONFLICT DO NOTHING),
    then return the recorded fingerprint of every name asked for."""
    async with engine.begin() as conn:
        for name, fp in fingerprints.items():
            await conn.execute(_CLAIM, {"name": name, "fp": fp})
        rows = await conn.execute(
            text("SELECT name, fingerprint FROM deployment_keys WHERE name = ANY(:names)"),
            {"names": list(fingerprints)},
        )
        return {str(r.name): str(r.fingerprint) for r in rows}


async def record(engine: AsyncEngine, name: str, fingerprint: str) -> None:
    """Replace a recorded fingerprint (after `seal rotate` re-sealed everything under a new key)."""
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO deployment_keys (name, fingerprint) VALUES (:name, :fp) "
                "ON CONFLICT (name) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, recorded_at = now()"
            ),
            {"name": name, "fp": fingerprint},
        )
