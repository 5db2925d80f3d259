"""record_events: append to the event store and update the projection in one transaction, one round trip
(store/record.py)."""

from __future__ import annotations

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import (
    APPEND_CONFLICT,
    RECORD_EVENTS,
    RECORD_FAILED,
    UNSTORABLE_VALUE,
    RecordedEvent,
    RecordEventsInput,
    RecordEventsResult,
)
from store.db import refuses_the_value, sqlstate, statement_name
from store.events import AppendConflict, NewEvent
from store.projector import ProjectionMismatch
from store.record import Recording, StreamCache, record

log = structlog.get_logger(__name__)


class StoreActivities:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # what this process last recorded per stream: a recording from it is one round trip (store/record.py)
        self.heads = StreamCache()

    @activity.defn(name=RECORD_EVENTS)
    async def record_events(self, inp: RecordEventsInput) -> RecordEventsResult:
        new = [NewEvent(type=e.type, data=e.data) for e in inp.events]
        try:
            records, duplicate = await record(
                self.engine,
                self.heads,
                Recording(
                    stream_id=inp.stream_id,
                    kind=inp.kind,
                    expected_version=inp.expected_version,
                    new=new,
                    actor=inp.actor.model_dump(mode="json"),
                    occurred_at=inp.occurred_at,
                    policy_id=inp.policy.id,
                    policy_version=inp.policy.version,
                    command_id=inp.command_id,
                    parent_id=inp.parent_id,
                ),
            )
        except (AppendConflict, ProjectionMismatch) as e:
            log.error(
                "append refused", stream_id=inp.stream_id, expected_version=inp.expected_version, error=str(e)
            )
            raise ApplicationError(str(e), type=APPEND_CONFLICT, non_retryable=True) from e
        except Exception as e:
            raise record_failure(e, inp.stream_id) from None
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


def record_failure(e: Exception, stream_id: str) -> ApplicationError:
    """A failed append as an activity failure that names no value. The original error is not chained:
    a driver's message carries the statement's parameters (a tip's text, an inspector's findings), and an
    activity failure is kept in the workflow history and shown by the Temporal UI. Only the SQLSTATE and
    the statement's verb and table are told, here and in the log."""
    if isinstance(e, SQLAlchemyError):
        state, statement = sqlstate(e) or "none", statement_name(e)
        what = f"SQLSTATE {state} in {statement}"
        if refuses_the_value(e):
            log.error(
                "the database refused a value", stream_id=stream_id, sqlstate=state, statement=statement
            )
            return ApplicationError(
                f"the database cannot store a value of these events ({what})",
                type=UNSTORABLE_VALUE,
                non_retryable=True,
            )
    else:
        what = type(e).__name__
    log.warning("recording failed, will retry", stream_id=stream_id, error=what)
    return ApplicationError(f"recording the events failed ({what})", type=RECORD_FAILED)
