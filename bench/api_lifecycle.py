"""Wall time per command through the HTTP API, one general hazard lifecycle after another.

    python -m bench.api_lifecycle [N]      # default 50 lifecycles

Real servers (Temporal dev server with WAL pragmas, embedded PostgreSQL), the in-process API (ASGI) and
one worker; test policy pack. Each lifecycle: report → grade → submit_rectification → review. Prints
p50/p95 per command type and the events per hazard; writes bench/api_lifecycle.json.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from harness.apptest import running_app
from harness.servers import PgServer, start_dev_server

REGION, ENT = "500107", "ENT-BENCH"
REPORT = {
    "title": "bench hazard",
    "description": "d",
    "enterprise_id": ENT,
    "region": REGION,
    "industry": "manufacturing",
    "location": "l",
    "source": "self_inspection",
    "category": "unsafe_condition",
}


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))]


async def main(n: int) -> dict[str, Any]:
    pg = PgServer()
    await pg.start()
    env = await start_dev_server()
    try:
        async with running_app(env.client, await pg.fresh_database()) as app:
            ent = app.token("ent-1", "enterprise", REGION, ENT)
            insp = app.token("insp-1", "inspector", REGION)
            sup = app.token("sup-1", "supervisor", "500100")
            times: dict[str, list[float]] = defaultdict(list)
            versions: list[int] = []

            async def timed(
                name: str, method: str, url: str, who: dict[str, str], body: dict[str, Any]
            ) -> Any:
                t = time.perf_counter()
                r = await app.http.request(method, url, headers=who, json=body)
                times[name].append(time.perf_counter() - t)
                if r.status_code not in (200, 201):
                    raise RuntimeError(f"{name}: {r.status_code} {r.text}")
                return r.json()

            wall = time.perf_counter()
            for _ in range(n):
                hid = (await timed("report", "POST", "/v1/hazards", ent, REPORT))["id"]
                url = f"/v1/hazards/{hid}/commands"
                await timed("grade", "POST", url, insp, {"type": "grade", "level": "general"})
                await timed(
                    "submit_rectification", "POST", url, ent, {"type": "submit_rectification", "summary": "s"}
                )
                out = await timed(
                    "review", "POST", url, sup, {"type": "review", "passed": True, "comment": "ok"}
                )
                versions.append(out["case"]["version"])
            wall = time.perf_counter() - wall
    finally:
        await env.shutdown()
        pg.stop()
    every = [x for xs in times.values() for x in xs]
    result = {
        "lifecycles": n,
        "wall_s": round(wall, 2),
        "lifecycles_per_s": round(n / wall, 2),
        "events_per_hazard": statistics.mean(versions),
        "commands": {
            k: {"p50_ms": round(pct(v, 0.5) * 1000, 1), "p95_ms": round(pct(v, 0.95) * 1000, 1)}
            for k, v in times.items()
        },
        "all": {"p50_ms": round(pct(every, 0.5) * 1000, 1), "p95_ms": round(pct(every, 0.95) * 1000, 1)},
    }
    return result


if __name__ == "__main__":
    from runtime.logging import configure_logging

    configure_logging("WARNING")
    res = asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 50))
    Path(__file__).with_name("api_lifecycle.json").write_text(json.dumps(res, indent=2) + "\n")
    print(f"{'command':22} {'p50 ms':>8} {'p95 ms':>8}")
    for k, v in res["commands"].items():
        print(f"{k:22} {v['p50_ms']:8.1f} {v['p95_ms']:8.1f}")
    print(f"{'all':22} {res['all']['p50_ms']:8.1f} {res['all']['p95_ms']:8.1f}")
    print(
        f"{res['lifecycles']} lifecycles in {res['wall_s']} s; events per hazard {res['events_per_hazard']}"
    )
