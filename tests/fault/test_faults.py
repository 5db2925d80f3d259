"""Fault tests against the real servers: a worker SIGKILLed again and again mid-lifecycle, PostgreSQL
restarted under load, the Temporal dev server restarted on its persisted database, duplicate delivery of
a command and of an activity. Every test is bounded in time; waits poll for a condition."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from temporalio.client import Client

from activities.contracts import EventData, RecordEventsInput
from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.policy import parse_pack
from harness.apptest import App, running_app
from harness.servers import PgServer, register_search_attributes, world_traversable_tmpdir
from runtime.embedded import free_port, venv_binary
from runtime.settings import REPO_ROOT
from runtime.temporal_client import data_converter
from store.db import make_engine
from store.events import read_stream, verify_chain
from tests.support.poll import eventually

pytestmark = pytest.mark.timeout(300)
REGION, ENT = "500107", "ENT-F"
REPORT = {
    "title": "t",
    "enterprise_id": ENT,
    "region": REGION,
    "source": "self_inspection",
    "category": "unsafe_act",
}


class Lifecycle:
    """Drives one general hazard through report → grade → rectification → review over the API, retrying
    a 503 (a dependency down) with the same Idempotency-Key, as a client should."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.ent = app.token("ent-1", "enterprise", REGION, ENT)
        self.insp = app.token("insp-1", "inspector", REGION)
        self.sup = app.token("sup-1", "supervisor", "500100")
        self.retries = 0
        # keys name workflow ids on a Temporal server shared by the whole test session: unique per test
        self.prefix = uuid.uuid4().hex[:10]

    async def call(self, url: str, who: dict[str, str], body: dict[str, Any], key: str) -> dict[str, Any]:
        for _ in range(300):
            try:
                headers = {**who, "Idempotency-Key": f"{self.prefix}:{key}"}
                r = await self.app.http.post(url, json=body, headers=headers, timeout=30)
            except httpx.TransportError:
                r = None
            if r is not None and r.status_code in (200, 201):
                return dict(r.json())
            if r is not None and r.status_code not in (503, 504):
                raise AssertionError(f"{body.get('type', 'report')}: {r.status_code} {r.text}")
            self.retries += 1
            await asyncio.sleep(0.2)
        raise AssertionError("gave up")

    async def run(self, n: int) -> str:
        hid = (await self.call("/v1/hazards", self.ent, REPORT, f"rep-{n}"))["id"]
        url = f"/v1/hazards/{hid}/commands"
        await self.call(url, self.insp, {"type": "grade", "level": "general"}, f"g-{n}")
        await self.call(url, self.ent, {"type": "submit_rectification", "summary": "s"}, f"s-{n}")
        await self.call(url, self.sup, {"type": "review", "passed": True, "comment": "ok"}, f"r-{n}")
        return hid


LIFECYCLE = ["hazard_reported", "graded", "rectification_submitted", "reviewed"]


async def check_streams(app: App, ids: list[str], *, exact: bool = False) -> None:
    """Every stream: versions 1..n without gap or duplicate, chain intact, each command's event once
    (with `exact`, nothing else: no clock could fire)."""
    async with app.engine.connect() as conn:
        for hid in ids:
            stream = await read_stream(conn, hid)
            assert [e.version for e in stream] == list(range(1, len(stream) + 1)), hid
            assert verify_chain(stream) == [], hid
            types = [e.type for e in stream]
            for t in LIFECYCLE:
                assert types.count(t) == 1, (hid, types)
            if exact:
                assert types == LIFECYCLE, (hid, types)
            row = (
                await conn.execute(text("SELECT status, version FROM cases WHERE id = :i"), {"i": hid})
            ).one()
            assert (row.status, row.version) == ("closed", len(stream)), hid


def worker_process(app: App) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HAZARDLOOP_TEMPORAL_ADDRESS": app.settings.resolved_temporal_address,
        "HAZARDLOOP_DATABASE_URL": app.settings.resolved_database_url,
        "HAZARDLOOP_TEMPORAL_TASK_QUEUE": app.settings.temporal_task_queue,
        "HAZARDLOOP_DATA_DIR": str(app.settings.data_dir),
        "HAZARDLOOP_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "starter.cli", "worker"],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


