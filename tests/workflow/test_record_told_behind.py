"""A hazard's command answers before its enterprise's record is told (issue #21, `record-told-behind`):
the update completes in the workflow task where `record_events`' result arrives; the record's start and
its `case_facts` signal come after, in order, and the record still ends with the case's facts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.store import StoreActivities
from domain.enterprise import record_id
from harness.servers import unique_queue
from store.db import make_engine
from tests.support.poll import eventually
from tests.workflow.test_hazard_timeskip import INSPECTOR, POLICY, REPORT
from worker import build_worker
from workflows.case import CaseWorkflow
from workflows.contracts import CaseInput, CommandRequest
from workflows.kinds import EnterpriseWorkflow, HazardWorkflow

GRADE = {"type": "grade", "level": "general"}


async def start_hazard(
    client: Client, queue: str, case_id: str, enterprise_id: str
) -> WorkflowHandle[Any, Any]:
    """A general hazard of `enterprise_id` reported by the inspector (the test national pack)."""
    return await client.start_workflow(
        HazardWorkflow.run,
        CaseInput(
            case_id=case_id,
            kind="hazard",
            policy=POLICY,
            actor=INSPECTOR,
            command=REPORT | {"enterprise_id": enterprise_id},
        ),
        id=case_id,
        task_queue=queue,
    )


@pytest.fixture
async def hazard(dev_env: WorkflowEnvironment, db_url: str) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    engine = make_engine(db_url)
    queue = unique_queue()
    enterprise_id = f"ENT-BEHIND-{uuid.uuid4().hex[:8]}"
    workflows = [HazardWorkflow, EnterpriseWorkflow]
    async with build_worker(dev_env.client, queue, StoreActivities(engine), workflows=workflows):
        yield await start_hazard(dev_env.client, queue, f"HZ-BEHIND-{uuid.uuid4().hex[:8]}", enterprise_id)
    await engine.dispose()


async def test_commands_answer_before_the_record_is_told(
    dev_env: WorkflowEnvironment, hazard: WorkflowHandle[Any, Any]
) -> None:
    await hazard.execute_update(CaseWorkflow.created)
    await hazard.execute_update(CaseWorkflow.execute, CommandRequest(command=GRADE, actor=INSPECTOR))
    view = dict(await hazard.query("state"))
    record = dev_env.client.get_workflow_handle(record_id(view["enterprise_id"]))

    async def told_twice() -> bool:
        history = await hazard.fetch_history()
        signaled = EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED
        return sum(e.event_type == signaled for e in history.events) == 2

    await eventually(told_twice, "the record told of the report and of the grading")
    events = (await hazard.fetch_history()).events

    updated = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
    answered = [_completing_task(events, e.event_id) for e in events if e.event_type == updated]
    signaled = EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED
    told = [e.event_id for e in events if e.event_type == signaled]
    assert len(answered) == 2 and len(told) == 2
    # each command is answered by a workflow task completed before its telling reached the record (the old
    # path awaited the signal: its answer came in the task after the ExternalWorkflowExecutionSignaled)
    assert answered[0] < told[0] and answered[1] < told[1], (answered, told)

    async def graded_on_record() -> bool:
        state = dict(await record.query("state"))
        return bool(state["cases"].get(hazard.id, {}).get("level") == "general")

    await eventually(graded_on_record, "the record holding the hazard's grading")


def _completing_task(events: Any, update_event_id: int) -> int:
    """The WorkflowTaskCompleted event just before an update's completion: the task that answered it."""
    for e in reversed(events):
        if e.event_id < update_event_id and e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            return int(e.event_id)
    raise AssertionError("no workflow task before the update's completion")
