# ruff: noqa: E501  (a benchmark script: long table lines read better unwrapped)
"""The daily storm (issue 19, Scale): N enterprises of one region owe a daily report due at the same
15:00; a tenth file before it, the rest miss it. Measured, in one run on the same servers, the time from
the deadline until every missed report is recorded (event + projection row) and noticed (two outbox
notices each), and its rate, for

- **sweep** (the chosen design): the 15:00 schedule's DailyReportSweepWorkflow, recording the missed
  reports set-based in batches of 1,000 through one activity (one statement per batch);
- **per-enterprise** (the design not chosen): one duty workflow per enterprise sleeping until the
  deadline, then recording its own missed report through the same store code (bench/daily_duty.py);
- **skeleton** (the baseline): one workflow per enterprise doing one timer until the deadline and one
  bare INSERT.

Nothing lost: each side's rows are counted after it. Worker memory: this process's RSS (it hosts the
worker) sampled every 0.2 s during each side.

    python -m bench.run --daily-storm 20000    # one size alone, writes bench/results-daily-storm.json
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.client import Client

from activities.daily_contracts import DailySweepInput, DailySweepResult
from activities.daily_reports import DailyReportActivities
from activities.store import StoreActivities
from bench.daily_duty import BenchDailyDutyWorkflow, DutyInput
from domain.actors import Actor, Role
from domain.duties.daily import DailyReportRule, deadline, filed_event, rule_of
from domain.policy import PolicyPack, parse_pack
from runtime.settings import REPO_ROOT
from store.daily_reports import file_report, record_missed
from store.db import make_engine
from worker import build_worker
from workflows.daily_reports import DailyReportSweepWorkflow

REGION = "500107"
PACK = parse_pack((REPO_ROOT / "policies" / "test-fast.toml").read_text())
RULE = rule_of(PACK) or DailyReportRule()
# three working days (Mon–Wed; the test pack has no holidays), one per side, so their streams never meet
DAYS = {"sweep": date(2026, 11, 23), "per_enterprise": date(2026, 11, 24), "skeleton": date(2026, 11, 25)}


class StormActivities:
    def __init__(self, engine: AsyncEngine, pack: PolicyPack) -> None:
        self.engine = engine
        self.pack = pack

    @activity.defn(name="bench_skeleton_insert_one")
    async def skeleton_insert(self, inp: DutyInput) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO bench_daily_skeleton (id) VALUES (:id) ON CONFLICT DO NOTHING"),
                {"id": inp.enterprise_id},
            )

    @activity.defn(name="bench_duty_missed_one")
    async def duty_missed(self, inp: DutyInput) -> None:
        async with self.engine.begin() as conn:
            await record_missed(conn, RULE, self.pack.ref, inp.day, [(inp.enterprise_id, inp.region)])


async def prepare(engine: AsyncEngine, n: int) -> list[str]:
    """N enterprises registered in one region; a tenth of them file each side's day before 15:00.
    Returns the ids that miss."""
    ids = [f"E{i:06d}" for i in range(n)]
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_daily_skeleton (id text PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())"
            )
        )
        await conn.execute(
            text("INSERT INTO enterprises (enterprise_id, region) SELECT unnest(CAST(:ids AS text[])), :r"),
            {"ids": ids, "r": REGION},
        )
    filers = ids[::10]
    for day in DAYS.values():
        async with engine.begin() as conn:
            for ent in filers:
                at = deadline(RULE, day) - timedelta(hours=1)
                actor = Actor(id=f"u-{ent}", role=Role.enterprise, region=REGION, enterprise_id=ent)
                data = filed_event(
                    RULE,
                    PACK.work_calendar,
                    enterprise_id=ent,
                    region=REGION,
                    day=day,
                    filed_at=at,
                    nothing_found=True,
                    hazard_ids=[],
                    note="",
                )
                await file_report(conn, RULE, PACK.ref, actor, data, filed_at=at, command_id=f"bench:{day}")
    return [e for e in ids if e not in set(filers)]


class Rss:
    """This process's RSS sampled every 0.2 s while the block runs."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.samples: list[float] = []

    async def _run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.samples.append(self.proc.memory_info().rss / 2**20)
            try:
                await asyncio.wait_for(stop.wait(), 0.2)
            except TimeoutError:
                pass

    async def __aenter__(self) -> Rss:
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self._run(self.stop))
        return self

    async def __aexit__(self, *_: object) -> None:
        self.stop.set()
        await self.task

    def figures(self) -> dict[str, float]:
        s = self.samples or [0.0]
        return {
            "rss_start_mb": round(s[0], 1),
            "rss_peak_mb": round(max(s), 1),
            "rss_growth_mb": round(max(s) - s[0], 1),
        }


async def counts(engine: AsyncEngine, day: date) -> dict[str, int]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM events WHERE kind = 'daily_report' AND type = 'daily_report_missed' AND data->>'day' = :d) AS missed,"
                    " (SELECT count(*) FROM daily_reports WHERE day = CAST(:d AS date) AND missed_at IS NOT NULL) AS rows,"
                    " (SELECT count(*) FROM notifications WHERE case_kind = 'daily_report' AND data->>'day' = :d) AS notices"
                ),
                {"d": day.isoformat()},
            )
        ).one()
    return {"missed": int(row.missed), "rows": int(row.rows), "notices": int(row.notices)}


