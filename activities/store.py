"""record_events: append to the event store and update the projection in one transaction."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import (
    APPEND_CONFLICT,
    RECORD_EVENTS,
    RecordedEvent,
    RecordEventsInput,
    RecordEventsResult,
)
from store.events import AppendConflict, NewEvent, append
from store.projector import ProjectionMismatch, project_append

log = structlog.get_logger(__name__)


class StoreActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @activity.defn(name=RECORD_EVENTS)
    async def record_events(self, inp: RecordEventsInput) -> RecordEventsResult:
        new = [NewEvent(type=e.type, data=e.data) for e in inp.events]
        try:
            async with self.engine.begin() as conn:
                records, duplicate = await append(
                    conn,
                    stream_id=inp.stream_id,
                    kind=inp.kind,
                    expected_version=inp.expected_version,
                    new=new,
                    actor=inp.actor.model_dump(mode="json"),
                    occurred_at=inp.occurred_at,
                    policy_id=inp.policy.id,
                    policy_version=inp.policy.version,
                    command_id=inp.command_id,
                )
                if not duplicate:
                    await project_append(
                        conn,
                        kind=inp.kind,
                        stream_id=inp.stream_id,
                        expected_version=inp.expected_version,
                        records=records,
                        parent_id=inp.parent_id,
                    )
        except (AppendConflict, ProjectionMismatch) as e:
            log.error(
                "append refused", stream_id=inp.stream_id, expected_version=inp.expected_version, error=str(e)
            )
            raise ApplicationError(str(e), type=APPEND_CONFLICT, non_retryable=True) from e
        log.info(
            "events recorded",
            stream_id=inp.stream_id,
            kind=inp.kind,
            duplicate=duplicate,
            from_version=inp.expected_version + 1,
            count=len(records),
            types=[r.type for r in records],
        )
        return RecordEventsResult(
            version=records[-1].version if records else inp.expected_version,
            duplicate=duplicate,
            events=[RecordedEvent(version=r.version, type=r.type, data=r.data, hash=r.hash) for r in records],
        )
