# ruff: noqa: E501  (a benchmark script: long table lines read better unwrapped)
"""The service as deployed (issue #21): the API and the worker in their own processes, started by the same
entry points `hazardloop dev` and docker-compose run (`python -m starter.cli api`, `... worker`), driven
over real HTTP with 50 lifecycles in flight, against a plain skeleton of the same history shape
(harness/skeleton.py `PlainSkeletonWorkflow`: 4 updates, 4 INSERT activities, 3 timers; the SDK's default
data converter, no codec) whose worker also runs in its own process, on the same dev server (SQLite WAL
pragmas, as `hazardloop dev`) and the same embedded PostgreSQL, in interleaved rounds.

    .venv/bin/python -m bench.deployed [--quick]      # its own servers; prints the tables, one JSON line

`bench/run.py` calls `measure(...)` on its servers. Figures:
- lifecycles/s of each side, summed over interleaved rounds (service, skeleton, service, …), and the ratio;
- CPU ms per lifecycle by process: API, worker (the service's) or the skeleton's worker, the dev server,
  PostgreSQL (the postmaster and its backends), and this process (the load generator, left out of the
  totals). psutil `cpu_times` of exactly these processes, found by pid and by their data directory / port,
  so the other programs on a shared machine do not count;
- command latency idle: one command at a time (order / lift a stop-work over 20 graded hazards) against one
  plain skeleton update + INSERT at a time (over 20 skeletons), p50/p95/p99;
- command latency under load: every grade / submit_rectification / review of the rounds' lifecycles
  against every step update of the skeleton's, each under its own side's 50 in flight;
- where a command under load spends its time, per stage, p50/p95, from the histories' event times (the
  dev server's clock; the same machine's as this process's): the API's part before the update reaches the
  server (HTTP receive, token, parse, the per-command database read, the update RPC), the workflow task's
  queue wait and run (the update accepted, `record_events` scheduled), the activity's queue wait and run,
  what comes between the activity's completion and the workflow task that completes the update ("after
  activity": nothing for the skeleton; for a hazard, one more workflow task and the signal telling its
  enterprise's record, awaited before the command counts as done), that task's queue wait and run, then
  the API's part after (the update's result to the HTTP answer). The skeleton's stages are the same,
  its "api" the client's RPCs. The activity's queue wait reads 0: the worker runs the activity eagerly,
  its Started event carries the scheduled time, so "activity run" holds the wait inside the worker.

The service runs the national pack, as `hazardloop dev` does by default: under load a lifecycle takes
longer than the test pack's second-scale clocks (grading due in 30 s, reminders), which would fire
mid-lifecycle and add timers, activities and workflow tasks the skeleton has not (measured: 2x50
lifecycles with test-fast gave a ratio of 0.276 and an idle p50 of 226 ms against the skeleton's 42).
The dev server is started without `hazardloop dev`'s schedules (archiver, sweeps): their CPU is not a
lifecycle's. `dev_idle.py` measures the idle stack with them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from harness.baseline import REGION, REPORT, post_as_asked, stop_work_command
from harness.servers import TEST_SEAL_KEY, PgServer, world_traversable_tmpdir
from harness.skeleton import CREATE_TABLE, PlainSkeletonWorkflow
from runtime.embedded import free_port
from runtime.settings import Settings
from starter.auth import mint_token

JWT_SECRET = "bench-secret-0123456789-0123456789-abcdef"
IN_FLIGHT = 50
IDLE_CASES = 20
SIZES = {"full": {"rounds": 3, "per_round": 150, "idle": 100, "histories": 150}, "quick": {"rounds": 2, "per_round": 50, "idle": 8, "histories": 20}}  # fmt: skip
ET = EventType


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p * (len(s) - 1)))] if s else float("nan")


def ms(xs: list[float]) -> dict[str, float]:
    return {k: round(pct(xs, q) * 1000, 1) for k, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}


# --- processes -------------------------------------------------------------------------------------------


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _servers_pids(env: WorkflowEnvironment, pg: PgServer) -> dict[str, list[psutil.Process]]:
    """The dev server (its frontend port on the command line) and PostgreSQL (the postmaster of our data
    directory and its children): only ours, whatever else the shared machine runs."""
    port = env.client.service_client.config.target_host.rsplit(":", 1)[1]
    data = str(pg.root / "data")
    temporal, postgres = [], []
    for p in psutil.process_iter(["cmdline"]):
        cmd = p.info["cmdline"] or []
        if "start-dev" in cmd and port in cmd:
            temporal.append(p)
        elif any(data in c for c in cmd) and p.name() == "postgres":
            postgres.append(p)
    return {"temporal": temporal, "postgres": postgres}


class ProcMeter:
    """User + system CPU seconds of named groups of processes during a block. PostgreSQL's group takes the
    postmaster's children (its backends) too, sampled at both ends: a backend that ended in between is
    lost (the pools keep their connections, so few do). The other groups are single processes: this
    process's children (the servers, the API, the workers) are their own groups."""

    def __init__(self, groups: dict[str, list[psutil.Process]]) -> None:
        self.groups = groups
        self.seconds: dict[str, float] = {}

    def _sample(self) -> dict[tuple[str, int], float]:
        out: dict[tuple[str, int], float] = {}
        for name, procs in self.groups.items():
            for proc in procs:
                try:
                    family = [proc, *(proc.children(recursive=True) if name == "postgres" else [])]
                except psutil.Error:
                    continue
                for p in family:
                    try:
                        t = p.cpu_times()
                    except psutil.Error:
                        continue
                    out[(name, p.pid)] = t.user + t.system
        return out

    def __enter__(self) -> ProcMeter:
        self.start = self._sample()
        return self

    def __exit__(self, *_: object) -> None:
        self.seconds = dict.fromkeys(self.groups, 0.0)
        for (name, pid), cpu in self._sample().items():
            self.seconds[name] += cpu - self.start.get((name, pid), 0.0)


