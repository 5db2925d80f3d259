"""The event store: append-only, (stream_id, version) primary key, global position, per-stream hash chain.

Appends are idempotent: the same events at the same versions are a no-op; different ones are an
`AppendConflict` (non-retryable). Each event's hash covers the previous hash and the canonical event,
so an edited or deleted row breaks the chain at a precise (stream, version).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from store.schema import events as events_t

GENESIS = "0" * 64
# what the store keeps for the rules alone and no read leaving the service shows: a tip's claim-token hash
PRIVATE_FIELDS = frozenset({"claim_token_hash"})


def redact(data: dict[str, Any], *, keep_keys: bool = False) -> dict[str, Any]:
    """`data` (an event's or a state's) without its private values: dropped, or with `keep_keys` nulled
    (where a fold still needs the field)."""
    if not PRIVATE_FIELDS & data.keys():
        return data
    if keep_keys:
        return {k: None if k in PRIVATE_FIELDS else v for k, v in data.items()}
    return {k: v for k, v in data.items() if k not in PRIVATE_FIELDS}


class AppendConflict(Exception):
    """Different events already stand at these versions (or the stream is not at the expected version)."""


class NewEvent(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: str
    data: dict[str, Any]


class StoredEvent(BaseModel):
    model_config = ConfigDict(frozen=True)
    stream_id: str
    version: int
    kind: str
    type: str
    data: dict[str, Any]
    actor: dict[str, Any]
    occurred_at: datetime
    policy_id: str
    policy_version: str
    command_id: str | None
    prev_hash: str
    hash: str
    global_position: int | None = None
    recorded_at: datetime | None = None


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def canonical(
    stream_id: str,
    version: int,
    kind: str,
    type_: str,
    data: dict[str, Any],
    actor: dict[str, Any],
    occurred_at: datetime,
    policy_id: str,
    policy_version: str,
    command_id: str | None,
) -> bytes:
    """The bytes a hash covers: sorted-key compact JSON of every field that means something."""
    doc = {
        "stream_id": stream_id,
        "version": version,
        "kind": kind,
        "type": type_,
        "data": data,
        "actor": actor,
        "occurred_at": _iso(occurred_at),
        "policy": [policy_id, policy_version],
        "command_id": command_id,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def chain_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + body).hexdigest()


def build_records(
    stream_id: str,
    kind: str,
    start_version: int,
    prev_hash: str,
    new: Sequence[NewEvent],
    actor: dict[str, Any],
    occurred_at: datetime,
    policy_id: str,
    policy_version: str,
    command_id: str | None,
) -> list[StoredEvent]:
    out: list[StoredEvent] = []
    prev = prev_hash
    for i, e in enumerate(new):
        v = start_version + i
        # normalise data through JSON so the hash is over what the database will hold
        data = json.loads(json.dumps(e.data, default=str))
        h = chain_hash(
            prev,
            canonical(
                stream_id, v, kind, e.type, data, actor, occurred_at, policy_id, policy_version, command_id
            ),
        )
        out.append(
            StoredEvent(
                stream_id=stream_id,
                version=v,
                kind=kind,
                type=e.type,
                data=data,
                actor=actor,
                occurred_at=occurred_at,
                policy_id=policy_id,
                policy_version=policy_version,
                command_id=command_id,
                prev_hash=prev,
                hash=h,
            )
        )
        prev = h
    return out


async def head(conn: AsyncConnection, stream_id: str) -> tuple[int, str]:
    """(version, hash) of the stream's last event; (0, GENESIS) for a new stream."""
    row = (
        await conn.execute(
            select(events_t.c.version, events_t.c.hash)
            .where(events_t.c.stream_id == stream_id)
            .order_by(events_t.c.version.desc())
            .limit(1)
        )
    ).first()
    return (0, GENESIS) if row is None else (int(row.version), str(row.hash))


