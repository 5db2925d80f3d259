"""The plain skeleton (harness/skeleton.py), bench/deployed.py's baseline, has a general hazard's history
shape (4 updates, 4 INSERT activities, 3 timers: test_bench_baseline.py counts the hazard's) and carries
its payloads with the SDK's default converter: plain JSON, no codec, no pydantic."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from harness.servers import unique_queue
from harness.skeleton import CREATE_TABLE, plain_skeleton_lifecycle, plain_skeleton_worker
from store.db import make_engine

COUNTED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "updates",
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activities",
    EventType.EVENT_TYPE_TIMER_STARTED: "timers",
}


async def test_the_plain_skeleton_has_the_hazard_history_shape_and_plain_payloads(dev_env, db_url) -> None:
    engine = make_engine(db_url)
    plain = await Client.connect(dev_env.client.service_client.config.target_host)
    queue = unique_queue("plain-skeleton")
    try:
        async with engine.begin() as conn:
            await conn.execute(text(CREATE_TABLE))
        async with plain_skeleton_worker(plain, queue, engine):
            wid = await plain_skeleton_lifecycle(plain, queue)
        counts: Counter[str] = Counter()
        encodings: set[bytes] = set()
        async for e in plain.get_workflow_handle(wid).fetch_history_events():
            if e.event_type in COUNTED:
                counts[COUNTED[e.event_type]] += 1
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                encodings |= {
                    p.metadata["encoding"] for p in e.activity_task_scheduled_event_attributes.input.payloads
                }
        async with engine.connect() as conn:
            inserts = (
                await conn.execute(text("SELECT count(*) FROM bench_skeleton WHERE case_id = :c"), {"c": wid})
            ).scalar_one()
    finally:
        await engine.dispose()
    assert (counts["updates"], counts["activities"], counts["timers"]) == (4, 4, 3)
    assert inserts == 4
    assert encodings == {b"json/plain"}  # the default converter, unencrypted
