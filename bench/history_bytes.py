"""Where a general hazard's history bytes are, against the bare skeleton's (issue #21's "history bytes per
general lifecycle vs skeleton" row).

    python -m bench.history_bytes        # one lifecycle of each on fresh servers; prints the breakdown
    python -m bench.history_bytes --cpu 40   # 40 lifecycles: this run's dev server's CPU ms per lifecycle

Drives one general hazard (report → grade → rectification → review over the HTTP API, as
harness/baseline.py's `Lifecycles` does) and two skeletons (harness/skeleton.py): one through a client
with the default data converter (the plain skeleton the issue compares with) and one through the
project's converter (the codec's own share). Each history is fetched from the server and measured as
protobuf wire bytes (`History.ByteSize()`, what the server stores and sends), which is deterministic for a
given code path: the figures are exact, not sampled.

The breakdown attributes every byte of an event to its event type, and every payload (a `Payload` message
anywhere in an event: update arguments and results, activity inputs and results, workflow input and
result, markers, signals, search attributes, timer summaries) to the field path it sits at, split into its
metadata (by key) and its data. An encrypted payload's plaintext size is shown beside it (decoded with the
project's codec), with what zlib would make of it: the room a compressing codec has.

`measure(client, hazard_id, skeleton_id)` returns the same as a dict, for bench/run.py to call."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import zlib
from collections import Counter, defaultdict
from typing import Any

import psutil
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from domain.enterprise import record_id
from harness.apptest import running_app
from harness.baseline import ENT, Lifecycles, skeleton_worker
from harness.servers import PgServer, start_dev_server, unique_queue
from runtime.codec import is_encrypted
from runtime.temporal_client import data_converter
from store.db import make_engine


async def fetch(client: Client, workflow_id: str) -> History:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return History(events=[HistoryEvent.FromString(e.SerializeToString()) for e in history.events])


def _payloads(msg: Message, path: str) -> list[tuple[str, Payload]]:
    """Every Payload inside `msg`, with the dotted field path it sits at (map keys and list indices
    left out, so that alike payloads add up under one path)."""
    if isinstance(msg, Payload):
        return [(path, msg)]
    out: list[tuple[str, Payload]] = []
    for field, value in msg.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        sub = f"{path}.{field.name}" if path else field.name
        if field.message_type.GetOptions().map_entry:
            for v in value.values():
                if isinstance(v, Message):
                    out.extend(_payloads(v, sub))
        elif not isinstance(value, Message):  # a repeated field
            for v in value:
                out.extend(_payloads(v, sub))
        else:
            out.extend(_payloads(value, sub))
    return out


def _event_type(e: HistoryEvent) -> str:
    return EventType.Name(e.event_type).removeprefix("EVENT_TYPE_")


async def breakdown(history: History, codec: DataConverter | None = None) -> dict[str, Any]:
    """Bytes of one history by event type and by payload path (metadata by key, data, plaintext)."""
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: {"events": 0, "bytes": 0})
    payloads: dict[str, dict[str, int]] = defaultdict(Counter)  # type: ignore[arg-type]
    metadata: Counter[str] = Counter()
    for e in history.events:
        t = _event_type(e)
        by_type[t]["events"] += 1
        by_type[t]["bytes"] += e.ByteSize()
        for path, p in _payloads(e, ""):
            row = payloads[f"{t}:{path}"]
            row["count"] += 1
            row["bytes"] += p.ByteSize()
            row["data"] += len(p.data)
            for k, v in p.metadata.items():
                metadata[k] += len(k) + len(v) + 4  # map entry: key, value, their tags and lengths
                row["metadata"] += len(k) + len(v) + 4
            if codec is not None and codec.payload_codec is not None and is_encrypted(p):
                (inner,) = await codec.payload_codec.decode([p])
                row["plain_data"] += len(inner.data)
                row["plain_zlib"] += len(zlib.compress(inner.data, 6))
    total = history.ByteSize()
    payload_bytes = sum(r["bytes"] for r in payloads.values())
    return {
        "bytes": total,
        "events": len(history.events),
        "payload_bytes": payload_bytes,
        "by_event_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1]["bytes"])),
        "by_payload": {k: dict(v) for k, v in sorted(payloads.items(), key=lambda kv: -kv[1]["bytes"])},
        "metadata_by_key": dict(metadata.most_common()),
    }


def count_upserts(history: History) -> int:
    return sum(e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES for e in history.events)


async def measure(
    client: Client, hazard_id: str, skeleton_id: str, plain_skeleton_id: str | None = None
) -> dict[str, Any]:
    """Totals, ratios and breakdowns of a finished hazard's and skeleton's histories (`plain_skeleton_id`:
    a skeleton run through a client with the default data converter, the issue's yardstick)."""
    conv = data_converter()
    hz = await fetch(client, hazard_id)
    out: dict[str, Any] = {"hazard": await breakdown(hz, conv)}
    out["hazard"]["search_attribute_upserts"] = count_upserts(hz)
    out["skeleton"] = await breakdown(await fetch(client, skeleton_id), conv)
    out["ratio"] = round(out["hazard"]["bytes"] / out["skeleton"]["bytes"], 2)
    if plain_skeleton_id is not None:
        out["plain_skeleton"] = await breakdown(await fetch(client, plain_skeleton_id))
        out["ratio_vs_plain"] = round(out["hazard"]["bytes"] / out["plain_skeleton"]["bytes"], 2)
    return out


def plain_client(client: Client) -> Client:
    """The same connection with the SDK's pydantic data converter and no codec."""
    return Client(**{**client.config(), "data_converter": pydantic_data_converter})


async def run() -> dict[str, Any]:
    pg = PgServer()
    await pg.start()
    env = await start_dev_server()
    try:
        return await run_on(env.client, await pg.fresh_database())
    finally:
        await env.shutdown()
        pg.stop()


async def run_on(client: Client, db_url: str) -> dict[str, Any]:
    """One general lifecycle and the two skeletons on these servers (a fresh database), measured. The
    measured hazard is its enterprise's second: the first starts the enterprise's record (since the
    `patches-2026-12` bundle a later case only signals it), reported apart as `enterprise_first_case` (on
    servers where that record did not exist yet: bench/run.py's earlier phases started it)."""
    engine = make_engine(db_url)
    queue, plain_queue = unique_queue("hb-skeleton"), unique_queue("hb-plain")
    plain = plain_client(client)
    try:
        async with (
            await skeleton_worker(client, queue, engine),
            await skeleton_worker(plain, plain_queue, engine),
            running_app(client, db_url) as app,
        ):
            drive = Lifecycles(app, queue)
            # the enterprise's first case starts its record; the measured one is a later case, as most are
            first = await drive.lifecycle(0)
            hazard = await drive.lifecycle(1)
            for done in (first, hazard):  # whole histories: the record's tellings come behind the answers
                await client.get_workflow_handle(done).result()
            skeleton = await drive.skeleton(0)
            drive.client, drive.skq = plain, plain_queue
            plain_skeleton = await drive.skeleton(0)
            out = await measure(client, hazard, skeleton, plain_skeleton)
            first_history = await fetch(client, first)
            out["enterprise_first_case"] = {
                "bytes": first_history.ByteSize(),
                "events": len(first_history.events),
            }
            return out
    finally:
        await engine.dispose()


IDLE_WINDOW_S = 5.0


def _dev_server() -> psutil.Process:
    """This process's own Temporal dev server (not another run's on a shared machine)."""
    (server,) = [p for p in psutil.Process().children(recursive=True) if p.name() == "temporal"]
    return server


def _cpu(p: psutil.Process) -> float:
    t = p.cpu_times()
    return t.user + t.system


async def server_cpu(n: int, in_flight: int = 10) -> dict[str, Any]:
    """CPU ms per general hazard lifecycle of this run's dev server (user + system, psutil), over `n`
    lifecycles with `in_flight` at once, after one warm-up lifecycle; also less the server's idle rate
    (measured over a few seconds before) times the run's duration; with the upserts per lifecycle, and
    the upserts and bytes of the enterprise record all `n + 1` lifecycles tell (one enterprise)."""
    pg = PgServer()
    await pg.start()
    env = await start_dev_server()
    try:
        async with running_app(env.client, await pg.fresh_database()) as app:
            drive = Lifecycles(app, "unused")
            first = await drive.lifecycle(0)
            server = _dev_server()
            sem = asyncio.Semaphore(in_flight)

            async def one(i: int) -> None:
                async with sem:
                    await drive.lifecycle(i)

            idle_from, t0 = _cpu(server), time.perf_counter()
            await asyncio.sleep(IDLE_WINDOW_S)  # a measuring window, not a synchronisation
            idle_rate = (_cpu(server) - idle_from) / (time.perf_counter() - t0)
            before, t0 = _cpu(server), time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(n)))
            spent, took = _cpu(server) - before, time.perf_counter() - t0
            upserts = count_upserts(await fetch(env.client, first))
            record = await fetch(env.client, record_id(ENT))
    finally:
        await env.shutdown()
        pg.stop()
    return {
        "n": n,
        "server_cpu_ms_per_lifecycle": round(1000 * spent / n, 2),
        "idle_ms_per_s": round(1000 * idle_rate, 2),
        "less_idle_ms_per_lifecycle": round(1000 * (spent - idle_rate * took) / n, 2),
        "seconds": round(took, 1),
        "upserts": upserts,
        "enterprise_record_upserts": count_upserts(record),
        "enterprise_record_bytes": record.ByteSize(),
    }


