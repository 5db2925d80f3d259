"""The history archiver: a scheduled workflow that archives closed case histories to PostgreSQL.

Deterministic and free of I/O: it only calls the `archive_closed_histories` activity
(activities/archive.py), which lists closed case workflows not yet archived, fetches each history and
stores it compressed with its sha256. A Temporal Schedule (`ensure_archive_schedule`) starts it every
few minutes; overlapping runs are skipped by the schedule policy.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field
from temporalio import workflow
from temporalio.common import RetryPolicy

ARCHIVE_CLOSED_HISTORIES = "archive_closed_histories"
ARCHIVER_WORKFLOW = "ArchiverWorkflow"


class ArchiveInput(BaseModel):
    """What one archiver run looks at."""

    max_histories: int = Field(default=1000, gt=0, description="histories archived per run at most")
    overlap_seconds: int = Field(
        default=86400,
        ge=0,
        description="closed runs are listed from the newest archived close time minus this overlap",
    )
    full_scan: bool = Field(default=False, description="list every closed case run, ignoring the watermark")
    task_queue: str | None = Field(
        default=None, description="only case workflows of this task queue (None: every case workflow)"
    )


class ArchiveFailure(BaseModel):
    workflow_id: str
    run_id: str
    error: str


class ArchiveResult(BaseModel):
    listed: int = 0
    archived: int = 0
    already_archived: int = 0
    failed: list[ArchiveFailure] = Field(default_factory=list)


@workflow.defn(name=ARCHIVER_WORKFLOW)
class ArchiverWorkflow:
    @workflow.run
    async def run(self, inp: ArchiveInput) -> ArchiveResult:
        result: ArchiveResult = await workflow.execute_activity(
            ARCHIVE_CLOSED_HISTORIES,
            inp,
            result_type=ArchiveResult,
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=RetryPolicy(
                initial_interval=timedelta(seconds=5),
                backoff_coefficient=2.0,
                maximum_interval=timedelta(minutes=2),
                maximum_attempts=5,
            ),
        )
        workflow.logger.info(
            "archiver run: listed %d, archived %d, already archived %d, failed %d",
            result.listed,
            result.archived,
            result.already_archived,
            len(result.failed),
        )
        return result
