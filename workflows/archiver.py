"""The history archiver: a scheduled workflow that archives closed case histories to PostgreSQL.

Deterministic and free of I/O: it only calls the `archive_closed_histories` activity
(activities/archive.py), which lists closed case workflows not yet archived, fetches each history and
stores it compressed with its sha256. A Temporal Schedule (`ensure_archive_schedule`) starts it every
few minutes; overlapping runs are skipped by the schedule policy.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from activities.contracts import ARCHIVE_CLOSED_HISTORIES, ARCHIVER_WORKFLOW, ArchiveInput, ArchiveResult


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
