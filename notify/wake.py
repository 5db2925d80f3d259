"""Wakes the outbox drainer as soon as notifications are committed on its engine, so the drainer can
sleep when idle instead of polling the database every second (issue #21: idle CPU of the stack).

Every writer of the `notifications` table in a worker process (record_events' projection, the daily
report and overdue sweeps) runs on the worker's engine, the one the drainer drains with. A listener on
that engine notes a connection whose statement inserted notifications; when the transaction commits and
the connection goes back to the pool, the drainer is woken. The wake comes after the commit has
completed, so the drainer's next claim sees the rows. A rolled-back transaction wakes nobody.

The one-statement recording (store/record.py, `hl_record_events` in autocommit) marks its connection
committed itself when its statement wrote notices.

Notifications written elsewhere (the API process, another worker's engine) and deliveries waiting for
their retry time are found by the drainer's slower fallback poll (HAZARDLOOP_OUTBOX_POLL_SECONDS).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry

from store.record import NOTICES_COMMITTED

_INSERTS_NOTIFICATIONS = re.compile(r"\bINSERT\s+INTO\s+notifications\b", re.IGNORECASE)
_WRITTEN = NOTICES_COMMITTED  # the key on the pooled connection's info


class OutboxWake:
    """An event set (from any thread) once a transaction that inserted notifications has committed."""

    def __init__(self, engine: AsyncEngine, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.engine = engine
        self.loop = loop or asyncio.get_running_loop()
        self.event = asyncio.Event()
        self._sync = engine.sync_engine
        event.listen(self._sync, "before_cursor_execute", self._statement)
        event.listen(self._sync, "commit", self._commit)
        event.listen(self._sync, "rollback", self._rollback)
        event.listen(self._sync.pool, "checkin", self._checkin)

    def close(self) -> None:
        event.remove(self._sync, "before_cursor_execute", self._statement)
        event.remove(self._sync, "commit", self._commit)
        event.remove(self._sync, "rollback", self._rollback)
        event.remove(self._sync.pool, "checkin", self._checkin)

    def _statement(self, conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if _INSERTS_NOTIFICATIONS.search(statement):
            conn.info[_WRITTEN] = "pending"

    def _commit(self, conn: Connection) -> None:
        if conn.info.get(_WRITTEN) == "pending":
            conn.info[_WRITTEN] = "committed"  # woken at checkin: the COMMIT is still under way here

    def _rollback(self, conn: Connection) -> None:
        # a statement in autocommit (store/record.py's one-statement recording) marks itself committed;
        # closing such a connection rolls back nothing of it
        if conn.info.get(_WRITTEN) == "pending":
            conn.info.pop(_WRITTEN, None)

    def _checkin(self, _dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if record.info.pop(_WRITTEN, None) == "committed":
            self.loop.call_soon_threadsafe(self.event.set)
