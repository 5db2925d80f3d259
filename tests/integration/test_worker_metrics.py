"""The worker's Prometheus endpoint serves the Temporal SDK's metrics (schedule-to-start latency among
them) and the drainer's delivery metrics by channel and outcome (issue #20, "Observability"). Real dev
server, PostgreSQL and a local webhook receiver; the endpoint scraped over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from temporalio.client import Client
from temporalio.runtime import Runtime

from activities.store import StoreActivities
from harness.apptest import App
from harness.servers import free_port, unique_queue
from notify.delivery import Deliverer, WebhookChannel
from notify.outbox import OutboxDrainer
from runtime.metrics import worker_runtime
from runtime.settings import Settings
from runtime.temporal_client import data_converter
from store.schema import deliveries
from store.sealing import KeyRing
from tests.integration.test_case_workflow import start
from tests.integration.test_webhook_security import local_app, receiver  # noqa: F401 (fixtures)
from tests.support.delivery import Hooks, one_notification, settle
from tests.support.ticket_workflow import TicketWorkflow
from worker import build_worker

REGION = "500107"


@pytest.fixture
def metrics_runtime() -> Iterator[tuple[Runtime, str]]:
    previous = Runtime.default()
    address = f"127.0.0.1:{free_port()}"
    runtime = worker_runtime(Settings(_env_file=None, worker_metrics_address=address))  # type: ignore[call-arg]
    assert runtime is not None
    yield runtime, f"http://{address}/metrics"
    Runtime.set_default(previous, error_if_already_set=False)


def _value(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        m = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if m and all(f'{k}="{v}"' in m.group(1) for k, v in labels.items()):
            total += float(m.group(2))
    return total


def test_no_address_no_endpoint() -> None:
    assert worker_runtime(Settings(_env_file=None)) is None  # type: ignore[call-arg]


async def test_the_worker_endpoint_serves_sdk_and_delivery_metrics(
    metrics_runtime: tuple[Runtime, str],
    local_app: App,  # noqa: F811
    receiver: tuple[Hooks, str],  # noqa: F811
) -> None:
    runtime, url = metrics_runtime
    app = local_app
    client = await Client.connect(
        app.client.service_client.config.target_host, data_converter=data_converter(), runtime=runtime
    )
    queue = unique_queue()
    worker = build_worker(
        client,
        queue,
        StoreActivities(app.engine),
        workflows=[TicketWorkflow],
        extra_passthrough=["tests.support.ticket"],
    )
    async with worker:
        await start(client, queue)

    hooks, base = receiver
    hooks.fail_first["/ok"] = 1  # one 500 first: retried, then delivered
    sup = app.token("sup-1", "supervisor", "500100")
    persons = [{"role": "inspector", "name": "hook", "webhook_url": f"{base}/ok"}]
    r = await app.http.put(f"/v1/regions/{REGION}/contacts", headers=sup, json={"persons": persons})
    assert r.status_code == 200, r.text
    await one_notification(app, "inspector", REGION, "HZ-METRICS")
    ring = KeyRing(app.settings.resolved_seal_key())
    drainer = OutboxDrainer(
        app.engine,
        deliverer=Deliverer(
            app.engine, [WebhookChannel(allow_private=True)], ring=ring, backoff=timedelta(milliseconds=20)
        ),
    )

    async def delivered() -> bool:
        async with app.engine.connect() as conn:
            q = select(func.count()).where(
                deliveries.c.case_id == "HZ-METRICS", deliveries.c.status == "delivered"
            )
            return bool((await conn.execute(q)).scalar_one())

    await settle(app, drainer, delivered, "the webhook delivery")

    async with httpx.AsyncClient() as http:
        text = (await http.get(url)).text
    assert "temporal_workflow_task_schedule_to_start_latency" in text
    assert re.search(r"^temporal_\w+", text, re.M)
    assert _value(text, "hazardloop_deliveries", channel="webhook", outcome="delivered") == 1
    assert _value(text, "hazardloop_deliveries", channel="webhook", outcome="retried") == 1
    assert _value(text, "hazardloop_delivery_seconds_count", channel="webhook") == 2