HAZARDS = 200  # moving through their lifecycles while the worker is killed


async def test_a_worker_killed_again_and_again_loses_and_doubles_nothing(dev_env, db_url) -> None:
    # the national pack: no clock of these hazards can fire within the test, so a slow lifecycle (three
    # kills, 200 in flight) cannot meet a lapsed deadline and every stream holds just its four commands
    async with running_app(dev_env.client, db_url, with_worker=False, policy="cn-national") as app:
        proc = worker_process(app)
        kills = 0

        async def events() -> int:
            async with app.engine.connect() as conn:
                return int((await conn.execute(text("SELECT count(*) FROM events"))).scalar_one())

        async def chaos(stop: asyncio.Event) -> None:
            """Kill the worker each time it has made some progress (so it dies mid-flight), three times."""
            nonlocal proc, kills
            while kills < 3 and not stop.is_set():
                base = await events()
                for _ in range(600):  # bounded: until this worker has recorded a few events
                    if stop.is_set() or await events() >= base + 8:
                        break
                    await asyncio.sleep(0.1)
                if stop.is_set():
                    return
                proc.send_signal(signal.SIGKILL)
                await asyncio.to_thread(proc.wait)
                kills += 1
                proc = worker_process(app)

        driver = Lifecycle(app)
        stop = asyncio.Event()
        killer = asyncio.create_task(chaos(stop))
        try:
            ids = await asyncio.wait_for(asyncio.gather(*(driver.run(n) for n in range(HAZARDS))), 600)
        finally:
            stop.set()
            await killer
            proc.send_signal(signal.SIGTERM)
            await asyncio.to_thread(proc.wait)
        assert kills >= 2, "the worker was killed while hazards were in flight"
        assert len(set(ids)) == HAZARDS
        await check_streams(app, ids, exact=True)


async def test_the_same_command_twice_with_one_key_is_applied_once(dev_env, db_url) -> None:
    async with running_app(dev_env.client, db_url) as app:
        d = Lifecycle(app)
        first = await d.call("/v1/hazards", d.ent, REPORT, "same-report")
        again = await d.call("/v1/hazards", d.ent, REPORT, "same-report")
        assert first["id"] == again["id"]
        url = f"/v1/hazards/{first['id']}/commands"
        a = await d.call(url, d.insp, {"type": "grade", "level": "general"}, "same-grade")
        b = await d.call(url, d.insp, {"type": "grade", "level": "general"}, "same-grade")
        assert a["case"]["version"] == b["case"]["version"] == 2
        async with app.engine.connect() as conn:
            assert [e.type for e in await read_stream(conn, first["id"])] == ["hazard_reported", "graded"]


async def test_the_same_record_events_activity_twice_leaves_one_copy(db_url) -> None:
    engine = make_engine(db_url)
    store = StoreActivities(engine)
    pack = parse_pack((REPO_ROOT / "policies" / "test-fast.toml").read_text())
    actor = Actor(id="insp-1", role=Role.inspector, region=REGION)
    from domain.decider import Context
    from domain.hazard import HAZARD

    now = datetime.now(UTC)
    events = HAZARD.decide(
        HAZARD.initial_state(),
        HAZARD.parse_command({**REPORT, "type": "report", "source": "inspection"}),
        Context(actor=actor, now=now, policy=pack, case_id="HZ-DUP"),
    )
    inp = RecordEventsInput(
        stream_id="HZ-DUP",
        kind="hazard",
        expected_version=0,
        events=[EventData(type=e.type, data=e.model_dump(mode="json")) for e in events],
        actor=actor,
        occurred_at=now,
        policy=pack.ref,
        command_id="c-1",
    )
    first = await store.record_events(inp)
    second = await store.record_events(inp)  # a retried activity after a lost acknowledgement
    assert first.version == second.version == 1
    async with engine.connect() as conn:
        assert len(await read_stream(conn, "HZ-DUP")) == 1
        assert (
            await conn.execute(text("SELECT count(*) FROM notifications WHERE case_id = 'HZ-DUP'"))
        ).scalar_one() == 1
    await engine.dispose()