@dataclass
class Stack:
    http: httpx.AsyncClient
    service: Client  # the project's converter: fetches the hazards' histories
    plain: Client  # the SDK's default converter: drives the plain skeleton
    skq: str
    settings: Settings
    procs: dict[str, list[psutil.Process]]
    logs: Path


@asynccontextmanager
async def deployed(
    pg: PgServer, env: WorkflowEnvironment, *, worker_env: dict[str, str] | None = None
) -> AsyncIterator[Stack]:
    """A fresh database; the API and the worker as `hazardloop dev` runs them; the plain skeleton's
    worker (`--skeleton-worker`) in a third process."""
    db_url = await pg.fresh_database()
    target = env.client.service_client.config.target_host
    root = world_traversable_tmpdir("hazardloop-deployed-")
    port = free_port()
    queue, skq = f"deployed-{uuid.uuid4().hex[:6]}", f"plain-skeleton-{uuid.uuid4().hex[:6]}"
    base = {k: v for k, v in os.environ.items() if not k.startswith("HAZARDLOOP_")}
    base.update(
        HAZARDLOOP_DATA_DIR=str(root),
        HAZARDLOOP_TEMPORAL_ADDRESS=target,
        HAZARDLOOP_TEMPORAL_ENVCONFIG="false",
        HAZARDLOOP_TEMPORAL_TASK_QUEUE=queue,
        HAZARDLOOP_DATABASE_URL=db_url,
        HAZARDLOOP_API_HOST="127.0.0.1",
        HAZARDLOOP_API_PORT=str(port),
        HAZARDLOOP_JWT_SECRET=JWT_SECRET,
        HAZARDLOOP_SEAL_KEY=TEST_SEAL_KEY,
        HAZARDLOOP_POLICY="cn-national",  # as `hazardloop dev` (the test pack's second-scale clocks fire mid-lifecycle under load)
        HAZARDLOOP_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    cli = [sys.executable, "-m", "starter.cli"]
    worker = _spawn([*cli, "worker"], base | (worker_env or {}), root / "worker.log")
    api = _spawn([*cli, "api"], base, root / "api.log")
    sk = _spawn(
        [sys.executable, "-m", "bench.deployed", "--skeleton-worker", target, skq, db_url],
        base,
        root / "skeleton.log",
    )
    started = [worker, api, sk]
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}",
            timeout=120,
            limits=httpx.Limits(max_connections=2 * IN_FLIGHT),
        ) as http:
            deadline = time.monotonic() + 120
            while True:
                if any(p.poll() is not None for p in started) or time.monotonic() > deadline:
                    raise RuntimeError(f"the deployed stack did not come up: see the logs in {root}")
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.5)  # polling a starting process's port: nothing to await on
            procs = {
                "api": [psutil.Process(api.pid)],
                "worker": [psutil.Process(worker.pid)],
                "skeleton_worker": [psutil.Process(sk.pid)],
            }
            yield Stack(
                http=http,
                service=env.client,
                plain=await Client.connect(target),
                skq=skq,
                settings=Settings(jwt_secret=JWT_SECRET, data_dir=root),
                procs=procs | _servers_pids(env, pg),
                logs=root,
            )
    finally:
        for p in started:
            _stop(p)


