"""History archive: closed cases' Temporal histories kept in PostgreSQL (table `history_archive`).

Temporal deletes a closed history after the namespace retention period; the archive keeps it for audit.
Each run's history is stored as its JSON (`WorkflowHistory.to_json_dict()`, keys sorted) compressed
with zlib, with the sha256 of the uncompressed bytes and the event count, keyed by (workflow_id,
run_id). Archiving is idempotent: a second insert of the same run is a no-op (ON CONFLICT DO NOTHING),
and the stored sha is checked against the fresh one.

- `ArchiveActivities.archive_closed_histories`: the activity the scheduled `ArchiverWorkflow` calls;
- `ensure_archive_schedule(client, task_queue)`: creates (or updates) the Temporal Schedule, idempotently;
- `archive_run`: used by the activity; the archive's rows are store/archive.py's, its reader
  (`read_archived`) is the auditor's (audit/archive.py).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowHistory,
)

from activities.contracts import (
    ARCHIVE_CLOSED_HISTORIES,
    ARCHIVER_WORKFLOW,
    ArchiveFailure,
    ArchiveInput,
    ArchiveResult,
)
from store.archive import archived_pairs, insert_history, newest_closed_at

log = structlog.get_logger("hazardloop.archive")

SCHEDULE_ID = "hazardloop-history-archiver"
DEFAULT_EVERY = timedelta(minutes=5)
CLOSED_CASES_QUERY = "CaseKind IS NOT NULL AND ExecutionStatus != 'Running'"

Outcome = Literal["archived", "already_archived"]


class ArchiveConflict(Exception):
    """The archive already holds this run with different content (sha mismatch): someone edited it."""


def compress(raw: bytes) -> bytes:
    return zlib.compress(raw, 6)


def decompress(blob: bytes) -> bytes:
    return zlib.decompress(blob)


def sha256_hex(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def history_bytes(history: WorkflowHistory) -> bytes:
    """Canonical bytes of a history: its JSON (`to_json_dict`) with sorted keys. Protobuf map fields
    (search attributes, memo…) come back from the server in varying order, so plain `to_json()` is not
    stable between two fetches of the same closed history; sorted keys are."""
    return json.dumps(
        history.to_json_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


async def store_history(
    engine: AsyncEngine,
    *,
    workflow_id: str,
    run_id: str,
    workflow_type: str,
    closed_at: datetime | None,
    history: WorkflowHistory,
) -> Outcome:
    """Insert one run's history. Idempotent; raises ArchiveConflict if a different copy is stored."""
    raw = history_bytes(history)
    sha = sha256_hex(raw)
    stored = await insert_history(
        engine,
        workflow_id=workflow_id,
        run_id=run_id,
        workflow_type=workflow_type,
        closed_at=closed_at,
        blob=compress(raw),
        sha256=sha,
        event_count=len(history.events),
    )
    if stored is None:
        return "archived"
    stored_sha, stored_blob = stored
    try:
        stored_raw_sha = sha256_hex(decompress(stored_blob))
    except zlib.error:
        stored_raw_sha = "undecompressable"
    if stored_sha != sha or stored_raw_sha != sha:
        raise ArchiveConflict(
            f"{workflow_id}/{run_id}: archived copy differs (stored sha {stored_sha}, "
            f"stored bytes hash {stored_raw_sha}, server history {sha})"
        )
    return "already_archived"


async def archive_run(
    client: Client,
    engine: AsyncEngine,
    workflow_id: str,
    run_id: str,
    *,
    workflow_type: str | None = None,
    closed_at: datetime | None = None,
) -> Outcome:
    """Fetch one closed run's history from Temporal and archive it."""
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    if workflow_type is None or closed_at is None:
        desc = await handle.describe()
        workflow_type = workflow_type or desc.workflow_type
        closed_at = closed_at or desc.close_time
    history = await handle.fetch_history()
    return await store_history(
        engine,
        workflow_id=workflow_id,
        run_id=run_id,
        workflow_type=workflow_type,
        closed_at=closed_at,
        history=history,
    )


def _rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ArchiveActivities:
    """Holds the Temporal client and the engine; its bound method is registered on the worker."""

    def __init__(self, client: Client, engine: AsyncEngine) -> None:
        self.client = client
        self.engine = engine

    async def _watermark(self, inp: ArchiveInput) -> datetime | None:
        if inp.full_scan:
            return None
        newest = await newest_closed_at(self.engine)
        return None if newest is None else newest - timedelta(seconds=inp.overlap_seconds)

    @activity.defn(name=ARCHIVE_CLOSED_HISTORIES)
    async def archive_closed_histories(self, inp: ArchiveInput) -> ArchiveResult:
        since = await self._watermark(inp)
        query = CLOSED_CASES_QUERY + (f" AND CloseTime >= '{_rfc3339(since)}'" if since else "")
        if inp.task_queue:
            query += f" AND TaskQueue = '{inp.task_queue.replace(chr(39), '')}'"
        result = ArchiveResult()
        page: list[Any] = []

        async def flush() -> None:
            done = await archived_pairs(self.engine, [e.run_id for e in page])
            for e in page:
                if (e.id, e.run_id) in done:
                    result.already_archived += 1
                    continue
                if result.archived >= inp.max_histories:
                    continue
                try:
                    outcome = await archive_run(
                        self.client,
                        self.engine,
                        e.id,
                        e.run_id,
                        workflow_type=e.workflow_type,
                        closed_at=e.close_time,
                    )
                except Exception as err:  # one bad run must not stop the others; reported in the result
                    log.error("history not archived", workflow_id=e.id, run_id=e.run_id, error=str(err))
                    result.failed.append(ArchiveFailure(workflow_id=e.id, run_id=e.run_id, error=str(err)))
                    continue
                if outcome == "archived":
                    result.archived += 1
                else:
                    result.already_archived += 1
                activity.heartbeat(result.archived)
            page.clear()

        async for e in self.client.list_workflows(query, page_size=200):
            result.listed += 1
            page.append(e)
            if len(page) >= 200:
                await flush()
            if result.archived >= inp.max_histories:
                break
        await flush()
        log.info(
            "archiver pass",
            since=since.isoformat() if since else None,
            listed=result.listed,
            archived=result.archived,
            already_archived=result.already_archived,
            failed=len(result.failed),
        )
        return result


async def ensure_archive_schedule(
    client: Client,
    task_queue: str,
    *,
    every: timedelta = DEFAULT_EVERY,
    schedule_id: str = SCHEDULE_ID,
    inp: ArchiveInput | None = None,
) -> str:
    """Create the archiver's Temporal Schedule, or bring an existing one up to date. Returns its id."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            ARCHIVER_WORKFLOW,
            inp or ArchiveInput(),
            id=f"{schedule_id}-run",
            task_queue=task_queue,
            execution_timeout=timedelta(hours=1),
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=every),
    )
    try:
        await client.create_schedule(schedule_id, schedule)
        log.info("archive schedule created", schedule_id=schedule_id, task_queue=task_queue, every=str(every))
    except ScheduleAlreadyRunningError:

        def _update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(_update)
        log.info("archive schedule updated", schedule_id=schedule_id, task_queue=task_queue, every=str(every))
    return schedule_id
