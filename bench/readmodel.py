"""The read-model bench's data: many hazards in the event store, their projection built by `rebuild`.

A district's store is not a million freshly reported hazards: most are closed, some are being
rectified, some are overdue. Each region gets five lifecycles, decided once by the real decider under
the national policy pack, with the deadlines fired as the workflow fires them:

    reported                       1 event
    reported, grading lapsed       2 events  (not graded within `hazard.grading_due`: recorded as missed)
    rectifying                     2 events
    rectifying, overdue            5 events  (two reminders, then the deadline passes)
    closed                         4 events  (graded, rectification submitted, reviewed)

Hazard i takes lifecycle i % 5 of its region's set. Its events are hashed into their own chain by the
event store's `build_records` (stream id, versions, actor, time: everything a real append covers) and
written with COPY; the event data is the template's, so timestamps inside it are the template's. The
`cases` projection is then built from these events by `store.projector.rebuild`, the code a real
rebuild runs: the load measures the rebuild rate on a realistic mix of stream lengths.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from typing import Any

from sqlalchemy import text

from domain.actors import SYSTEM, Actor, Role
from domain.decider import Context, DeadlineElapsed
from domain.hazard import HAZARD
from domain.policy import PolicyPack, parse_pack
from runtime.settings import REPO_ROOT
from store.db import make_engine
from store.events import GENESIS, NewEvent, build_records
from store.projector import rebuild

ENT = "ENT-B"
REGIONS = [f"5001{d:02d}" for d in range(1, 41)]
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STAGES = ("reported", "grading_lapsed", "rectifying", "overdue", "closed")
EVENT_COLUMNS = [
    "stream_id",
    "version",
    "kind",
    "type",
    "data",
    "actor",
    "occurred_at",
    "policy_id",
    "policy_version",
    "command_id",
    "prev_hash",
    "hash",
]

Step = tuple[Actor, datetime, list[NewEvent]]


def _lifecycle(pack: PolicyPack, region: str, stage: str) -> list[Step]:
    """One hazard decided through `stage`: (actor, time, events) per accepted command or fired deadline."""
    ent = Actor(id="ent-1", role=Role.enterprise, region=region, enterprise_id=ENT)
    insp = Actor(id="insp-1", role=Role.inspector, region=region)
    sup = Actor(id="sup-1", role=Role.supervisor, region="500100")
    state = HAZARD.initial_state()
    steps: list[Step] = []

    def run(actor: Actor, now: datetime, command: Any) -> None:
        nonlocal state
        events = HAZARD.decide(state, command, Context(actor=actor, now=now, policy=pack, case_id="HZ-T"))
        for e in events:
            state = HAZARD.evolve(state, e)
        steps.append((actor, now, [NewEvent(type=e.type, data=e.model_dump(mode="json")) for e in events]))

    def fire_until(now: datetime) -> None:
        while True:
            due = sorted((d for d in HAZARD.deadlines(state) if d.due_at <= now), key=lambda d: d.due_at)
            if not due:
                return
            run(SYSTEM, due[0].due_at, DeadlineElapsed(key=due[0].key, due_at=due[0].due_at))

    report = {
        "type": "report",
        "title": "配电箱未接地",
        "enterprise_id": ENT,
        "region": region,
        "source": "self_inspection",
        "category": "unsafe_condition",
    }
    run(ent, T0, HAZARD.parse_command(report))
    if stage == "reported":
        return steps
    if stage == "grading_lapsed":
        fire_until(T0 + timedelta(days=30))
        return steps
    deadline = T0 + timedelta(days=20)
    run(
        insp,
        T0 + timedelta(hours=4),
        HAZARD.parse_command({"type": "grade", "level": "general", "deadline": deadline.isoformat()}),
    )
    if stage == "rectifying":
        return steps
    if stage == "overdue":
        fire_until(deadline + timedelta(hours=1))
        return steps
    run(
        ent,
        T0 + timedelta(days=9),
        HAZARD.parse_command({"type": "submit_rectification", "summary": "已接地并复测"}),
    )
    run(
        sup,
        T0 + timedelta(days=10),
        HAZARD.parse_command({"type": "review", "passed": True, "comment": "复查合格"}),
    )
    return steps  # fmt: skip


def templates(pack: PolicyPack) -> dict[tuple[str, str], list[Step]]:
    out = {(r, s): _lifecycle(pack, r, s) for r in REGIONS for s in STAGES}
    if not HAZARD.index(_fold(out[(REGIONS[0], "overdue")])).overdue:
        raise RuntimeError("the overdue template did not end overdue: the bench data would hold no backlog")
    return out


def _fold(steps: list[Step]) -> Any:
    state = HAZARD.initial_state()
    for _, _, events in steps:
        for e in events:
            state = HAZARD.evolve(state, HAZARD.parse_event(e.data))
    return state


def event_rows(i: int, steps: list[Step], pack: PolicyPack) -> list[tuple[Any, ...]]:
    """Hazard i's events, chained by the event store's own `build_records`, as COPY rows."""
    cid = f"HZ-BULK-{i:07d}"
    shift = timedelta(seconds=i)  # spreads created_at, so cursor pages walk a real ordering
    rows: list[tuple[Any, ...]] = []
    version, prev = 1, GENESIS
    for actor, at, new in steps:
        records = build_records(
            cid,
            "hazard",
            version,
            prev,
            new,
            actor.model_dump(mode="json"),
            at + shift,
            pack.id,
            pack.version,
            None,
        )
        for r in records:
            data, who = json.dumps(r.data, ensure_ascii=False), json.dumps(r.actor, ensure_ascii=False)
            rows.append(
                (r.stream_id, r.version, r.kind, r.type, data, who, r.occurred_at, r.policy_id,
                 r.policy_version, r.command_id, r.prev_hash, r.hash)
            )  # fmt: skip
        version += len(records)
        prev = records[-1].hash
    return rows


_TEMPLATES: dict[tuple[str, str], list[Step]] = {}
_PACK: list[PolicyPack] = []


def national_pack() -> PolicyPack:
    return parse_pack((REPO_ROOT / "policies" / "cn-national.toml").read_text())


def _init_generator() -> None:
    """In each generator process: the national pack and the decided templates, once."""
    _PACK.append(national_pack())
    _TEMPLATES.update(templates(_PACK[0]))


def generate(start: int, stop: int) -> list[tuple[Any, ...]]:
    """The COPY rows of hazards start..stop-1 (run in a generator process: hashing is CPU-bound)."""
    rows: list[tuple[Any, ...]] = []
    for i in range(start, stop):
        region = REGIONS[i % len(REGIONS)]
        stage = STAGES[(i // len(REGIONS)) % len(STAGES)]
        rows.extend(event_rows(i, _TEMPLATES[(region, stage)], _PACK[0]))
    return rows


async def load(
    db_url: str, hazards: int, *, batch: int = 10_000, processes: int | None = None
) -> dict[str, Any]:
    """Write `hazards` hazards' events (generated and hashed in `processes` processes, one per CPU by
    default, and written with COPY in one transaction), then build `cases` with the real rebuild.
    Returns the rates."""
    width = processes or os.cpu_count() or 1
    templates(national_pack())  # a template that does not decide as expected fails here, not in a worker
    engine = make_engine(db_url)
    n_events = 0
    t0 = time.perf_counter()
    loop = asyncio.get_running_loop()
    # spawn: this process runs Temporal's threads, which a fork would copy mid-flight
    with ProcessPoolExecutor(width, mp_context=get_context("spawn"), initializer=_init_generator) as pool:
        try:
            async with engine.begin() as conn:
                raw = await conn.get_raw_connection()
                pg: Any = raw.driver_connection
                starts = iter(range(0, hazards, batch))
                window: deque[asyncio.Future[list[tuple[Any, ...]]]] = deque()

                def submit() -> None:
                    start = next(starts, None)
                    if start is not None:
                        window.append(
                            loop.run_in_executor(pool, generate, start, min(hazards, start + batch))
                        )

                for _ in range(2 * width):  # a bounded window of batches in the generators
                    submit()
                while window:  # in order, so streams land in id order as a real store's would
                    rows = await window.popleft()
                    submit()
                    await pg.copy_records_to_table("events", records=rows, columns=EVENT_COLUMNS)
                    n_events += len(rows)
            events_s = time.perf_counter() - t0
            t1 = time.perf_counter()
            counts = await rebuild(engine, kind="hazard")
            rebuild_s = time.perf_counter() - t1
            # what autovacuum does after a bulk load: statistics, and the visibility map that lets the
            # statistics query read only its covering index
            async with engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.execute(text("VACUUM (ANALYZE) cases"))
                await auto.execute(text("VACUUM (ANALYZE) events"))
            async with engine.begin() as conn:
                label = "status || CASE WHEN overdue THEN ' (overdue)' ELSE '' END"
                by_status = dict(
                    (await conn.execute(text(f"SELECT {label}, count(*) FROM cases GROUP BY 1"))).all()
                )
        finally:
            await engine.dispose()
    return {
        "hazards": hazards,
        "events": n_events,
        "events_per_hazard": round(n_events / hazards, 2),
        "event_load_per_s": round(n_events / events_s, 1),
        "rebuild_s": round(rebuild_s, 1),
        "rebuild_events_per_s": round(counts["events"] / rebuild_s, 1),
        "rebuild_cases_per_s": round(counts["cases"] / rebuild_s, 1),
        "rebuild": counts,
        "by_status": {str(k): int(v) for k, v in by_status.items()},
    }
