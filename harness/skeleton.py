"""The bare Temporal ceiling: the same number of updates, activities (one PostgreSQL INSERT each) and
timers as a general hazard's lifecycle, with none of the service's code (no decider, no event store,
no projection). Benchmarks report the service's figure as a ratio of this one.

A general hazard's history holds four updates (`created`, which the API awaits before it answers 201,
then grade, submit_rectification and review), four activities and three timers (a deadline armed after
each of the first three commands, cancelled by the next). The skeleton does the same: a `created`
update that waits for the first INSERT, then `steps` updates, re-arming its timer after each."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions


class SkeletonStep(BaseModel):
    case_id: str
    step: int


class SkeletonActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @activity.defn(name="skeleton_insert")
    async def insert(self, step: SkeletonStep) -> int:
        async with self.engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO bench_skeleton (case_id, step) VALUES (:c, :s) ON CONFLICT DO NOTHING"),
                {"c": step.case_id, "s": step.step},
            )
        return step.step


CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_skeleton (case_id text, step int, PRIMARY KEY (case_id, step))"
)


@workflow.defn(name="SkeletonWorkflow")
class SkeletonWorkflow:
    """Start → INSERT; each update → INSERT; waits on a (far) timer between updates; ends after `steps`."""

    @workflow.init
    def __init__(self, case_id: str, steps: int) -> None:
        self.case_id = case_id
        self.steps = steps
        self.done = 0
        self.lock = asyncio.Lock()
        self.created = False

    @workflow.run
    async def run(self, case_id: str, steps: int) -> int:
        async with self.lock:
            await self._insert()
            self.created = True
        while self.done < self.steps:
            seen = self.done
            try:  # a deadline re-armed after every step, as a hazard's next deadline is
                await workflow.wait_condition(lambda seen=seen: self.done != seen, timeout=timedelta(days=7))
            except TimeoutError:
                pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.done

    async def _insert(self) -> None:
        await workflow.execute_activity(
            "skeleton_insert",
            SkeletonStep(case_id=self.case_id, step=self.done),
            result_type=int,
            start_to_close_timeout=timedelta(seconds=30),
        )

    @workflow.update(name="created")
    async def created_update(self) -> int:
        """Answers once the first INSERT is done, as the API's `created` update does."""
        await workflow.wait_condition(lambda: self.created)
        return self.done

    @workflow.update
    async def step(self) -> int:
        await workflow.wait_condition(lambda: self.created)
        async with self.lock:
            self.done += 1
            await self._insert()
            return self.done

    @step.validator
    def _validate(self) -> None:
        if self.done >= self.steps:
            raise ValueError("no more steps")


# --- the plain variant: the same workflow under the SDK's default data converter (no pydantic, no codec) ---


@dataclass
class PlainStep:
    case_id: str
    step: int


class PlainSkeletonActivities(SkeletonActivities):
    @activity.defn(name="plain_skeleton_insert")
    async def plain_insert(self, step: PlainStep) -> int:
        return await self.insert(SkeletonStep(case_id=step.case_id, step=step.step))


@workflow.defn(name="PlainSkeletonWorkflow")
class PlainSkeletonWorkflow(SkeletonWorkflow):
    """The skeleton as a plain Temporal application writes it: a dataclass argument, so the SDK's default
    JSON converter carries it (bench/deployed.py runs it on a client without the project's converter)."""

    @workflow.run
    async def run(self, case_id: str, steps: int) -> int:
        return await super().run(case_id, steps)

    async def _insert(self) -> None:
        await workflow.execute_activity(
            "plain_skeleton_insert",
            PlainStep(case_id=self.case_id, step=self.done),
            result_type=int,
            start_to_close_timeout=timedelta(seconds=30),
        )


def plain_skeleton_worker(client: Client, queue: str, engine: AsyncEngine) -> Worker:
    """The plain skeleton's worker: `client` should carry the SDK's default converter; the sandbox passes
    the already imported libraries through, as a plain application's `imports_passed_through` does."""
    return Worker(
        client,
        task_queue=queue,
        workflows=[PlainSkeletonWorkflow],
        activities=[PlainSkeletonActivities(engine).plain_insert],
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(
                "harness", "pydantic", "pydantic_core", "sqlalchemy"
            )
        ),
    )


async def plain_skeleton_lifecycle(client: Client, queue: str, steps: int = 3) -> str:
    """One plain skeleton lifecycle: start, the `created` update, `steps` step updates, the result."""
    wid = f"PSK-{uuid.uuid4().hex[:12]}"
    h = await client.start_workflow(PlainSkeletonWorkflow.run, args=[wid, steps], id=wid, task_queue=queue)
    await h.execute_update(PlainSkeletonWorkflow.created_update)
    for _ in range(steps):
        await h.execute_update(PlainSkeletonWorkflow.step)
    await h.result()
    return wid
