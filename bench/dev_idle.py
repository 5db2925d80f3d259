"""Idle CPU of `hazardloop dev`: the supervisor and the whole stack it runs (PostgreSQL, Temporal,
worker, API), measured with psutil's cpu_times over a window once the stack is ready and has settled.

    .venv/bin/python -m bench.dev_idle [--seconds 30]

Starts its own stack in a temporary data dir on free ports, prints one JSON line (CPU seconds per
process name and in total, and the supervisor's alone, per second of wall time), then stops it."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx
import psutil

from runtime.embedded import free_port, free_temporal_port


def _cpu(procs: list[psutil.Process]) -> dict[int, tuple[str, float]]:
    out: dict[int, tuple[str, float]] = {}
    for p in procs:
        try:
            t = p.cpu_times()
            out[p.pid] = (p.name(), t.user + t.system)
        except psutil.Error:
            continue
    return out


def measure(seconds: float, settle: float) -> dict[str, object]:
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
    with open(root / "dev.out", "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "starter.cli", "dev"], env=env, stdout=out, stderr=subprocess.STDOUT
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
        procs = [sup, *sup.children(recursive=True)]
        before, t0 = _cpu(procs), time.monotonic()
        time.sleep(seconds)
        after, wall = _cpu(procs), time.monotonic() - t0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(120)
    by_name: dict[str, float] = defaultdict(float)
    for pid, (name, t) in after.items():
        if pid in before:
            by_name[name] += t - before[pid][1]
    total = sum(by_name.values())
    own = after[proc.pid][1] - before[proc.pid][1]
    return {
        "seconds": round(wall, 1),
        "supervisor_ms_per_s": round(own / wall * 1000, 2),
        "stack_ms_per_s": round(total / wall * 1000, 2),
        "by_process_ms_per_s": {k: round(v / wall * 1000, 2) for k, v in sorted(by_name.items())},
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--settle", type=float, default=10.0)
    args = ap.parse_args()
    sys.stdout.write(json.dumps(measure(args.seconds, args.settle), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
