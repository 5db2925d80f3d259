"""The scale-out design on one machine (issue #20): two API processes and three workers (`hazardloop api`,
`hazardloop worker`, real subprocesses) against one Temporal server and one PostgreSQL. Hazard lifecycles
are driven through both APIs at random while workers and one API are SIGKILLed and restarted; a request
whose connection was cut is retried with the same Idempotency-Key, on either API. Then every stream is
exact (versions 1..n, each command's event once, hash chain intact, event store equal to the workflow
history), every command was applied once (its key answers the first answer again), and every
notification reached its webhook, once unless its lease lapsed on a killed worker (then with the same
delivery key)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from audit.verify import chain_findings
from harness.baseline import REPORT as BASELINE_REPORT
from harness.servers import TEST_SEAL_KEY, unique_queue, world_traversable_tmpdir
from runtime.embedded import free_port
from runtime.settings import Settings
from starter.auth import mint_token
from store.db import make_engine
from store.events import read_stream
from tests.support.delivery import secrets_by_path, webhook_receiver
from tests.support.poll import eventually

pytestmark = pytest.mark.timeout(600)

HAZARDLOOP = str(Path(sys.executable).parent / "hazardloop")
JWT = "scale-out-secret-0123456789-0123456789-abcdef"
REGION, CITY, ENT = "500107", "500100", "ENT-S"
LIFECYCLES = int(os.environ.get("SCALE_OUT_LIFECYCLES", "60"))  # the issue runs 500; CI time: 60
IN_FLIGHT = 16
HAZARD_EVENTS = "SELECT count(*) FROM events WHERE stream_id LIKE 'HZ-%'"
LIFECYCLE = ["hazard_reported", "graded", "rectification_submitted", "reviewed"]
REPORT = {**BASELINE_REPORT, "enterprise_id": ENT, "region": REGION}


@dataclass
class Proc:
    """One `hazardloop` process, restartable with the same arguments (an API on the same port)."""

    args: list[str]
    env: dict[str, str]
    log: Path
    proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = await asyncio.create_subprocess_exec(
                HAZARDLOOP, *self.args, env=self.env, stdout=out, stderr=out
            )

    async def kill(self) -> None:
        assert self.proc is not None and self.proc.returncode is None, f"{self.args} died: {self.log}"
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


@dataclass
class Driver:
    """Sends each request to one of the APIs at random; a cut connection or a 503 is retried with the
    same Idempotency-Key (on either API), as a client should."""

    apis: list[str]
    rng: random.Random
    tokens: dict[str, dict[str, str]]
    prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    answers: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=dict)
    cut: set[str] = field(default_factory=set)  # keys whose first try got no answer
    retries: int = 0

    async def call(self, http: httpx.AsyncClient, url: str, who: str, body: dict[str, Any], key: str) -> Any:
        key = f"{self.prefix}:{key}"
        for _ in range(600):
            try:
                r = await http.post(
                    self.rng.choice(self.apis) + url,
                    json=body,
                    headers={**self.tokens[who], "Idempotency-Key": key},
                    timeout=90,
                )
            except httpx.TransportError:
                self.cut.add(key)
                r = None
            if r is not None and r.status_code in (200, 201):
                self.answers[key] = (url, body, {"who": who, "answer": r.json()})
                return r.json()
            if r is not None and r.status_code not in (502, 503, 504):
                raise AssertionError(f"{key} {body.get('type', 'report')}: {r.status_code} {r.text}")
            self.retries += 1
            await asyncio.sleep(0.2)
        raise AssertionError(f"{key}: gave up")

    async def lifecycle(self, http: httpx.AsyncClient, n: int) -> str:
        hid = str((await self.call(http, "/v1/hazards", "ent", REPORT, f"rep-{n}"))["id"])
        url = f"/v1/hazards/{hid}/commands"
        await self.call(http, url, "insp", {"type": "grade", "level": "general"}, f"g-{n}")
        await self.call(http, url, "ent", {"type": "submit_rectification", "summary": "s"}, f"s-{n}")
        await self.call(http, url, "sup", {"type": "review", "passed": True, "comment": "ok"}, f"r-{n}")
        return hid


async def count(engine: Any, sql: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_two_apis_and_three_workers_killed_and_restarted_lose_and_double_nothing(
    dev_env, db_url
) -> None:
    temporal = dev_env.client.service_client.config.target_host
    logs = world_traversable_tmpdir("hazardloop-scale-out-")
    base = {k: v for k, v in os.environ.items() if not k.startswith("HAZARDLOOP_")}
    env = {
        **base,
        "HAZARDLOOP_TEMPORAL_ADDRESS": temporal,
        "HAZARDLOOP_DATABASE_URL": db_url,
        "HAZARDLOOP_TEMPORAL_TASK_QUEUE": unique_queue("scale"),
        "HAZARDLOOP_SEAL_KEY": TEST_SEAL_KEY,
        "HAZARDLOOP_JWT_SECRET": JWT,
        "HAZARDLOOP_POLICY": "cn-national",  # no clock fires within the test: every stream is exact
        "HAZARDLOOP_WEBHOOK_ALLOW_PRIVATE": "true",
        "HAZARDLOOP_DATA_DIR": str(logs),
        "HAZARDLOOP_LOG_LEVEL": "WARNING",
        "HAZARDLOOP_DELIVERY_BACKOFF_SECONDS": "0.5",
    }
    ports = [free_port(), free_port()]
    apis = [
        # the second runs uvicorn from its import string with two server processes (the compose command)
        Proc(["api"], {**env, "HAZARDLOOP_API_PORT": str(ports[0])}, logs / "api-0.log"),
        Proc(["api", "--workers", "2"], {**env, "HAZARDLOOP_API_PORT": str(ports[1])}, logs / "api-1.log"),
    ]
    workers = [Proc(["worker"], env, logs / f"worker-{i}.log") for i in range(3)]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    settings = Settings(jwt_secret=JWT, data_dir=logs)

    def token(sub: str, role: str, region: str, enterprise_id: str | None = None) -> dict[str, str]:
        tok = mint_token(settings, sub=sub, role=role, region=region, enterprise_id=enterprise_id)
        return {"Authorization": f"Bearer {tok}"}

    tokens = {
        "ent": token("ent-1", "enterprise", REGION, ENT),
        "insp": token("insp-1", "inspector", REGION),
        "sup": token("sup-1", "supervisor", CITY),
        "auditor": token("aud-1", "auditor", "000000"),
    }
    engine = make_engine(db_url)
    kills: list[str] = []
    try:
        with webhook_receiver() as (hooks, hook_url):
            for p in (*workers, *apis):
                await p.start()
            async with httpx.AsyncClient(limits=httpx.Limits(max_connections=IN_FLIGHT * 2)) as http:
                last: dict[str, str] = {}

                async def ready() -> bool:
                    for u in urls:
                        try:
                            r = await http.get(f"{u}/readyz", timeout=10)
                            last[u] = f"{r.status_code} {r.text[:300]}"
                        except httpx.TransportError as e:
                            last[u] = type(e).__name__
                    return all(v.startswith("200 ") for v in last.values())

                try:  # five processes start at once; slow on a loaded 2-core machine
                    await eventually(ready, "both APIs ready", within=240)
                except AssertionError as e:
                    raise AssertionError(f"{e}: {last}; logs in {logs}") from e
                # every notice of the lifecycle goes to a webhook: the enterprise, the inspector, the city
                sup = tokens["sup"]
                r = await http.put(
                    f"{urls[0]}/v1/enterprises/{ENT}/responsible",
                    headers=sup,
                    json={
                        "region": REGION,
                        "persons": [{"role": "enterprise", "name": "张", "webhook_url": f"{hook_url}/ent"}],
                    },
                )
                assert r.status_code == 200, r.text
                hooks.secrets |= secrets_by_path(r.json()["persons"])
                for code, role, path in ((REGION, "inspector", "insp"), (CITY, "supervisor", "city")):
                    r = await http.put(
                        f"{urls[1]}/v1/regions/{code}/contacts",
                        headers=sup,
                        json={"persons": [{"role": role, "name": path, "webhook_url": f"{hook_url}/{path}"}]},
                    )
                    assert r.status_code == 200, r.text
                    hooks.secrets |= secrets_by_path(r.json()["persons"])

                driver = Driver(urls, random.Random(20), tokens)
                stop = asyncio.Event()

                async def chaos() -> None:
                    """SIGKILL a worker, then the plain API, then another worker, each once the system
                    has made progress since the last kill (so each dies mid-flight), restarting each."""
                    plan = [workers[0], apis[0], workers[1], workers[2]]
                    for victim in plan:
                        base_events = await count(engine, "SELECT count(*) FROM events")
                        while not stop.is_set():
                            if await count(engine, "SELECT count(*) FROM events") >= base_events + 40:
                                break
                            await asyncio.sleep(0.1)
                        if stop.is_set():
                            return
                        await victim.kill()
                        kills.append(" ".join(victim.args))
                        await victim.start()

                gate = asyncio.Semaphore(IN_FLIGHT)

                async def one(n: int) -> str:
                    async with gate:
                        return await driver.lifecycle(http, n)

                killer = asyncio.create_task(chaos())
                try:
                    ids = await asyncio.wait_for(asyncio.gather(*(one(n) for n in range(LIFECYCLES))), 480)
                finally:
                    stop.set()
                    await killer
                assert len(kills) >= 3 and "api" in kills, f"killed {kills}: too few mid-flight"
                assert len(set(ids)) == LIFECYCLES

                # every stream exact, its chain intact, its projection at the end
                async with engine.connect() as conn:
                    for hid in ids:
                        stream = await read_stream(conn, hid)
                        assert [e.version for e in stream] == [1, 2, 3, 4], (hid, [e.version for e in stream])
                        assert [e.type for e in stream] == LIFECYCLE, (hid, [e.type for e in stream])
                        assert chain_findings(stream) == [], hid
                        row = (
                            await conn.execute(
                                text("SELECT status, version FROM cases WHERE id = :i"), {"i": hid}
                            )
                        ).one()
                        assert (row.status, row.version) == ("closed", 4), hid
                    # the other streams (the enterprise's record, told by every hazard): no gap, chain intact
                    others = await conn.execute(
                        text("SELECT DISTINCT stream_id FROM events WHERE NOT (stream_id = ANY(:ids))"),
                        {"ids": ids},
                    )
                    for (other,) in others.all():
                        stream = await read_stream(conn, other)
                        assert [e.version for e in stream] == list(range(1, len(stream) + 1)), other
                        assert chain_findings(stream) == [], other
                assert await count(engine, HAZARD_EVENTS) == 4 * LIFECYCLES

                # the event store equals what each workflow's history implies (a sample: the full check
                # reads every history), through either API
                for i, hid in enumerate(random.Random(3).sample(ids, 4)):
                    r = await http.get(
                        f"{urls[i % 2]}/v1/hazards/{hid}/audit/verify", headers=tokens["auditor"], timeout=120
                    )
                    assert r.status_code == 200 and r.json()["ok"], r.text

                # every command applied once: a cut request's key answers again without recording anything,
                # a command with its first answer, a creation with the case it created (200, not 201:
                # docs/http-api.md#idempotency)
                cut = sorted(driver.cut)
                for key in cut:
                    url, body, first = driver.answers[key]
                    r = await http.post(
                        urls[1] + url,
                        json=body,
                        headers={**tokens[first["who"]], "Idempotency-Key": key},
                        timeout=90,
                    )
                    if url == "/v1/hazards":
                        assert r.status_code == 200 and r.json()["id"] == first["answer"]["id"], (key, r.text)
                    else:
                        assert r.status_code == 200 and r.json() == first["answer"], (key, r.text)
                assert await count(engine, HAZARD_EVENTS) == 4 * LIFECYCLES

                # every notification delivered, each delivery key received once (twice only when a killed
                # worker's lease lapsed and the next attempt re-sent it), signed with its endpoint's secret
                async def delivered() -> bool:
                    pending = await count(
                        engine, "SELECT count(*) FROM deliveries WHERE status <> 'delivered'"
                    ) + await count(engine, "SELECT count(*) FROM notifications WHERE status = 'pending'")
                    return pending == 0

                await eventually(delivered, "every notification delivered", within=200)
                async with engine.connect() as conn:
                    rows = (
                        await conn.execute(text("SELECT idempotency_key, attempts FROM deliveries"))
                    ).all()
                    notices = int(
                        (await conn.execute(text("SELECT count(*) FROM notifications"))).scalar_one()
                    )
                received = Counter(key for *_, key in hooks.got)
                assert notices >= 2 * LIFECYCLES and len(rows) >= notices, (notices, len(rows))
                assert set(received) == {r.idempotency_key for r in rows}
                assert all(ok for _, _, ok, _ in hooks.got), "a webhook was signed with another secret"
                resent = {r.idempotency_key for r in rows if r.attempts > 1}
                doubled = {k for k, c in received.items() if c > 1}
                assert doubled <= resent, doubled - resent
    finally:
        for p in (*apis, *workers):
            await p.stop()
        await engine.dispose()
