# ruff: noqa: E501  (a benchmark script: long table lines read better unwrapped)
"""`record_events`' recording, old path against new, interleaved (issue #21).

    python -m bench.record_ab                  # 5 rounds of 50 hazards (200 commands) per side
    python -m bench.record_ab --rounds 7 --hazards 80

Sides, each round in a rotated order so a drift of the shared machine weighs on all alike:

- `old`: `store.record.record_in_transaction`, the statements as they were (BEGIN, the stream's head, the
  event insert, the case row locked, its upsert, the outbox rows, COMMIT);
- `new`: `store.record.record`, the server-side function `hl_record_events` with this process's cache of
  each stream's last state (one round trip a command);
- `new-cold`: the same with no cache (size 0): every command but a stream's first reads the head and the
  row first (two round trips), as when a case's commands land on different worker processes.

Each side records the same commands: real hazards decided by the real decider under the national pack
(bench/readmodel.py's lifecycles: reported → graded → rectification → review, and one overdue with its
reminders and their outbox rows), `--inflight` hazards at a time, each hazard's commands in order.

Figures per side and round: CPU milliseconds per command of this process and of the PostgreSQL server's
processes (the postmaster and its children: the backends serving the pooled connections, the WAL writer,
the checkpointer), psutil `cpu_times` before and after; round trips per command,
counted as writes of the client to each pooled connection's socket (asyncpg sends a statement's messages
in one write and waits for the answer). The median over the rounds is printed with every round.

Measured (5 rounds of 50 hazards, 212 commands per side and round, 4 in flight; two shared cores, other
work running; medians, CPU ms per command, this process + PostgreSQL):

    side       CPU ms   python  postgres  round trips   rounds' totals
    old         7.92     6.08     1.84       7.00       7.74 8.25 7.92 7.69 8.21
    new         3.30     2.12     1.08       1.00       3.35 3.30 3.44 3.02 3.02
    new-cold    4.34     3.02     1.37       1.76       4.29 4.67 4.58 4.29 4.34
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import psutil
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.readmodel import REGIONS, Step, _lifecycle, national_pack
from domain.policy import PolicyPack
from harness.servers import PgServer
from store.db import make_engine
from store.record import Recording, StreamCache, record, record_in_transaction

SIDES = ("old", "new", "new-cold")


class Writes:
    """Counts the client's writes to every connection the engine opens."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.n = 0
        event.listen(engine.sync_engine, "connect", self._connected)

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        transport = dbapi_connection.driver_connection._transport
        transport.write = self._wrap(transport.write)

    def _wrap(self, write: Callable[[Any], None]) -> Callable[[Any], None]:
        def counted(data: Any) -> None:
            self.n += 1
            write(data)

        return counted


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            continue
    return total


def _pg_processes(pg: PgServer) -> list[psutil.Process]:
    pid = int((pg.server.data_dir / "postmaster.pid").read_text().split()[0])
    master = psutil.Process(pid)
    return [master, *master.children(recursive=True)]


def _commands(pack: PolicyPack, prefix: str, hazards: int) -> list[list[Recording]]:
    out: list[list[Recording]] = []
    for i in range(hazards):
        region = REGIONS[i % len(REGIONS)]
        steps: list[Step] = _lifecycle(pack, region, "overdue" if i % 4 == 3 else "closed")
        sid = f"HZ-{prefix}-{i:05d}"
        version, recs = 0, []
        for n, (actor, at, new) in enumerate(steps):
            recs.append(
                Recording(
                    sid,
                    "hazard",
                    version,
                    new,
                    actor.model_dump(mode="json"),
                    at,
                    pack.id,
                    pack.version,
                    f"{sid}-c{n}",
                    None,
                )
            )
            version += len(new)
        out.append(recs)
    return out


async def _run(side: str, engine: AsyncEngine, hazards: list[list[Recording]], inflight: int) -> None:
    cache = StreamCache(size=0 if side == "new-cold" else 4096)
    gate = asyncio.Semaphore(inflight)

    async def one(recs: list[Recording]) -> None:
        async with gate:
            for rec in recs:
                if side == "old":
                    await record_in_transaction(engine, rec)
                else:
                    await record(engine, cache, rec)

    await asyncio.gather(*(one(h) for h in hazards))


async def main(rounds: int, n_hazards: int, inflight: int) -> dict[str, Any]:
    pack = national_pack()
    pg = PgServer()
    await pg.start()
    try:
        url = await pg.fresh_database()
        engine = make_engine(url, pool_size=inflight, max_overflow=0)
        writes = Writes(engine)
        me = psutil.Process()
        # warm-up: every side once, so the pool's connections are open and their statements prepared
        for side in SIDES:
            await _run(side, engine, _commands(pack, f"warm-{side}", inflight * 2), inflight)
        rows: dict[str, list[dict[str, float]]] = {s: [] for s in SIDES}
        for r in range(rounds):
            order = SIDES[r % len(SIDES) :] + SIDES[: r % len(SIDES)]
            for side in order:
                hazards = _commands(pack, f"{side}-{r}", n_hazards)
                n = sum(len(h) for h in hazards)
                pg_procs = _pg_processes(pg)
                c0, p0, w0, t0 = _cpu([me]), _cpu(pg_procs), writes.n, time.perf_counter()
                await _run(side, engine, hazards, inflight)
                c1, p1, w1, t1 = _cpu([me]), _cpu(pg_procs), writes.n, time.perf_counter()
                row = {
                    "commands": n,
                    "python_ms": (c1 - c0) * 1000 / n,
                    "postgres_ms": (p1 - p0) * 1000 / n,
                    "total_ms": ((c1 - c0) + (p1 - p0)) * 1000 / n,
                    "round_trips": (w1 - w0) / n,
                    "wall_ms": (t1 - t0) * 1000 / n,
                }
                rows[side].append(row)
                sys.stderr.write(
                    f"round {r + 1} {side:9} " + " ".join(f"{k}={v:.2f}" for k, v in row.items()) + "\n"
                )
        await engine.dispose()
    finally:
        pg.stop()
    summary = {
        side: {k: statistics.median(x[k] for x in rows[side]) for k in rows[side][0]} for side in SIDES
    }
    return {"rounds": rows, "median": summary}


def report(result: dict[str, Any]) -> str:
    med = result["median"]
    old = med["old"]
    lines = [
        "| side | CPU ms/command (python + postgres) | python | postgres | round trips/command | ratio to old (CPU) |",
        "|---|---|---|---|---|---|",
    ]
    for side, m in med.items():
        lines.append(
            f"| {side} | {m['total_ms']:.2f} | {m['python_ms']:.2f} | {m['postgres_ms']:.2f} | {m['round_trips']:.2f} | {m['total_ms'] / old['total_ms']:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--hazards", type=int, default=50)
    ap.add_argument("--inflight", type=int, default=4)
    ap.add_argument("--json", action="store_true", help="print every round as JSON too")
    args = ap.parse_args()
    out = asyncio.run(main(args.rounds, args.hazards, args.inflight))
    print(report(out))
    if args.json:
        print(json.dumps(out, indent=1))
