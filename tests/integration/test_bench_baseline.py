"""The benchmarks' baseline stays what the issue defines: a bare skeleton doing the same number of updates,
activities and timers as a general hazard's lifecycle through the service (harness/baseline.py: the two
drivers bench/run.py measures). Counted on real histories, so a change to the case loop (another timer,
another activity) or to the skeleton shows here, not as a quietly unfair ratio in bench/RESULTS.md."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text
from temporalio.api.enums.v1 import EventType

from harness.apptest import running_app
from harness.baseline import Lifecycles, skeleton_worker
from harness.servers import unique_queue
from store.db import make_engine

COUNTED = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "updates",
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activities",
    EventType.EVENT_TYPE_MARKER_RECORDED: "markers",
    EventType.EVENT_TYPE_TIMER_STARTED: "timers",
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "search_attribute_upserts",
}


async def counts(app_client, workflow_id: str) -> Counter[str]:
    out: Counter[str] = Counter()
    async for e in app_client.get_workflow_handle(workflow_id).fetch_history_events():
        if e.event_type in COUNTED:
            out[COUNTED[e.event_type]] += 1
    return out


async def test_the_skeleton_does_what_a_general_hazard_lifecycle_does(dev_env, db_url) -> None:
    engine = make_engine(db_url)
    queue = unique_queue("skeleton")
    worker = await skeleton_worker(dev_env.client, queue, engine)
    try:
        async with worker, running_app(dev_env.client, db_url) as app:
            drive = Lifecycles(app, queue)
            hazard = await drive.lifecycle(0)
            skeleton = await drive.skeleton(0)
            hz, sk = await counts(app.client, hazard), await counts(app.client, skeleton)
            async with engine.connect() as conn:
                inserts = (
                    await conn.execute(
                        text("SELECT count(*) FROM bench_skeleton WHERE case_id = :c"), {"c": skeleton}
                    )
                ).scalar_one()
    finally:
        await engine.dispose()
    # report, grade, submit_rectification, review: the API's `created` update and three commands, each
    # recorded by one activity; a deadline armed after each of the first three
    assert (hz["updates"], hz["activities"], hz["timers"]) == (4, 4, 3)
    assert (sk["updates"], sk["activities"], sk["timers"]) == (hz["updates"], hz["activities"], hz["timers"])
    assert inserts == 4  # each skeleton activity is a real INSERT
    assert hz["markers"] == 1 and sk["markers"] == 0  # the `patches-2026-12` bundle's one version marker
    # what the skeleton leaves out, and bench/RESULTS.md names as part of the service's cost: one upsert per
    # command (each changes the hazard's status; since `upsert-changed-search-attributes` it names only the
    # attributes that changed), and the bundle of patches' version marker (the SDK records it as an upsert
    # of TemporalChangeVersion; one where each of three patches had its own before the bundle)
    assert hz["search_attribute_upserts"] == 5 and sk["search_attribute_upserts"] == 0
