"""The secrets every process of one deployment must share, required and compared.

Source: issue #20, "Secrets shared by replicas": a worker or API started without the deployment's keys
generated its own and reported ready; payloads it sealed could not be opened by the others (a case broken
for good), and tokens it signed were refused by them.

- **Required.** With an external Temporal or PostgreSQL configured (`HAZARDLOOP_TEMPORAL_ADDRESS` or
  `HAZARDLOOP_DATABASE_URL`), every process needs `HAZARDLOOP_SEAL_KEY` (the payload codec and every
  sealed value) and the API also `HAZARDLOOP_JWT_SECRET` (or `HAZARDLOOP_JWT_JWKS_URL`): without them the
  process refuses to start (one line, exit code 2) instead of generating keys of its own. The embedded
  default (`hazardloop dev`) keeps generating development keys in its data dir.
- **Compared.** The first process to start records a fingerprint of each key in the database
  (`deployment_keys`, migration 0013; never the key): for the seal key its key id (the SHA-256 prefix
  already stored beside every sealed value), for the JWT secret an HMAC-SHA256 under a fixed label. Every
  later process compares at start (a worker that differs refuses to poll) and in `/readyz` (an API that
  differs is not ready, naming the key). A seal key ring matches when it holds the recorded key; `hazardloop
  seal rotate` records the new newest key once everything is re-sealed under it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncEngine

from runtime.settings import Settings
from store.deployment_keys import claim_or_read
from store.sealing import KeyRing

Role = Literal["api", "worker", "client"]
SEAL, JWT = "seal_key", "jwt_secret"
VARIABLE = {SEAL: "HAZARDLOOP_SEAL_KEY", JWT: "HAZARDLOOP_JWT_SECRET"}
_LABEL = b"hazardloop deployment key fingerprint"


def is_external(settings: Settings) -> bool:
    return bool(settings.temporal_address or settings.database_url)


def missing_secrets(settings: Settings, role: Role) -> list[str]:
    """The shared secrets this process lacks (none on the embedded default, which generates them)."""
    if not is_external(settings):
        return []
    missing = [] if settings.seal_key else [VARIABLE[SEAL]]
    if role == "api" and not (settings.jwt_secret or settings.jwt_jwks_url):
        missing.append(f"{VARIABLE[JWT]} (or HAZARDLOOP_JWT_JWKS_URL)")
    return missing


def missing_message(command: str, missing: list[str]) -> str:
    return (
        f"hazardloop {command}: {', '.join(missing)} not set; with an external Temporal or PostgreSQL "
        "every process needs the deployment's shared secrets, the same for all replicas "
        "(docs/deployment.md#secrets)"
    )


def fingerprint(secret: str) -> str:
    return hmac.new(_LABEL, secret.encode(), hashlib.sha256).hexdigest()[:32]


async def key_mismatches(engine: AsyncEngine, settings: Settings, role: Role) -> list[str]:
    """Compare this process's keys with the fingerprints the deployment recorded (recording them when this
    is the first process): one reason per key that differs, none when all match."""
    ring = KeyRing(settings.resolved_seal_key())
    mine = {SEAL: ring.current_id}
    accepted = {SEAL: set(ring.key_ids)}
    if role == "api" and not settings.jwt_jwks_url:
        mine[JWT] = fingerprint(settings.resolved_jwt_secret())
        accepted[JWT] = {mine[JWT]}
    recorded = await claim_or_read(engine, mine)
    return [
        f"{VARIABLE[name]} differs from the deployment's "
        f"(recorded key {fp[:8]}…, this process {mine[name][:8]}…)"
        for name, fp in sorted(recorded.items())
        if fp not in accepted[name]
    ]


async def shared_keys_check(engine: AsyncEngine, settings: Settings) -> str:
    """`/readyz`'s line on the keys: ok, the keys that differ, or why they could not be compared."""
    try:
        async with asyncio.timeout(3):
            reasons = await key_mismatches(engine, settings, "api")
    except Exception as e:
        return f"unavailable: {type(e).__name__}"
    return "mismatch: " + "; ".join(reasons) if reasons else "ok"