async def last_recorded(engine: AsyncEngine, side: str, day: date) -> datetime:
    q = (
        "SELECT max(at) FROM bench_daily_skeleton"
        if side == "skeleton"
        else "SELECT max(recorded_at) FROM events WHERE kind = 'daily_report' AND type = 'daily_report_missed' AND data->>'day' = :d"
    )
    async with engine.connect() as conn:
        at: datetime = (await conn.execute(text(q), {"d": day.isoformat()})).scalar_one()
    return at


async def per_workflow(
    client: Client, queue: str, engine: AsyncEngine, side: str, missing: list[str]
) -> dict[str, Any]:
    """One workflow per enterprise, every timer set to the same instant: started first (not timed), then
    timed from that instant to the last row recorded."""
    day = DAYS[side]
    lead = 10 + len(missing) / 30  # time to start them all before the deadline
    due = datetime.now(UTC) + timedelta(seconds=lead)
    act = "bench_skeleton_insert_one" if side == "skeleton" else "bench_duty_missed_one"
    sem = asyncio.Semaphore(100)
    run = uuid.uuid4().hex[:6]

    async def start(ent: str) -> Any:
        async with sem:
            return await client.start_workflow(
                BenchDailyDutyWorkflow.run,
                DutyInput(enterprise_id=ent, region=REGION, day=day, deadline=due, activity=act),
                id=f"storm-{side}-{run}-{ent}",
                task_queue=queue,
            )

    async with Rss() as rss:
        handles = await asyncio.gather(*(start(e) for e in missing))
        started = datetime.now(UTC)
        sem2 = asyncio.Semaphore(200)

        async def wait(h: Any) -> None:
            async with sem2:
                await h.result()

        await asyncio.gather(*(wait(h) for h in handles))
    last = await last_recorded(engine, side, day)
    # timed from the deadline, or from the last start when starting them all took longer (then the
    # timers that fired meanwhile are not counted: the figure flatters this side)
    origin = max(due, started)
    took = (last - origin).total_seconds()
    out: dict[str, Any] = {
        "owed_missed": len(missing),
        "seconds": round(took, 2),
        "per_s": round(len(missing) / took, 1) if took > 0 else None,
        "all_started_before_deadline": started < due,
        "started_after_deadline_s": round(max(0.0, (started - due).total_seconds()), 2),
        **rss.figures(),
    }
    if side == "skeleton":
        async with engine.connect() as conn:
            out["recorded"] = int(
                (await conn.execute(text("SELECT count(*) FROM bench_daily_skeleton"))).scalar_one()
            )
    else:
        out |= await counts(engine, day)
    return out


async def sweep(client: Client, queue: str, engine: AsyncEngine, missing: list[str]) -> dict[str, Any]:
    """The schedule's action at the deadline: one sweep workflow, timed from its start to its end."""
    day = DAYS["sweep"]
    async with Rss() as rss:
        t = time.perf_counter()
        started = datetime.now(UTC)
        result: DailySweepResult = await client.execute_workflow(
            DailyReportSweepWorkflow.run,
            DailySweepInput(policy=PACK, day=day),
            id=f"storm-sweep-{uuid.uuid4().hex[:6]}",
            task_queue=queue,
        )
        took = time.perf_counter() - t
    last = await last_recorded(engine, "sweep", day)
    return {
        "owed_missed": len(missing),
        "seconds": round(took, 2),
        "per_s": round(len(missing) / took, 1),
        "last_recorded_after_start_s": round((last - started).total_seconds(), 2),
        "batches": result.batches,
        **rss.figures(),
        **await counts(engine, day),
    }


async def run(
    client: Client, db_url: str, n: int, *, per_enterprise: bool = True, skeleton: bool = True
) -> dict[str, Any]:
    engine = make_engine(db_url)
    queue = f"bench-storm-{uuid.uuid4().hex[:6]}"
    acts = StormActivities(engine, PACK)
    worker = build_worker(
        client,
        queue,
        StoreActivities(engine),
        workflows=[DailyReportSweepWorkflow, BenchDailyDutyWorkflow],
        extra_activities=[
            DailyReportActivities(engine).sweep_daily_reports,
            acts.skeleton_insert,
            acts.duty_missed,
        ],
        extra_passthrough=["bench.daily_duty"],
    )
    try:
        missing = await prepare(engine, n)
        out: dict[str, Any] = {"n": n, "filed_before_deadline": n - len(missing)}
        async with worker:
            if skeleton:
                out["skeleton"] = await per_workflow(client, queue, engine, "skeleton", missing)
            out["sweep"] = await sweep(client, queue, engine, missing)
            if per_enterprise:
                out["per_enterprise"] = await per_workflow(client, queue, engine, "per_enterprise", missing)
        base = (out["skeleton"]["per_s"] or 0.0) if skeleton else 0.0
        for side in ("sweep", "per_enterprise"):
            if side in out and base:
                out[side]["ratio"] = round(out[side]["per_s"] / base, 2)
        return out
    finally:
        await engine.dispose()


def lines(s: dict[str, Any]) -> list[str]:
    out = [
        f"daily storm   N={s['n']} enterprises, {s['filed_before_deadline']} filed before 15:00, {s['sweep']['owed_missed']} missed"
    ]
    for side in ("sweep", "per_enterprise", "skeleton"):
        if side in s:
            v = s[side]
            extra = f"  ratio {v['ratio']}" if "ratio" in v else ""
            lost = f"  recorded {v.get('missed', v.get('recorded'))} rows {v.get('rows', '-')} notices {v.get('notices', '-')}"
            out.append(
                f"              {side:15} {v['seconds']:>8} s  {v['per_s']:>8}/s{extra}{lost}  RSS {v['rss_start_mb']}→{v['rss_peak_mb']} MB"
            )
    return out