@pytest.fixture
async def own_pg() -> AsyncIterator[PgServer]:
    pg = PgServer()
    await pg.start()
    yield pg
    pg.stop()


async def test_postgres_restarted_mid_run_503s_then_recovers_and_loses_nothing(dev_env, own_pg) -> None:
    async with running_app(dev_env.client, await own_pg.fresh_database(), allow_status=(503,)) as app:
        d = Lifecycle(app)
        before = [await d.run(n) for n in range(3)]
        hid = (await d.call("/v1/hazards", d.ent, REPORT, "during"))["id"]
        await asyncio.to_thread(own_pg.server.stop)
        r = await app.http.get(f"/v1/hazards/{hid}", headers=d.sup)
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json", r.text
        assert (await app.http.get("/readyz")).status_code == 503
        # a command sent while the database is down: the activity retries until it is back
        pending = asyncio.create_task(
            d.call(
                f"/v1/hazards/{hid}/commands", d.insp, {"type": "grade", "level": "general"}, "during-grade"
            )
        )
        await asyncio.sleep(1.0)  # the fault lasts a moment
        await asyncio.to_thread(own_pg.server.start)

        async def ready() -> bool:
            return (await app.http.get("/readyz")).status_code == 200

        await eventually(ready, "readiness after the restart")
        case = await asyncio.wait_for(pending, 60)
        assert case["case"]["status"] == "rectifying"
        await d.call(
            f"/v1/hazards/{hid}/commands", d.ent, {"type": "submit_rectification", "summary": "s"}, "d-s"
        )
        await d.call(
            f"/v1/hazards/{hid}/commands", d.sup, {"type": "review", "passed": True, "comment": "ok"}, "d-r"
        )
        await check_streams(app, [*before, hid])


async def test_temporal_restarted_on_its_database_keeps_cases_and_their_deadlines(db_url) -> None:
    """Open cases and a pending deadline survive a dev-server restart on its persisted SQLite file."""
    data = world_traversable_tmpdir("hazardloop-temporal-restart-")
    port = free_port()

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                venv_binary("temporal"),
                "server",
                "start-dev",
                "--port",
                str(port),
                "--headless",
                "--db-filename",
                str(Path(data) / "temporal.db"),
                "--log-level",
                "error",
                "--sqlite-pragma",
                "journal_mode=wal",
                "--sqlite-pragma",
                "synchronous=normal",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def connect() -> Client:
        for _ in range(300):
            try:
                return await Client.connect(f"127.0.0.1:{port}", data_converter=data_converter())
            except RuntimeError:
                await asyncio.sleep(0.1)
        raise AssertionError("the dev server did not come up")

    server = start()
    try:
        client = await connect()
        await register_search_attributes(client)
        async with running_app(client, db_url) as app:
            d = Lifecycle(app)
            hid = (await d.call("/v1/hazards", d.ent, REPORT, f"t-{uuid.uuid4().hex}"))["id"]
            deadline = (datetime.now(UTC) + timedelta(seconds=8)).isoformat()
            await d.call(
                f"/v1/hazards/{hid}/commands",
                d.insp,
                {"type": "grade", "level": "general", "deadline": deadline},
                "t-g",
            )
            server.send_signal(signal.SIGTERM)
            await asyncio.to_thread(server.wait)
            server = start()

            async def overdue() -> bool:
                r = await app.http.get(f"/v1/hazards/{hid}", headers=d.sup)
                return r.status_code == 200 and r.json()["overdue"] is True

            await eventually(overdue, "the deadline to fire after the restart", within=90)
            async with app.engine.connect() as conn:
                types = [e.type for e in await read_stream(conn, hid)]
            assert types[:2] == ["hazard_reported", "graded"] and "went_overdue" in types
    finally:
        server.send_signal(signal.SIGTERM)
        await asyncio.to_thread(server.wait)