async def skeleton_worker_main(target: str, queue: str, db_url: str) -> None:
    """`--skeleton-worker`: the plain skeleton's worker process, until SIGINT/SIGTERM."""
    from sqlalchemy import text

    from harness.skeleton import plain_skeleton_worker
    from store.db import make_engine

    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await conn.execute(text(CREATE_TABLE))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with plain_skeleton_worker(await Client.connect(target), queue, engine):
        await stop.wait()
    await engine.dispose()


# --- the two drivers ------------------------------------------------------------------------------------


@dataclass
class Sample:
    workflow_id: str
    update: int  # the update's index in its workflow's history (0: `created`)
    sent: float  # time.time(): comparable with the history's event times
    answered: float

    @property
    def took(self) -> float:
        return self.answered - self.sent


@dataclass
class Driver:
    stack: Stack
    samples: dict[str, list[Sample]] = field(default_factory=lambda: {"service": [], "skeleton": []})
    retries: int = 0

    def token(self, sub: str, role: str, region: str, enterprise_id: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {mint_token(self.stack.settings, sub=sub, role=role, region=region, enterprise_id=enterprise_id)}"
        }

    def __post_init__(self) -> None:
        self.ent = self.token("ent-1", "enterprise", REGION, REPORT["enterprise_id"])
        self.insp = self.token("insp-1", "inspector", REGION)
        self.sup = self.token("sup-1", "supervisor", "500100")

    async def post(self, url: str, who: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        """`post_as_asked` over real HTTP, a dropped connection retried too; the retries are counted, and
        their time stays in the command's latency."""
        answer, retries = await post_as_asked(self.stack.http, url, who, body, retry_dropped=True)
        self.retries += retries
        return answer

    async def timed(self, side: str, wid: str, update: int, call: Awaitable[Any], keep: bool) -> Any:
        sent = time.time()
        out = await call
        if keep:
            self.samples[side].append(Sample(wid, update, sent, time.time()))
        return out

    async def service(self, keep: bool = True, enterprise: str | None = None) -> str:
        """One general hazard's lifecycle; of `enterprise` (a token of its own) rather than the one shared."""
        ent, report = self.ent, REPORT
        if enterprise is not None:
            ent, report = (
                self.token(f"ent-{enterprise}", "enterprise", REGION, enterprise),
                REPORT | {"enterprise_id": enterprise},
            )
        hid = (await self.post("/v1/hazards", ent, report))["id"]
        url = f"/v1/hazards/{hid}/commands"
        steps = [
            (self.insp, {"type": "grade", "level": "general"}),
            (ent, {"type": "submit_rectification", "summary": "s"}),
            (self.sup, {"type": "review", "passed": True, "comment": "ok"}),
        ]
        for i, (who, body) in enumerate(steps, 1):
            await self.timed("service", hid, i, self.post(url, who, body), keep)
        return str(hid)

    async def skeleton(self, keep: bool = True, steps: int = 3) -> str:
        wid = f"PSK-{uuid.uuid4().hex[:12]}"
        h = await self.stack.plain.start_workflow(
            PlainSkeletonWorkflow.run, args=[wid, steps], id=wid, task_queue=self.stack.skq
        )
        await h.execute_update(PlainSkeletonWorkflow.created_update)
        for i in range(1, steps + 1):
            await self.timed("skeleton", wid, i, h.execute_update(PlainSkeletonWorkflow.step), keep)
        await h.result()
        return wid


async def gather_limited(n: int, limit: int, job: Callable[[], Awaitable[Any]]) -> list[Any]:
    sem = asyncio.Semaphore(limit)

    async def one() -> Any:
        async with sem:
            return await job()

    return list(await asyncio.gather(*(one() for _ in range(n))))


# --- per-stage breakdown from the histories -------------------------------------------------------------

STAGES = (
    "api in",
    "wft queue",
    "wft run",
    "activity queue",
    "activity run",
    "after activity",
    "wft2 queue",
    "wft2 run",
    "api out",
    "total",
)


def _t(e: HistoryEvent) -> float:
    return e.event_time.seconds + e.event_time.nanos / 1e9


def stages(events: list[HistoryEvent], sample: Sample, activity: str) -> dict[str, float] | None:
    """The stage durations of the update `sample.update` of a history, or None when its shape is not the
    plain one (a retried workflow task, say)."""
    by_id = {e.event_id: e for e in events}
    accepted = [e for e in events if e.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]
    if sample.update >= len(accepted):
        return None
    acc = accepted[sample.update]
    try:
        wft_c = next(
            e
            for e in reversed(events)
            if e.event_id < acc.event_id and e.event_type == ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        )
        wft_s = by_id[wft_c.workflow_task_completed_event_attributes.started_event_id]
        wft_q = by_id[wft_c.workflow_task_completed_event_attributes.scheduled_event_id]
        act = next(
            e
            for e in events
            if e.event_id > acc.event_id
            and e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            and e.activity_task_scheduled_event_attributes.activity_type.name == activity
        )
        act_s = next(
            e
            for e in events
            if e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_STARTED
            and e.activity_task_started_event_attributes.scheduled_event_id == act.event_id
        )
        act_c = next(
            e
            for e in events
            if e.event_type == ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
            and e.activity_task_completed_event_attributes.scheduled_event_id == act.event_id
        )
        done = next(
            e
            for e in events
            if e.event_type == ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
            and e.workflow_execution_update_completed_event_attributes.accepted_event_id == acc.event_id
        )
        wft2_c = next(
            e
            for e in reversed(events)
            if e.event_id < done.event_id and e.event_type == ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        )
        wft2_s = by_id[wft2_c.workflow_task_completed_event_attributes.started_event_id]
        wft2_q = by_id[wft2_c.workflow_task_completed_event_attributes.scheduled_event_id]
    except (StopIteration, KeyError):
        return None
    return {
        "api in": _t(wft_q) - sample.sent,
        "wft queue": _t(wft_s) - _t(wft_q),
        "wft run": _t(wft_c) - _t(wft_s),
        "activity queue": _t(act_s) - _t(act),
        "activity run": _t(act_c) - _t(act_s),
        "after activity": _t(wft2_q) - _t(act_c),
        "wft2 queue": _t(wft2_s) - _t(wft2_q),
        "wft2 run": _t(wft2_c) - _t(wft2_s),
        "api out": sample.answered - _t(wft2_c),
        "total": sample.took,
    }


async def breakdown(client: Client, samples: list[Sample], activity: str, limit: int) -> dict[str, Any]:
    by_wf: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_wf[s.workflow_id].append(s)
    rows: dict[str, list[float]] = defaultdict(list)
    skipped = 0
    for wid in list(by_wf)[:limit]:
        events = [e async for e in client.get_workflow_handle(wid).fetch_history_events()]
        for s in by_wf[wid]:
            got = stages(events, s, activity)
            if got is None:
                skipped += 1
                continue
            for k, v in got.items():
                rows[k].append(v)
    return {
        "commands": len(rows["total"]),
        "skipped": skipped,
        "stages_ms": {
            k: {"p50": round(pct(rows[k], 0.5) * 1000, 1), "p95": round(pct(rows[k], 0.95) * 1000, 1)}
            for k in STAGES
        },
    }


# --- the measurement ------------------------------------------------------------------------------------


async def idle_latency(d: Driver, count: int) -> dict[str, Any]:
    """One command at a time: order / lift a stop-work round-robin over graded hazards, against one plain
    skeleton step (update + INSERT) at a time round-robin over as many skeletons (as bench/run.py)."""
    cases = min(IDLE_CASES, count)
    urls = []
    for _ in range(cases):
        hid = (await d.post("/v1/hazards", d.ent, REPORT))["id"]
        urls.append(f"/v1/hazards/{hid}/commands")
        await d.post(urls[-1], d.insp, {"type": "grade", "level": "general"})
    service: list[float] = []
    for i in range(count):
        t = time.perf_counter()
        await d.post(urls[i % cases], d.sup, stop_work_command(i, cases))
        service.append(time.perf_counter() - t)
    handles = []
    for _ in range(cases):
        wid = f"PSK-LAT-{uuid.uuid4().hex[:8]}"
        handles.append(
            await d.stack.plain.start_workflow(
                PlainSkeletonWorkflow.run, args=[wid, count], id=wid, task_queue=d.stack.skq
            )
        )
        await handles[-1].execute_update(PlainSkeletonWorkflow.created_update)
    bare: list[float] = []
    for i in range(count):
        t = time.perf_counter()
        await handles[i % cases].execute_update(PlainSkeletonWorkflow.step)
        bare.append(time.perf_counter() - t)
    for h in handles:
        await h.terminate()
    return {
        "service": ms(service),
        "skeleton": ms(bare),
        "p50_ratio": round(pct(service, 0.5) / pct(bare, 0.5), 3),
    }


async def measure(
    pg: PgServer, env: WorkflowEnvironment, mode: str = "quick", *, worker_env: dict[str, str] | None = None
) -> dict[str, Any]:
    size = SIZES[mode]
    async with deployed(pg, env, worker_env=worker_env) as stack:
        d = Driver(stack)
        await gather_limited(5, 5, lambda: d.service(keep=False))  # warm: imports, sandbox, pools
        await gather_limited(5, 5, lambda: d.skeleton(keep=False))
        idle = await idle_latency(d, size["idle"])
        elapsed = {"service": 0.0, "skeleton": 0.0}
        cpu: dict[str, dict[str, float]] = {"service": defaultdict(float), "skeleton": defaultdict(float)}
        rounds: list[float] = []
        me = {"bench_client": [psutil.Process()]}
        for _ in range(size["rounds"]):
            rates = {}
            for side, job in (("service", d.service), ("skeleton", d.skeleton)):
                own = ("api", "worker") if side == "service" else ("skeleton_worker",)
                groups = {k: v for k, v in stack.procs.items() if k in (*own, "temporal", "postgres")}
                with ProcMeter(groups | me) as meter:
                    t = time.perf_counter()
                    await gather_limited(size["per_round"], IN_FLIGHT, job)
                    took = time.perf_counter() - t
                elapsed[side] += took
                rates[side] = size["per_round"] / took
                for g, v in meter.seconds.items():
                    cpu[side][g] += v
            rounds.append(round(rates["service"] / rates["skeleton"], 3))
        n = size["rounds"] * size["per_round"]
        per_lc = {side: {g: round(1000 * v / n, 1) for g, v in c.items()} for side, c in cpu.items()}
        for c in per_lc.values():
            c["total"] = round(sum(v for g, v in c.items() if g != "bench_client"), 1)
        service, bare = n / elapsed["service"], n / elapsed["skeleton"]
        s_lat = [s.took for s in d.samples["service"]]
        k_lat = [s.took for s in d.samples["skeleton"]]
        limit = size["histories"]
        return {
            "in_flight": IN_FLIGHT,
            "rounds": size["rounds"],
            "per_round": size["per_round"],
            "service_per_s": round(service, 2),
            "skeleton_per_s": round(bare, 2),
            "ratio": round(service / bare, 3),
            "round_ratios": rounds,
            "retried_503": d.retries,
            "cpu_ms_per_lifecycle": per_lc,
            "latency_idle": idle,
            "latency_under_load": {
                "service": ms(s_lat),
                "skeleton": ms(k_lat),
                "p95_ratio": round(pct(s_lat, 0.95) / pct(k_lat, 0.95), 3),
                "p99_ratio": round(pct(s_lat, 0.99) / pct(k_lat, 0.99), 3),
                "commands": [len(s_lat), len(k_lat)],
            },
            "breakdown": {
                "service": await breakdown(stack.service, d.samples["service"], "record_events", limit),
                "skeleton": await breakdown(
                    stack.plain, d.samples["skeleton"], "plain_skeleton_insert", limit
                ),
            },
        }


async def enterprises_ab(
    pg: PgServer, env: WorkflowEnvironment, rounds: int, per_round: int
) -> dict[str, Any]:
    """`--enterprises-ab`: on one deployed stack, rounds alternating the lifecycles of one enterprise (all
    of them telling one enterprise record, as `measure` runs them) with lifecycles each of its own
    enterprise (each record told by one case): CPU ms per lifecycle by process and lifecycles/s of each."""
    async with deployed(pg, env) as stack:
        d = Driver(stack)
        await gather_limited(5, 5, lambda: d.service(keep=False))
        out: dict[str, Any] = {"one": [], "own": []}
        groups = {k: v for k, v in stack.procs.items() if k in ("api", "worker", "temporal", "postgres")}
        for r in range(rounds):
            for side in ("one", "own"):

                def job(side: str = side) -> Awaitable[str]:
                    return d.service(False, None if side == "one" else f"ENT-AB-{uuid.uuid4().hex[:8]}")

                with ProcMeter(groups) as meter:
                    t = time.perf_counter()
                    await gather_limited(per_round, IN_FLIGHT, job)
                    took = time.perf_counter() - t
                cpu = {g: round(1000 * v / per_round, 1) for g, v in meter.seconds.items()}
                out[side].append(
                    {
                        "round": r,
                        "per_s": round(per_round / took, 2),
                        "cpu_ms": cpu | {"total": round(sum(cpu.values()), 1)},
                    }
                )
        return out | {"retried_503": d.retries}


def lines(r: dict[str, Any]) -> list[str]:
    c = r["cpu_ms_per_lifecycle"]
    li, ll = r["latency_idle"], r["latency_under_load"]
    out = [
        f"as deployed   {r['rounds']}x{r['per_round']} lifecycles a side, {r['in_flight']} in flight  service {r['service_per_s']}/s  plain skeleton {r['skeleton_per_s']}/s  ratio {r['ratio']}  (rounds {r['round_ratios']}; {r['retried_503']} requests retried (503 or dropped connection))",
        f"              CPU ms per lifecycle  service {dict(c['service'])}",
        f"                                    skeleton {dict(c['skeleton'])}",
        f"              latency idle   service {li['service']}  skeleton {li['skeleton']}  p50 ratio {li['p50_ratio']}",
        f"              latency load   service {ll['service']}  skeleton {ll['skeleton']}  p95 ratio {ll['p95_ratio']}  p99 ratio {ll['p99_ratio']}",
        "              stage (ms) p50/p95 under load: " + "  ".join(f"{k}" for k in STAGES),
    ]
    for side in ("service", "skeleton"):
        b = r["breakdown"][side]
        out.append(
            f"              {side:9} ({b['commands']} cmds) "
            + "  ".join(f"{v['p50']}/{v['p95']}" for v in b["stages_ms"].values())
        )
    return out


@contextmanager
def _quiet() -> Iterator[None]:
    from runtime.logging import configure_logging

    configure_logging("WARNING")
    yield


async def _main(mode: str) -> dict[str, Any]:
    from bench.run import servers

    pg, env = await servers()
    try:
        if mode == "enterprises-ab":
            return await enterprises_ab(pg, env, 2, 50)
        return await measure(pg, env, mode)
    finally:
        await env.shutdown()
        pg.stop()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--skeleton-worker"]:
        asyncio.run(skeleton_worker_main(*sys.argv[2:5]))
        sys.exit(0)
    if "--enterprises-ab" in sys.argv:
        with _quiet():
            print(json.dumps(asyncio.run(_main("enterprises-ab"))))
        sys.exit(0)
    with _quiet():
        res = asyncio.run(_main("quick" if "--quick" in sys.argv else "full"))
    print("\n".join(lines(res)))
    print(json.dumps(res))