def report(r: dict[str, Any]) -> str:
    lines = [
        f"hazard (general lifecycle): {r['hazard']['bytes']:,} bytes in {r['hazard']['events']} events, "
        f"{r['hazard']['search_attribute_upserts']} search-attribute upserts",
        f"skeleton, project codec:    {r['skeleton']['bytes']:,} bytes in {r['skeleton']['events']} events"
        f"  → ratio {r['ratio']}",
    ]
    if "enterprise_first_case" in r:
        fc = r["enterprise_first_case"]
        lines.append(
            f"the enterprise's first case (starts its record): {fc['bytes']:,} bytes in {fc['events']} events"
        )
    if "plain_skeleton" in r:
        ps = r["plain_skeleton"]
        lines.append(
            f"skeleton, default converter: {ps['bytes']:,} bytes in {ps['events']} events"
            f"  → ratio {r['ratio_vs_plain']}"
        )
    for side in ("hazard", "skeleton"):
        b = r[side]
        lines += ["", f"== {side}: by event type (events, bytes)"]
        lines += [f"  {t:<45} {v['events']:>3} {v['bytes']:>7,}" for t, v in b["by_event_type"].items()]
        lines += [f"== {side}: payloads (count, bytes, metadata, data, plaintext, plaintext zlib'd)"]
        for k, v in b["by_payload"].items():
            lines.append(
                f"  {k:<90} {v['count']:>3} {v['bytes']:>6,} {v.get('metadata', 0):>6,} {v['data']:>6,}"
                f" {v.get('plain_data', 0):>6,} {v.get('plain_zlib', 0):>6,}"
            )
        lines.append(f"== {side}: payload metadata by key: {json.dumps(b['metadata_by_key'])}")
    return "\n".join(lines)


def main() -> None:
    if sys.argv[1:2] == ["--cpu"]:
        print(json.dumps(asyncio.run(server_cpu(int(sys.argv[2])))))
        return
    r = asyncio.run(run())
    print(report(r))
    print(json.dumps({k: v for k, v in r.items() if k.startswith("ratio")}))


if __name__ == "__main__":
    main()
