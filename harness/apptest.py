"""An in-process API (ASGI) + worker against the real dev server and a fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from activities.store import StoreActivities
from harness.servers import unique_queue, world_traversable_tmpdir
from runtime.settings import REPO_ROOT, Settings
from starter.api.app import create_app
from starter.auth import mint_token
from store.db import make_engine
from worker import build_worker

METRICS_TOKEN = "test-metrics-token-0123456789"
METRICS = {"Authorization": f"Bearer {METRICS_TOKEN}"}


@dataclass
class App:
    http: httpx.AsyncClient
    settings: Settings
    engine: AsyncEngine
    client: Client
    queue: str
    asgi: FastAPI

    def http_from(self, host: str) -> httpx.AsyncClient:
        """A client of the same app whose requests come from peer address `host`."""
        transport = httpx.ASGITransport(app=self.asgi, client=(host, 50000))
        return httpx.AsyncClient(transport=transport, base_url="http://api")

    def token(
        self, sub: str, role: str, region: str = "500107", enterprise_id: str | None = None
    ) -> dict[str, str]:
        tok = mint_token(self.settings, sub=sub, role=role, region=region, enterprise_id=enterprise_id)
        return {"Authorization": f"Bearer {tok}"}


@asynccontextmanager
async def running_app(
    client: Client,
    db_url: str,
    *,
    workflows: Sequence[type] | None = None,
    extra_passthrough: Sequence[str] = (),
    policy: str = "test-fast",
    data_dir: Path | None = None,
    with_worker: bool = True,
    queue: str | None = None,
    settings_overrides: Mapping[str, Any] | None = None,
    webhook_allow_private: bool = False,
    allow_status: Sequence[int] = (),
) -> AsyncIterator[App]:
    """The API app on real servers. Every answer of its client is watched: a 5xx fails the test when the
    app closes (no 5xx anywhere), unless the test expects that status (`allow_status`, e.g. 503 while a
    dependency is down)."""
    queue = queue or unique_queue("api")
    target = client.service_client.config.target_host
    settings = Settings(
        **{
            "temporal_address": target,
            "database_url": db_url,
            "temporal_task_queue": queue,
            "jwt_secret": "test-secret-0123456789-0123456789-abcdef",
            "metrics_token": METRICS_TOKEN,
            "policy": policy,
            "data_dir": data_dir or world_traversable_tmpdir("hazardloop-api-"),
            "policy_dir": REPO_ROOT / "policies",
            "webhook_allow_private": webhook_allow_private,
            **(settings_overrides or {}),
        }
    )
    engine = make_engine(db_url)
    worker = build_worker(
        client, queue, StoreActivities(engine), workflows=workflows, extra_passthrough=extra_passthrough
    )
    app = create_app(settings)
    async with AsyncExitStack() as stack:
        if with_worker:
            await stack.enter_async_context(worker)
        server_errors: list[str] = []

        async def watch(response: httpx.Response) -> None:
            if response.status_code >= 500 and response.status_code not in allow_status:
                await response.aread()
                server_errors.append(
                    f"{response.request.method} {response.request.url.path}: {response.text}"
                )

        http = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://api",
                event_hooks={"response": [watch]},
            )
        )
        yield App(http=http, settings=settings, engine=engine, client=client, queue=queue, asgi=app)
        assert not server_errors, f"the API answered with a server error: {server_errors}"
    await app.state.engine.dispose()
    await engine.dispose()