async def append(
    conn: AsyncConnection,
    *,
    stream_id: str,
    kind: str,
    expected_version: int,
    new: Sequence[NewEvent],
    actor: dict[str, Any],
    occurred_at: datetime,
    policy_id: str,
    policy_version: str,
    command_id: str | None,
) -> tuple[list[StoredEvent], bool]:
    """Append `new` after `expected_version`. Returns (records, duplicate).

    Call inside a transaction that holds the stream's lock (the projector locks the case row).
    """
    version, last_hash = await head(conn, stream_id)
    if version < expected_version:
        raise AppendConflict(
            f"stream {stream_id} is at version {version}, expected {expected_version}: a gap"
        )
    prev_hash = last_hash
    if version > expected_version:
        prev_row = (
            await conn.execute(
                select(events_t.c.hash).where(
                    events_t.c.stream_id == stream_id, events_t.c.version == expected_version
                )
            )
        ).first()
        prev_hash = GENESIS if expected_version == 0 else (str(prev_row.hash) if prev_row else GENESIS)
    records = build_records(
        stream_id,
        kind,
        expected_version + 1,
        prev_hash,
        new,
        actor,
        occurred_at,
        policy_id,
        policy_version,
        command_id,
    )
    if version > expected_version:
        existing = (
            await conn.execute(
                select(events_t.c.version, events_t.c.hash)
                .where(
                    events_t.c.stream_id == stream_id,
                    events_t.c.version > expected_version,
                    events_t.c.version <= expected_version + len(records),
                )
                .order_by(events_t.c.version)
            )
        ).all()
        if [(r.version, r.hash) for r in existing] == [(r.version, r.hash) for r in records]:
            return records, True
        raise AppendConflict(
            f"stream {stream_id}: versions {expected_version + 1}..{expected_version + len(records)} "
            f"already hold different events (stream at version {version})"
        )
    if records:
        await conn.execute(
            events_t.insert(),
            [
                {
                    "stream_id": r.stream_id,
                    "version": r.version,
                    "kind": r.kind,
                    "type": r.type,
                    "data": r.data,
                    "actor": r.actor,
                    "occurred_at": r.occurred_at,
                    "policy_id": r.policy_id,
                    "policy_version": r.policy_version,
                    "command_id": r.command_id,
                    "prev_hash": r.prev_hash,
                    "hash": r.hash,
                }
                for r in records
            ],
        )
    return records, False


def _row_to_event(r: Any) -> StoredEvent:
    return StoredEvent(
        stream_id=r.stream_id,
        version=r.version,
        kind=r.kind,
        type=r.type,
        data=r.data,
        actor=r.actor,
        occurred_at=r.occurred_at,
        policy_id=r.policy_id,
        policy_version=r.policy_version,
        command_id=r.command_id,
        prev_hash=r.prev_hash,
        hash=r.hash,
        global_position=r.global_position,
        recorded_at=r.recorded_at,
    )


async def read_stream(
    conn: AsyncConnection, stream_id: str, *, until: datetime | None = None
) -> list[StoredEvent]:
    q = select(events_t).where(events_t.c.stream_id == stream_id)
    if until is not None:
        q = q.where(events_t.c.occurred_at <= until)
    rows = (await conn.execute(q.order_by(events_t.c.version))).all()
    return [_row_to_event(r) for r in rows]


async def read_command(conn: AsyncConnection, stream_id: str, key: str, sep: str) -> list[StoredEvent]:
    """The events a command recorded under the idempotency `key`: command id `key` or `key{sep}…`."""
    cid = events_t.c.command_id
    q = select(events_t).where(
        events_t.c.stream_id == stream_id, (cid == key) | cid.startswith(key + sep, autoescape=True)
    )
    rows = (await conn.execute(q.order_by(events_t.c.version))).all()
    return [_row_to_event(r) for r in rows]


CONTENT_HASH_MISMATCH = "hash does not match the event's content"


class ChainBreak(BaseModel):
    stream_id: str
    version: int
    problem: str
    expected: str | None = None
    found: str | None = None


def verify_chain(stream: Sequence[StoredEvent]) -> list[ChainBreak]:
    """Recompute every link; report each broken one precisely (gaps, edited rows, relinked rows)."""
    breaks: list[ChainBreak] = []
    prev = GENESIS
    expected_version = 1
    for e in stream:
        if e.version != expected_version:
            breaks.append(
                ChainBreak(
                    stream_id=e.stream_id,
                    version=expected_version,
                    problem="missing event",
                    expected=f"version {expected_version}",
                    found=f"version {e.version}",
                )
            )
        if e.prev_hash != prev:
            breaks.append(
                ChainBreak(
                    stream_id=e.stream_id,
                    version=e.version,
                    problem="prev_hash does not link",
                    expected=prev,
                    found=e.prev_hash,
                )
            )
        h = chain_hash(
            e.prev_hash,
            canonical(
                e.stream_id,
                e.version,
                e.kind,
                e.type,
                e.data,
                e.actor,
                e.occurred_at,
                e.policy_id,
                e.policy_version,
                e.command_id,
            ),
        )
        if h != e.hash:
            breaks.append(
                ChainBreak(
                    stream_id=e.stream_id,
                    version=e.version,
                    problem=CONTENT_HASH_MISMATCH,
                    expected=h,
                    found=e.hash,
                )
            )
        prev = e.hash
        expected_version = e.version + 1
    return breaks
