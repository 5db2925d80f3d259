"""The benchmarks' baseline, driven side by side with the service: a general hazard's lifecycle through
the HTTP API, and the bare skeleton (harness/skeleton.py) doing the same number of updates, activities and
timers. `bench/run.py` measures both; `tests/integration/test_bench_baseline.py` checks on real histories
that they stay alike. Here, so that neither bench/ nor tests/ imports the other."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.store import StoreActivities
from harness.apptest import App
from harness.skeleton import CREATE_TABLE, SkeletonActivities, SkeletonWorkflow
from worker import build_worker

REGION, ENT = "500107", "ENT-B"
REPORT = {
    "title": "t",
    "enterprise_id": ENT,
    "region": REGION,
    "source": "self_inspection",
    "category": "unsafe_act",
}


async def skeleton_worker(client: Client, queue: str, engine: AsyncEngine) -> Worker:
    """The baseline's worker on `queue`, with its INSERT table created in `engine`'s database."""
    async with engine.begin() as conn:
        await conn.execute(text(CREATE_TABLE))
    return build_worker(
        client,
        queue,
        StoreActivities(engine),
        workflows=[SkeletonWorkflow],
        extra_activities=[SkeletonActivities(engine).insert],
        extra_passthrough=["harness.skeleton"],
    )


RETRIES = 5


async def post_as_asked(
    http: httpx.AsyncClient,
    url: str,
    who: dict[str, str],
    body: dict[str, Any],
    *,
    retry_dropped: bool = False,
    request_timeout: Any = httpx.USE_CLIENT_DEFAULT,
) -> tuple[dict[str, Any], int]:
    """A command posted as the API asks a client to: a 503 (`unavailable`, e.g. the dev server's "workflow
    update was aborted", or the workflow not answering in time, on a saturated machine) is retried with the
    same Idempotency-Key, at most `RETRIES` times; with `retry_dropped`, so is a connection the loaded
    server dropped. Returns the answer and how many retries it took (their time stays the caller's)."""
    headers = who | {"Idempotency-Key": uuid.uuid4().hex}
    retries = 0
    for attempt in range(RETRIES):
        try:
            r = await http.post(url, json=body, headers=headers, timeout=request_timeout)
        except httpx.TransportError:
            if not retry_dropped or attempt == RETRIES - 1:
                raise
            retries += 1
            continue
        if r.status_code != 503:
            break
        retries += 1
    if r.status_code not in (200, 201):
        raise RuntimeError(f"{url}: {r.status_code} {r.text[:200]}")
    return dict(r.json()), retries


class Lifecycles:
    """One general hazard's lifecycle over the HTTP API, and one skeleton's on the skeleton queue."""

    def __init__(self, app: App, skeleton_queue: str) -> None:
        self.app = app
        self.client = app.client
        self.skq = skeleton_queue
        self.ent = app.token("ent-1", "enterprise", REGION, ENT)
        self.insp = app.token("insp-1", "inspector", REGION)
        self.sup = app.token("sup-1", "supervisor", "500100")
        self.hazards: list[str] = []
        self.retries = 0  # 503s answered again with the same Idempotency-Key (`post`)

    async def post(self, url: str, who: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        """`post_as_asked` over the in-process API; its retries are counted in `self.retries`."""
        answer, retries = await post_as_asked(self.app.http, url, who, body, request_timeout=120)
        self.retries += retries
        return answer

    async def lifecycle(self, _: int) -> str:
        hid = (await self.post("/v1/hazards", self.ent, REPORT))["id"]
        url = f"/v1/hazards/{hid}/commands"
        await self.post(url, self.insp, {"type": "grade", "level": "general"})
        await self.post(url, self.ent, {"type": "submit_rectification", "summary": "s"})
        await self.post(url, self.sup, {"type": "review", "passed": True, "comment": "ok"})
        self.hazards.append(hid)
        return hid

    async def skeleton(self, _: int, steps: int = 3) -> str:
        wid = f"SK-{uuid.uuid4().hex[:12]}"
        h = await self.client.start_workflow(
            SkeletonWorkflow.run, args=[wid, steps], id=wid, task_queue=self.skq
        )
        await h.execute_update(SkeletonWorkflow.created_update)
        for _step in range(steps):
            await h.execute_update(SkeletonWorkflow.step)
        await h.result()
        return wid


def stop_work_command(i: int, cases: int) -> dict[str, Any]:
    """The latency benches' i-th command, round-robin over `cases` graded hazards: a stop-work ordered on
    each case, then lifted, then ordered again (a case's state stays the same size)."""
    if (i // cases) % 2 == 0:
        return {"type": "order_stop_work", "scope": "partial", "reason": "r"}
    return {"type": "lift_stop_work", "reason": "r"}
