"""`hazardloop seal rotate`: with a new key first in HAZARDLOOP_SEAL_KEY, every sealed value in the database
moves to it, in batches and idempotently; then the old key can leave the ring and everything still opens."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from runtime.settings import get_settings
from starter.cli import app
from store.db import make_engine
from store.schema import contacts, sealed_identities
from store.sealed import reveal_identity, seal_identity
from store.sealing import KeyRing, new_key
from store.webhook_secrets import endpoint_secret, issue

OLD, NEW = new_key(), new_key()
REPORTERS = {f"TP-{i}": {"name": f"举报人{i}", "contact": f"1380000000{i}"} for i in range(3)}
URLS = [f"https://hooks.example.com/{i}" for i in range(2)]
AUDITOR = {"id": "op-1", "role": "operator"}


@pytest.fixture
def seal_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("HAZARDLOOP_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def rotate(monkeypatch: pytest.MonkeyPatch, keys: str, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("HAZARDLOOP_SEAL_KEY", keys)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["seal", "rotate", *args])
    return result.exit_code, result.output


async def test_rotation_moves_every_sealed_value_to_the_new_key(db_url: str, seal_env) -> None:
    engine = make_engine(db_url)
    old = KeyRing(OLD)
    secrets: dict[str, str] = {}
    async with engine.begin() as conn:
        for tip_id, reporter in REPORTERS.items():
            await seal_identity(conn, old, tip_id, reporter)
        for i, url in enumerate(URLS):
            secrets[url], sealed = issue(old, url)
            await conn.execute(
                contacts.insert().values(
                    party_kind="region",
                    party_id="500107",
                    role="supervisor",
                    name=f"n{i}",
                    webhook_url=url,
                    **sealed,
                )
            )
        # a person without a webhook has nothing sealed: the rotation leaves the row alone
        await conn.execute(
            contacts.insert().values(party_kind="region", party_id="500107", role="inspector", name="mail")
        )

    # the new key first, the old one still listed: two values per transaction
    code, out = await asyncio.to_thread(rotate, seal_env, f"{NEW},{OLD}", "--batch", "2", "--json")
    assert code == 0, out
    assert json.loads(out) == {"resealed": {"tip_identities": 3, "webhook_secrets": 2}}
    code, out = await asyncio.to_thread(rotate, seal_env, f"{NEW},{OLD}", "--json")
    assert code == 0, out
    assert json.loads(out) == {"resealed": {"tip_identities": 0, "webhook_secrets": 0}}  # idempotent

    new_only = KeyRing(NEW)
    async with engine.begin() as conn:
        key_ids = set((await conn.execute(select(sealed_identities.c.key_id))).scalars())
        rows = (await conn.execute(select(contacts).order_by(contacts.c.id))).mappings().all()
        assert key_ids == {new_only.current_id}
        assert [r["webhook_key_id"] for r in rows] == [new_only.current_id] * 2 + [None]
        # the old key dropped from the ring: everything still opens, to what was sealed
        for tip_id, reporter in REPORTERS.items():
            assert await reveal_identity(conn, new_only, tip_id, AUDITOR, "rotation test") == reporter
        for row in rows[:2]:
            assert await endpoint_secret(conn, new_only, row) == secrets[str(row["webhook_url"])]
    await engine.dispose()


async def test_a_value_whose_key_left_the_ring_stops_the_rotation_by_name(db_url: str, seal_env) -> None:
    engine = make_engine(db_url)
    async with engine.begin() as conn:
        await seal_identity(conn, KeyRing(OLD), "TP-LOST", {"name": "x"})
    await engine.dispose()
    code, out = await asyncio.to_thread(rotate, seal_env, NEW)
    assert code == 1
    assert "tip_identities TP-LOST" in out and "was it removed before re-sealing?" in out
