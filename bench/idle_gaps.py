"""Where an idle command's time goes between its activity and its answer (issue #21, idle latency).

    python -m bench.idle_gaps                 # 10 lifecycles a side, one at a time
    WORKER_OPTIONS="{'max_concurrent_workflow_task_polls': 10}" python -m bench.idle_gaps

Fresh servers (Temporal dev server, embedded PostgreSQL), the in-process API and one worker, as
harness/baseline.py drives them. After one warm-up lifecycle a side, runs general hazard lifecycles and
skeleton lifecycles one at a time and reads, from each history's event times (the dev server's clock),
the wait between an activity's completion and the start of the workflow task that follows it ("gap"),
and the run time of every workflow task; with the wall time per command (per skeleton update). The
optional WORKER_OPTIONS (a Python dict literal) are passed to every `temporalio.worker.Worker` of the run,
both sides alike, to try poller settings."""

from __future__ import annotations

import ast
import asyncio
import os
import statistics
import time
from typing import Any

import temporalio.worker
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from harness.apptest import running_app
from harness.baseline import Lifecycles, skeleton_worker
from harness.servers import PgServer, start_dev_server, unique_queue
from store.db import make_engine

LIFECYCLES = 10
COMMANDS = 4  # report, grade, submit_rectification, review (the skeleton: created and three steps)


def _with_options(options: dict[str, Any]) -> None:
    """Every Worker built from here on takes `options` (both sides: the bench's own knob)."""
    if not options:
        return
    plain = temporalio.worker.Worker.__init__

    def init(self: temporalio.worker.Worker, *args: Any, **kwargs: Any) -> None:
        plain(self, *args, **{**kwargs, **options})

    temporalio.worker.Worker.__init__ = init  # type: ignore[method-assign]


def _t(e: HistoryEvent) -> float:
    return e.event_time.seconds + e.event_time.nanos / 1e9


async def timings(client: Client, workflow_id: str) -> tuple[list[float], list[float]]:
    """(gaps after each activity's completion, workflow task run times) of one history, in ms."""
    events = [e async for e in client.get_workflow_handle(workflow_id).fetch_history_events()]
    by_id = {e.event_id: e for e in events}
    gaps, runs = [], []
    for i, e in enumerate(events):
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            started = next(
                (x for x in events[i:] if x.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED), None
            )
            if started is not None:
                gaps.append((_t(started) - _t(e)) * 1000)
        elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            s = by_id[e.workflow_task_completed_event_attributes.started_event_id]
            runs.append((_t(e) - _t(s)) * 1000)
    return gaps, runs


async def measure() -> dict[str, Any]:
    pg = PgServer()
    await pg.start()
    env = await start_dev_server()
    try:
        db_url = await pg.fresh_database()
        engine = make_engine(db_url)
        queue = unique_queue("gaps")
        async with await skeleton_worker(env.client, queue, engine), running_app(env.client, db_url) as app:
            drive = Lifecycles(app, queue)
            await drive.skeleton(0)
            await drive.lifecycle(0)
            out: dict[str, Any] = {}
            for side, run in (("skeleton", drive.skeleton), ("hazard", drive.lifecycle)):
                gaps: list[float] = []
                runs: list[float] = []
                per_command: list[float] = []
                for i in range(1, LIFECYCLES + 1):
                    t = time.perf_counter()
                    wid = await run(i)
                    per_command.append((time.perf_counter() - t) * 1000 / COMMANDS)
                    g, r = await timings(env.client, wid)
                    gaps += g
                    runs += r
                out[side] = {
                    "gap_p50_ms": round(statistics.median(gaps), 1),
                    "task_run_p50_ms": round(statistics.median(runs), 1),
                    "task_run_p90_ms": round(statistics.quantiles(runs, n=10)[-1], 1),
                    "ms_per_command_p50": round(statistics.median(per_command), 1),
                }
        await engine.dispose()
        return out
    finally:
        await env.shutdown()
        pg.stop()


def main() -> None:
    options = ast.literal_eval(os.environ.get("WORKER_OPTIONS", "{}"))
    _with_options(options)
    r = asyncio.run(measure())
    for side, v in r.items():
        print(f"{side:9} worker options {options}  " + "  ".join(f"{k} {x}" for k, x in v.items()))


if __name__ == "__main__":
    main()
