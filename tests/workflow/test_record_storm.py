"""An enterprise's record told of its cases faster than it records them still continues as new, and loses
no telling (workflows/case.py, `carry-deferred-updates`, issue #21).

`make bench` opened 5,000 hazards of one enterprise: the record always had a `case_facts` handler in flight,
so it never had all of them finished at once, never continued as new, and once the server's per-run signal
limit was reached every later telling was refused ("SignalCountLimitExceeded"). Here a dev server suggests
continue-as-new early and allows few signals a run, so a stream of one enterprise's cases shows both."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.enums.v1 import SignalExternalWorkflowExecutionFailedCause as Cause
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from activities.store import StoreActivities
from domain.enterprise import record_id
from harness.servers import start_dev_server, unique_queue
from store.db import make_engine
from tests.support.poll import eventually
from tests.workflow.test_record_told_behind import start_hazard
from worker import build_worker, workflow_runner
from workflows.case import CaseWorkflow
from workflows.contracts import CaseInput
from workflows.kinds import EnterpriseWorkflow, HazardWorkflow

CASES = 100  # one telling each (the report): 100 signals to the record, faster than it records them
IN_FLIGHT = 8  # creations at once: a steady stream, not one burst between two of the record's tasks
SIGNALS_PER_RUN = 70  # one run cannot take them all
# events: a hazard's report with its telling stays below it (so no hazard continues as new with a command
# in flight); the record passes it within a few facts, well before the signal limit, as the defaults
# (4 Ki events, 10,000 signals) have it
SUGGEST_AT = 30
NOT_FOUND = Cause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND


@pytest.fixture(scope="module")
async def tight_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await start_dev_server(
        extra_args=[
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={SUGGEST_AT}",
            "--dynamic-config-value",
            f"history.maximumSignalsPerExecution={SIGNALS_PER_RUN}",
        ]
    )
    yield env
    await env.shutdown()


async def _runs(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """Every run of a workflow, first to last, following each start's `continued_execution_run_id`."""
    runs: list[WorkflowHistory] = []
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.insert(0, history)
        previous = history.events[0].workflow_execution_started_event_attributes.continued_execution_run_id
        if not previous:
            return runs
        run_id = previous


async def test_a_record_told_faster_than_it_records_continues_as_new_and_loses_no_telling(
    tight_env: WorkflowEnvironment, db_url: str
) -> None:
    client = tight_env.client
    engine = make_engine(db_url)
    queue = unique_queue()
    enterprise_id = f"ENT-STORM-{uuid.uuid4().hex[:8]}"
    try:
        async with build_worker(
            client, queue, StoreActivities(engine), workflows=[HazardWorkflow, EnterpriseWorkflow]
        ):
            slots = asyncio.Semaphore(IN_FLIGHT)

            async def hazard(i: int) -> str:
                async with slots:
                    return await create(i)

            async def create(i: int) -> str:
                case_id = f"HZ-STORM-{uuid.uuid4().hex[:8]}-{i}"
                handle = await start_hazard(client, queue, case_id, enterprise_id)
                await handle.execute_update(CaseWorkflow.created)
                return case_id

            async with asyncio.timeout(120):  # a stuck creation fails here, not at the suite's timeout
                first = await hazard(0)  # the enterprise's first case starts the record
                ids = [first, *await asyncio.gather(*(hazard(i) for i in range(1, CASES)))]
            record = client.get_workflow_handle(record_id(enterprise_id))

            async def every_case_on_record() -> bool:
                cases = dict(await record.query("state"))["cases"]
                return all(i in cases for i in ids)

            await eventually(every_case_on_record, f"the record holding all {CASES} cases", within=90)
            runs = await _runs(client, record.id)

        # the record continued as new, more than the tellings divided by the per-run limit, and carried the
        # tellings it received once it was about to continue to the next run
        assert len(runs) > CASES // SIGNALS_PER_RUN, len(runs)
        signalled = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        per_run = [sum(e.event_type == signalled for e in r.events) for r in runs]
        assert sum(per_run) == CASES and max(per_run) <= SIGNALS_PER_RUN, per_run
        carried = 0
        for r in runs[:-1]:
            attrs = r.events[-1].workflow_execution_continued_as_new_event_attributes
            (inp,) = await client.data_converter.decode(attrs.input.payloads, [CaseInput])
            assert isinstance(inp, CaseInput) and inp.carried is not None
            carried += len(inp.carried.deferred)
        assert carried > 0
        # no hazard's telling was refused for the record's signal count. A signal may find no record: the
        # first case's (there is none yet), and one that meets the record as it continues as new; the case
        # then starts it (already running, which is fine) and signals again, so nothing is lost either way
        failed = EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED
        causes: list[int] = []
        for case_id in ids:  # a hazard may have continued as new itself: every run of it
            for r in await _runs(client, case_id):
                causes += [
                    e.signal_external_workflow_execution_failed_event_attributes.cause
                    for e in r.events
                    if e.event_type == failed
                ]
        assert causes and set(causes) == {NOT_FOUND}, causes

        # every run, the deferring and the carrying ones, replays against the current code
        replayer = Replayer(
            workflows=[HazardWorkflow, EnterpriseWorkflow],
            data_converter=client.data_converter,
            workflow_runner=workflow_runner(),
        )
        for r in runs:
            await replayer.replay_workflow(r)
    finally:
        await engine.dispose()
