"""`hazardloop ready`: what a container health check asks of a worker (or any process): PostgreSQL and
Temporal answer, and this process's keys are the deployment's (runtime/keys.py). The API answers the
same at `/readyz`."""

from __future__ import annotations

import asyncio

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from runtime.keys import Role, key_mismatches
from runtime.settings import Settings
from runtime.temporal_client import connect
from store.db import make_engine, ping


async def readiness(settings: Settings, role: Role, within: float = 5.0) -> dict[str, str]:
    """One line per dependency: "ok" or why not."""
    checks: dict[str, str] = {}
    engine = make_engine(settings.resolved_database_url, pool_size=1, max_overflow=0)
    try:
        try:
            async with asyncio.timeout(within):
                await ping(engine)
                reasons = await key_mismatches(engine, settings, role)
            checks["postgres"] = "ok"
            checks["keys"] = "mismatch: " + "; ".join(reasons) if reasons else "ok"
        except Exception as e:
            checks["postgres"] = f"unavailable: {type(e).__name__}"
        try:
            async with asyncio.timeout(within):
                client = await connect(settings)
                await client.workflow_service.get_system_info(GetSystemInfoRequest())
            checks["temporal"] = "ok"
        except Exception as e:
            checks["temporal"] = f"unavailable: {type(e).__name__}"
    finally:
        await engine.dispose()
    return checks
