"""Event store: idempotent re-append, refused conflicting append, tamper detection, projection = rebuild."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from store.db import make_engine
from store.events import AppendConflict, NewEvent, append, read_stream, verify_chain
from store.projector import project_append, rebuild
from store.schema import cases, notifications
from tests.support.ticket import TICKET  # registers the kind

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACTOR = {"id": "u1", "name": "", "role": "inspector", "region": "500107", "enterprise_id": None}


def opened(case_id: str) -> NewEvent:
    return NewEvent(
        type="opened",
        data={
            "type": "opened",
            "id": case_id,
            "region": "500107",
            "title": "t",
            "at": T0.isoformat(),
            "expires_at": (T0 + timedelta(hours=1)).isoformat(),
            "by": "u1",
        },
    )


def noted(txt: str) -> NewEvent:
    return NewEvent(type="noted", data={"type": "noted", "text": txt, "by": "u1"})


async def record(engine, case_id: str, expected: int, new: list[NewEvent], command_id: str | None = None):
    async with engine.begin() as conn:
        records, dup = await append(
            conn,
            stream_id=case_id,
            kind="ticket",
            expected_version=expected,
            new=new,
            actor=ACTOR,
            occurred_at=T0 + timedelta(minutes=expected),
            policy_id="p",
            policy_version="1",
            command_id=command_id,
        )
        if not dup:
            await project_append(
                conn,
                kind="ticket",
                stream_id=case_id,
                expected_version=expected,
                records=records,
                parent_id=None,
            )
        return records, dup


@pytest.fixture
async def engine(db_url: str):
    e = make_engine(db_url)
    yield e
    await e.dispose()


async def test_reappending_the_same_events_is_a_no_op(engine) -> None:
    assert TICKET.kind == "ticket"
    first, dup1 = await record(engine, "T-1", 0, [opened("T-1")], "c1")
    again, dup2 = await record(engine, "T-1", 0, [opened("T-1")], "c1")
    assert (dup1, dup2) == (False, True)
    assert [r.hash for r in again] == [r.hash for r in first]
    async with engine.connect() as conn:
        stream = await read_stream(conn, "T-1")
    assert [e.version for e in stream] == [1]


async def test_a_conflicting_append_is_refused_and_changes_nothing(engine) -> None:
    await record(engine, "T-2", 0, [opened("T-2"), noted("a")])
    with pytest.raises(AppendConflict, match="already hold different events"):
        await record(engine, "T-2", 1, [noted("b")])
    with pytest.raises(AppendConflict, match="gap"):
        await record(engine, "T-2", 5, [noted("c")])
    async with engine.connect() as conn:
        stream = await read_stream(conn, "T-2")
        version = (await conn.execute(select(cases.c.version).where(cases.c.id == "T-2"))).scalar_one()
    assert [e.data.get("text") for e in stream] == [None, "a"]
    assert version == 2


async def test_chain_verification_names_the_tampered_row(engine) -> None:
    await record(engine, "T-3", 0, [opened("T-3")])
    await record(engine, "T-3", 1, [noted("first")])
    await record(engine, "T-3", 2, [noted("second")])
    async with engine.connect() as conn:
        assert verify_chain(await read_stream(conn, "T-3")) == []
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE events SET data = jsonb_set(data, '{text}', '\"forged\"') "
                "WHERE stream_id = 'T-3' AND version = 2"
            )
        )
    async with engine.connect() as conn:
        breaks = verify_chain(await read_stream(conn, "T-3"))
    assert [(b.stream_id, b.version, b.problem) for b in breaks] == [
        ("T-3", 2, "hash does not match the event's content")
    ]


async def test_a_deleted_event_breaks_the_chain(engine) -> None:
    await record(engine, "T-4", 0, [opened("T-4"), noted("a"), noted("b")])
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM events WHERE stream_id = 'T-4' AND version = 2"))
    async with engine.connect() as conn:
        breaks = verify_chain(await read_stream(conn, "T-4"))
    assert {(b.version, b.problem) for b in breaks} >= {(2, "missing event"), (3, "prev_hash does not link")}


async def test_projection_equals_a_rebuild_from_the_event_store(engine) -> None:
    for i in range(5):
        cid = f"T-R{i}"
        await record(engine, cid, 0, [opened(cid)])
        for j in range(i):
            await record(engine, cid, 1 + j, [noted(f"n{j}")])
    cols = [
        cases.c.id,
        cases.c.version,
        cases.c.status,
        cases.c.region,
        cases.c.state,
        cases.c.view,
        cases.c.created_at,
        cases.c.updated_at,
        cases.c.parent_id,
    ]
    async with engine.begin() as conn:  # a child case: its parent link lives only in the projection
        await conn.execute(update(cases).where(cases.c.id == "T-R3").values(parent_id="T-R0"))
    async with engine.connect() as conn:
        before = (await conn.execute(select(*cols).order_by(cases.c.id))).all()
    assert [r.parent_id for r in before] == [None, None, None, "T-R0", None]
    async with engine.begin() as conn:  # damage the projection: a rebuild must restore it from the events
        await conn.execute(update(cases).values(status="garbage", state={}))
    counts = await rebuild(engine)
    async with engine.connect() as conn:
        after = (await conn.execute(select(*cols).order_by(cases.c.id))).all()
        n_notes = (await conn.execute(select(notifications.c.id))).all()
    assert counts == {"events": 5 + sum(range(5)), "cases": 5}
    assert after == before
    assert n_notes == []
    # batches of three events split streams (T-R4 holds five) and fold in two worker processes, which
    # know the test kind only through the registry's modules
    async with engine.begin() as conn:
        await conn.execute(update(cases).values(status="garbage", state={}))
    assert await rebuild(engine, batch=3, processes=2) == counts
    async with engine.connect() as conn:
        assert (await conn.execute(select(*cols).order_by(cases.c.id))).all() == before


async def test_the_migrations_build_exactly_the_tables_the_code_declares(engine) -> None:
    """`store/schema.py` and `migrations/` must not drift: a column type changed in one only (as 0004 changed
    `cases.state` to json) would pass every other test while writing what the other side does not expect."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from store.schema import metadata

    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), metadata
            )
        )
    assert [
        d
        for d in diff
        if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
    ] == []
