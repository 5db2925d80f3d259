"""Idle CPU of `hazardloop dev`: the supervisor and the whole stack it runs (PostgreSQL, Temporal,
worker, API), measured with psutil's cpu_times over a window once the stack is ready and has settled.

    .venv/bin/python -m bench.dev_idle [--seconds 30] [--rounds 1] [--against OTHER_CHECKOUT]

Starts its own stack in a temporary data dir on free ports, prints one JSON line per run (CPU
milliseconds per second of wall time: in total, per role — supervisor, postgres (the postmaster and
every backend and auxiliary), temporal (the dev server, its Web UI in the same process), worker, api —
and per process name), then stops it. With `--against`, each round runs that checkout's stack (its own
virtualenv, its own code) and then this one's, so an A/B pair shares the machine's state of the moment;
the last line is the median of each figure per side.

Issue #21 (the stack idle, ms of CPU per s; `--rounds 3 --against <main checkout>`, 30 s windows 10 s
after /readyz, A = before, B = after; per-process CPU is resolved to 10 ms ticks, 0.33 ms/s here):

    role         A (3 rounds)         median   B (3 rounds)         median
    supervisor   2.29  1.99  1.99     1.99     0.66  0.33  0.33     0.33
    postgres     0.65  1.32  0.66     0.66     0.66  0.65  0.33     0.65
    temporal    14.05 11.92 11.30    11.92    10.29 11.77 10.26    10.29
    worker       6.21  5.63  5.98     5.98     1.33  1.31  1.32     1.32
    api          1.63  1.65  1.66     1.65     0.33  0.33  0.33     0.33
    stack       24.83 22.51 21.60    22.51    13.28 14.39 12.58    13.28

Settled (`--rounds 2 --settle 60`, the window 60-90 s after /readyz): A 20.81 13.26 (median 17.04: temporal
9.58 3.98, worker 5.95 5.64), B 5.32 4.99 (median 5.16: temporal 2.66 2.99, worker 1.66 1.33, supervisor,
postgres, api 0.33 or less each).

What each did idle before (strace, psutil): the worker's outbox drainer ran two transactions a second
(now it sleeps until the worker's engine commits notifications, fallback poll 5 s: notify/wake.py);
uvicorn's loop woke ten times a second (starter/api/server.py: once); the supervisor's tree walk read
every /proc/<pid>/stat once per child every 15 s, about 20 ms a walk (now one pass for all). Temporal
alone (no worker, no API; 3 rounds of 30 s): 3.0 3.33 3.0 ms/s with the default namespace cache refresh
(2 s), 1.67 1.67 1.66 with 30 s (runtime/embedded.py). In the stack it stays at 10-12 ms/s in the first
minute (schedule creation, the archiver every 5 minutes, pollers of the worker and its own system
workers), and varies 3-9 ms/s per 30 s window a few minutes in."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import psutil

from runtime.embedded import free_port, free_temporal_port

ROLES = ("supervisor", "postgres", "temporal", "worker", "api")


def _role(top: psutil.Process) -> str:
    """Which part of the stack a direct child of the supervisor is (its descendants count with it)."""
    try:
        name, argv = top.name(), top.cmdline()
    except psutil.Error:
        return "gone"
    if name.startswith("postgres"):
        return "postgres"
    if name.startswith("temporal"):
        return "temporal"
    for role in ("worker", "api", "migrate"):
        if role in argv:
            return role
    return name


def _cpu(sup: psutil.Process) -> dict[int, tuple[str, str, float]]:
    """pid -> (role, name, user + system CPU seconds) for the supervisor and every descendant."""
    out: dict[int, tuple[str, str, float]] = {}
    tops: list[tuple[str, psutil.Process]] = [("supervisor", sup)]
    with contextlib.suppress(psutil.Error):
        tops += [(_role(c), c) for c in sup.children()]
    for role, top in tops:
        procs = [top]
        if top is not sup:
            with contextlib.suppress(psutil.Error):
                procs += top.children(recursive=True)
        for p in procs:
            try:
                t = p.cpu_times()
                out[p.pid] = (role, p.name(), t.user + t.system)
            except psutil.Error:
                continue
    return out


def measure(seconds: float, settle: float, checkout: Path | None = None) -> dict[str, object]:
    """One idle window of the stack of `checkout` (its .venv and code; default: this one)."""
    root = Path(tempfile.mkdtemp(prefix="hazardloop-idle-"))
    root.chmod(0o755)
    api = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAZARDLOOP_")}
    env.update(
        HAZARDLOOP_DATA_DIR=str(root / "data"),
        HAZARDLOOP_API_PORT=str(api),
        HAZARDLOOP_TEMPORAL_PORT=str(free_temporal_port()),
        HAZARDLOOP_POSTGRES_PORT=str(free_port()),
    )
    python = sys.executable if checkout is None else str(checkout / ".venv" / "bin" / "python")
    with open(root / "dev.out", "wb") as out:
        proc = subprocess.Popen(
            [python, "-m", "starter.cli", "dev"],
            env=env,
            cwd=checkout,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not come up: see {root / 'dev.out'}")
            try:
                if httpx.get(f"http://127.0.0.1:{api}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        time.sleep(settle)
        sup = psutil.Process(proc.pid)
        before, t0 = _cpu(sup), time.monotonic()
        time.sleep(seconds)
        after, wall = _cpu(sup), time.monotonic() - t0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(120)
    by_role: dict[str, float] = defaultdict(float)
    by_name: dict[str, float] = defaultdict(float)
    for pid, (role, name, t) in after.items():
        if pid in before:  # a process born in the window counts from its birth: none is expected
            by_role[role] += t - before[pid][2]
            by_name[name] += t - before[pid][2]
        else:
            by_role[role] += t
            by_name[name] += t
    total = sum(by_role.values())

    def ms(v: float) -> float:
        return round(v / wall * 1000, 2)

    return {
        "checkout": str(checkout or Path.cwd()),
        "seconds": round(wall, 1),
        "stack_ms_per_s": ms(total),
        "by_role_ms_per_s": {
            r: ms(by_role.get(r, 0.0)) for r in (*ROLES, *sorted(set(by_role) - set(ROLES)))
        },
        "by_process_ms_per_s": {k: ms(v) for k, v in sorted(by_name.items())},
        "processes": len(after),
    }


def _median_row(runs: list[dict[str, object]]) -> dict[str, float]:
    rows: dict[str, list[float]] = defaultdict(list)
    for r in runs:
        rows["stack"].append(float(r["stack_ms_per_s"]))  # type: ignore[arg-type]
        for role, v in r["by_role_ms_per_s"].items():  # type: ignore[attr-defined]
            rows[role].append(float(v))
    return {k: round(statistics.median(v), 2) for k, v in rows.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--settle", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--against", type=Path, default=None, help="another checkout to alternate with (A/B)")
    args = ap.parse_args()
    sides: dict[str, list[dict[str, object]]] = defaultdict(list)
    for i in range(args.rounds):
        for side, checkout in (("A", args.against), ("B", None)) if args.against else (("B", None),):
            row = measure(args.seconds, args.settle, checkout)
            sides[side].append(row)
            sys.stdout.write(json.dumps({"round": i + 1, "side": side, **row}, ensure_ascii=False) + "\n")
            sys.stdout.flush()
    median = {side: _median_row(runs) for side, runs in sides.items()}
    sys.stdout.write(json.dumps({"median_ms_per_s": median}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
