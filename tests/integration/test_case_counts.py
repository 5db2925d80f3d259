"""`case_counts`, kept by triggers on `cases`, always agrees with counting the `cases` rows: after
inserts, moves between groups, flag changes and deletes, under concurrent commands crossing the same
groups in both directions (no deadlock), through a truncate and through a rebuild."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from typer.testing import CliRunner

from runtime.settings import get_settings
from starter.cli import app
from store.db import make_engine
from store.projector import rebuild
from store.queries import ListFilters, stats, stats_from_cases
from store.schema import case_counts, cases
from tests.integration.test_event_store import noted, opened, record

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REGIONS = ["500107", "500108", "500203", "510104"]
STATUSES = ["reported", "rectifying", "verifying", "closed"]
LEVELS = [None, "general", "major"]
ENTERPRISES = [None, "ENT-1", "ENT-2"]
GROUPINGS = [
    ["status"],
    ["region", "status"],
    ["level"],
    ["enterprise_id", "status"],
    ["city"],
    ["province", "level"],
]
SCOPES = [("000000", None), ("500000", None), ("500100", None), ("500107", None), ("000000", "ENT-1")]


@pytest.fixture
async def engine(db_url: str):
    e = make_engine(db_url)
    yield e
    await e.dispose()


def row(i: int, rng: random.Random) -> dict[str, Any]:
    region = rng.choice(REGIONS)
    status = rng.choice(STATUSES)
    return {
        "id": f"HZ-{i:05d}",
        "kind": "hazard",
        "version": 1,
        "status": status,
        "level": rng.choice(LEVELS),
        "region": region,
        "region_city": region[:4],
        "region_province": region[:2],
        "enterprise_id": rng.choice(ENTERPRISES),
        "overdue": rng.random() < 0.3,
        "terminal": status == "closed",
        "policy_id": "p",
        "policy_version": "1",
        "created_at": T0 + timedelta(minutes=i),
        "updated_at": T0 + timedelta(minutes=i),
        "state": {},
        "view": {},
    }


async def assert_agree(engine, kind: str = "hazard") -> None:
    async with engine.connect() as conn:
        for region, enterprise in SCOPES:
            f = ListFilters(kind=kind, region=region, enterprise_id=enterprise)
            for groups in GROUPINGS:
                counted = await stats_from_cases(conn, f, groups)
                assert await stats(conn, f, groups) == counted, (region, enterprise, groups)


async def test_counts_follow_every_change_to_cases(engine) -> None:
    rng = random.Random(7)
    async with engine.begin() as conn:
        await conn.execute(insert(cases), [row(i, rng) for i in range(400)])
    await assert_agree(engine)
    async with engine.connect() as conn:
        total = await stats(conn, ListFilters(kind="hazard"), ["status"])
    assert sum(r["count"] for r in total) == 400
    assert sum(r["closed_or_cancelled"] for r in total) == next(
        r["count"] for r in total if r["status"] == "closed"
    )

    for step in range(300):  # moves between groups, flag flips, deletes, re-inserts
        i = rng.randrange(450)
        async with engine.begin() as conn:
            choice = rng.random()
            if choice < 0.6:
                new = row(i, rng)
                await conn.execute(
                    update(cases)
                    .where(cases.c.id == new["id"])
                    .values(
                        {
                            k: new[k]
                            for k in (
                                "status",
                                "level",
                                "region",
                                "region_city",
                                "region_province",
                                "enterprise_id",
                                "terminal",
                            )
                        }
                    )
                )
            elif choice < 0.8:
                await conn.execute(
                    update(cases).where(cases.c.id == f"HZ-{i:05d}").values(overdue=~cases.c.overdue)
                )
            elif choice < 0.9:
                await conn.execute(delete(cases).where(cases.c.id == f"HZ-{i:05d}"))
            else:
                await conn.execute(pg_insert(cases).values(row(1000 + step, rng)).on_conflict_do_nothing())
            if step % 7 == 0:  # an update that changes no counted column fires no trigger
                await conn.execute(update(cases).where(cases.c.id == f"HZ-{i:05d}").values(version=2))
    await assert_agree(engine)
    async with engine.connect() as conn:
        zero = (await conn.execute(select(case_counts).where(case_counts.c.n == 0))).all()
        shown = await stats(conn, ListFilters(kind="hazard"), ["region", "status", "level", "enterprise_id"])
    assert all(r["count"] > 0 for r in shown)  # groups emptied by the moves are not listed
    assert len(zero) > 0, "the moves should have emptied some group, or this test checks less than it says"

    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE cases"))
    async with engine.connect() as conn:
        assert (await conn.execute(select(case_counts))).all() == []
        assert await stats(conn, ListFilters(kind="hazard"), ["status"]) == []


async def test_concurrent_moves_across_the_same_groups_neither_deadlock_nor_lose_a_count(engine) -> None:
    rng = random.Random(11)
    rows = [
        row(i, rng) | {"region": "500107", "region_city": "5001", "region_province": "50"} for i in range(60)
    ]
    for r in rows:
        r.update(
            status="reported" if int(r["id"][3:]) % 2 else "rectifying",
            level="general",
            enterprise_id="ENT-1",
        )
    async with engine.begin() as conn:
        await conn.execute(insert(cases), rows)

    async def flip(r: dict[str, Any], round_: int) -> None:
        # half the cases go reported → rectifying while the other half go rectifying → reported: each
        # transaction locks the same two counter rows, in the opposite order if taken naively
        status = ["reported", "rectifying"][(int(r["id"][3:]) + round_ + 1) % 2]
        async with engine.begin() as conn:
            await conn.execute(update(cases).where(cases.c.id == r["id"]).values(status=status))

    for round_ in range(5):
        await asyncio.gather(*(flip(r, round_) for r in rows))
    await assert_agree(engine)
    async with engine.connect() as conn:
        by_status = {
            r["status"]: r["count"] for r in await stats(conn, ListFilters(kind="hazard"), ["status"])
        }
    assert by_status == {"reported": 30, "rectifying": 30}


async def test_a_rebuild_recounts_and_leaves_the_triggers_on(engine) -> None:
    for n in range(4):
        cid = f"T-C{n}"
        await record(engine, cid, 0, [opened(cid)])
        for j in range(n):
            await record(engine, cid, 1 + j, [noted(f"n{j}")])
    async with engine.begin() as conn:  # damage the counts: the rebuild must recount from what it writes
        await conn.execute(update(case_counts).values(n=99))
    await rebuild(engine, kind="ticket")
    await assert_agree(engine, "ticket")
    async with engine.connect() as conn:
        assert sum(r["count"] for r in await stats(conn, ListFilters(kind="ticket"), ["status"])) == 4
    await record(engine, "T-C9", 0, [opened("T-C9")])  # the triggers count again after the rebuild
    await rebuild(engine)
    await record(engine, "T-C10", 0, [opened("T-C10")])
    await assert_agree(engine, "ticket")
    async with engine.connect() as conn:
        assert sum(r["count"] for r in await stats(conn, ListFilters(kind="ticket"), ["status"])) == 6


async def test_check_counts_names_the_group_that_drifted(engine, db_url, monkeypatch) -> None:
    rng = random.Random(3)
    async with engine.begin() as conn:
        await conn.execute(insert(cases), [row(i, rng) for i in range(50)])
    monkeypatch.setenv("HAZARDLOOP_DATABASE_URL", db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        ok = await asyncio.to_thread(runner.invoke, app, ["projections", "check-counts", "--json"])
        assert ok.exit_code == 0, ok.output
        assert json.loads(ok.output) == {"differences": []}
        async with engine.begin() as conn:  # written around the triggers
            was = (await conn.execute(select(cases.c.status).where(cases.c.id == "HZ-00003"))).scalar_one()
            await conn.execute(text("ALTER TABLE cases DISABLE TRIGGER cases_count_changes"))
            await conn.execute(update(cases).where(cases.c.id == "HZ-00003").values(status="elsewhere"))
            await conn.execute(text("ALTER TABLE cases ENABLE TRIGGER cases_count_changes"))
        bad = await asyncio.to_thread(runner.invoke, app, ["projections", "check-counts", "--json"])
        assert bad.exit_code == 1, bad.output
        drift = json.loads(bad.output)["differences"]
        assert sorted((d["status"], d["counted"] - d["kept"]) for d in drift) == sorted(
            [("elsewhere", 1), (was, -1)]
        )
    finally:
        get_settings.cache_clear()


async def test_migration_0006_counts_the_cases_already_there_and_downgrades(pg) -> None:
    """A store that had cases before 0006: the upgrade backfills `case_counts` from them; the downgrade
    takes the table and its triggers away again."""
    import asyncpg
    from alembic import command

    from store.migrate import _config, migrate
    from store.queries import count_drift

    name = f"m_{random.Random().getrandbits(48):012x}"
    admin = await asyncpg.connect(pg.server.dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = pg.server.url(name)
    await migrate(url, "0005")
    e = make_engine(url)
    try:
        rng = random.Random(5)
        async with e.begin() as conn:
            await conn.execute(insert(cases), [row(i, rng) for i in range(120)])
        await migrate(url, "head")
        async with e.connect() as conn:
            assert await count_drift(conn) == []
            by_status = await stats(conn, ListFilters(kind="hazard"), ["status"])
        assert sum(r["count"] for r in by_status) == 120

        async with e.begin() as conn:

            def down(sync_conn: Any) -> None:
                cfg = _config()
                cfg.attributes["connection"] = sync_conn
                command.downgrade(cfg, "0005")

            await conn.run_sync(down)
        async with e.connect() as conn:
            left = (
                await conn.execute(
                    text(
                        "SELECT (SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'cases_count%'), "
                        "to_regclass('case_counts') IS NULL"
                    )
                )
            ).one()
        assert tuple(left) == (0, True)
        async with e.begin() as conn:  # and cases still take writes with the triggers gone
            await conn.execute(update(cases).values(status="closed"))
    finally:
        await e.dispose()
