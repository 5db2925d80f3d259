"""Regions and jurisdiction hold against overreaching users (issue #15): an enterprise files only in its own
region, and a region is six ASCII digits of a real province; the responsibility registry binds each
enterprise to its region instead of trusting the one a request names; an overdue sweep's report shows a
reader only the cases of its jurisdiction. Through the real API, dev server and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select, text, update

from activities.reports import ReportActivities
from harness.apptest import App, running_app
from store.schema import cases, contacts, enterprises

REGION, OTHER = "500107", "500201"
ENT = "ENT-REG"

HAZARD = {
    "title": "配电箱未接地 distribution box not earthed",
    "enterprise_id": ENT,
    "region": REGION,
    "source": "self_inspection",
    "category": "unsafe_condition",
}
INCIDENT = {
    "enterprise_id": ENT,
    "region": REGION,
    "type": "hazardous_chemicals",
    "deaths": 0,
    "serious_injuries": 1,
    "direct_loss": "20000",
    "description": "液氨泄漏 ammonia leak",
}
# an enterprise's region elsewhere, nowhere, in full-width digits, with a trailing newline, Arabic-Indic
HOSTILE = [OTHER, "999999", "５００１０７", "500107\n", "٥٠٠١٠٧", "000000"]


@pytest.fixture
async def app(dev_env, db_url) -> AsyncIterator[App]:
    async with running_app(dev_env.client, db_url) as a:
        yield a


async def count(app: App, table: str) -> int:
    async with app.engine.connect() as conn:
        n: int = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
        return n


def refused_for_region(r: Any) -> None:
    """403 jurisdiction, or 422 naming the region field."""
    assert r.status_code in (403, 422), r.text
    body = r.json()
    if r.status_code == 403:
        assert body["code"] == "forbidden" and body["rule"] == "jurisdiction", body
    else:
        assert body["field"] == "region", body


# ---- finding 2: an enterprise files only in its own region, into a region that exists -------------------


@pytest.mark.parametrize("region", HOSTILE)
async def test_an_enterprise_files_only_in_its_own_region(app, region: str) -> None:
    ent = app.token("ent-1", "enterprise", REGION, ENT)
    for path, body in (("/v1/hazards", HAZARD), ("/v1/incidents", {**INCIDENT, "occurred_at": _ago(60)})):
        r = await app.http.post(path, json={**body, "region": region}, headers=ent)
        refused_for_region(r)
    assert await count(app, "events") == 0 and await count(app, "cases") == 0
    r = await app.http.post("/v1/hazards", json=HAZARD, headers=ent)  # its own region still works
    assert r.status_code == 201, r.text
    assert r.json()["region"] == REGION


async def test_no_case_is_filed_where_no_regulator_sees_it(app) -> None:
    """Officers and the public intake: a region that is no province's (999999) or not ASCII is refused."""
    national = app.token("sup-0", "supervisor", "000000")
    for region in ("999999", "000000", "５００１０７", "500107\n"):
        r = await app.http.post("/v1/hazards", json={**HAZARD, "region": region}, headers=national)
        assert r.status_code == 422 and r.json()["field"] == "region", r.text
        tip = {"channel": "web", "region": region, "content": "消防通道被堵 fire exit blocked"}
        r = await app.http.post("/v1/tips", json=tip)
        assert r.status_code == 422 and "region" in r.json()["field"], r.text
    inspector = app.token("insp-1", "inspector", REGION)
    r = await app.http.post("/v1/hazards", json={**HAZARD, "region": "999999"}, headers=inspector)
    refused_for_region(r)
    assert await count(app, "events") == 0


@pytest.mark.parametrize("region", ["５００１０７", "500107\n", "50010"])
async def test_a_token_region_is_six_ascii_digits(app, region: str) -> None:
    import jwt

    claims = {"sub": "ent-1", "role": "enterprise", "region": region, "enterprise_id": ENT}
    claims["exp"] = int((datetime.now(UTC) + timedelta(hours=1)).timestamp())
    token = jwt.encode(claims, app.settings.resolved_jwt_secret(), algorithm="HS256")
    r = await app.http.post("/v1/hazards", json=HAZARD, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "region" in r.text, r.text
    assert await count(app, "events") == 0


@pytest.mark.parametrize("region", ["５００１０７", "500107\n"])
async def test_region_parameters_are_six_ascii_digits(app, region: str) -> None:
    sup = app.token("sup-1", "supervisor", "500100")
    for r in (
        await app.http.get("/v1/hazards", params={"region": region}, headers=sup),
        await app.http.get(f"/v1/regions/{quote(region, safe='')}/contacts", headers=sup),
    ):
        assert r.status_code == 422 and r.status_code < 500, r.text


# ---- finding 3: the registry binds an enterprise to its region ------------------------------------------


def persons(tag: str) -> dict[str, Any]:
    return {
        "persons": [{"role": "administrative", "name": f"王{tag}", "webhook_url": f"https://{tag}.test/h"}]
    }


async def stored(app: App) -> list[tuple[str, str | None]]:
    async with app.engine.connect() as conn:
        rows = await conn.execute(
            select(contacts.c.name, contacts.c.webhook_url).where(contacts.c.party_id == ENT)
        )
        return sorted((r.name, r.webhook_url) for r in rows)


async def registered(app: App) -> str | None:
    async with app.engine.connect() as conn:
        region: str | None = (
            await conn.execute(select(enterprises.c.region).where(enterprises.c.enterprise_id == ENT))
        ).scalar_one_or_none()
        return region


async def test_an_inspector_of_another_region_neither_writes_nor_reads_the_contacts(app) -> None:
    home = app.token("insp-home", "inspector", OTHER)
    r = await app.http.put(
        f"/v1/enterprises/{ENT}/responsible", json={"region": OTHER, **persons("home")}, headers=home
    )
    assert r.status_code == 200, r.text
    before = await stored(app)

    attacker = app.token("insp-x", "inspector", REGION)
    for region in (REGION, OTHER):  # his own region (a move), or the enterprise's (not his jurisdiction)
        r = await app.http.put(
            f"/v1/enterprises/{ENT}/responsible", json={"region": region, **persons("evil")}, headers=attacker
        )
        assert r.status_code == 403, r.text
        assert r.json()["rule"] in ("jurisdiction", "role")
    for query in ("", f"?region={REGION}", f"?region={OTHER}"):
        r = await app.http.get(f"/v1/enterprises/{ENT}/responsible{query}", headers=attacker)
        assert r.status_code == 403 and r.json()["rule"] == "jurisdiction", r.text
        assert "webhook" not in r.text and "王home" not in r.text
    assert await stored(app) == before and await registered(app) == OTHER

    # those covering the enterprise's region still read it; the enterprise itself only in its own region
    city = app.token("aud-1", "auditor", "500200")
    got = (await app.http.get(f"/v1/enterprises/{ENT}/responsible", headers=city)).json()
    assert got["region"] == OTHER and [p["name"] for p in got["persons"]] == ["王home"]
    ent = app.token("ent-1", "enterprise", OTHER, ENT)
    r = await app.http.put(
        f"/v1/enterprises/{ENT}/responsible", json={"region": REGION, **persons("e")}, headers=ent
    )
    assert r.status_code == 403 and r.json()["rule"] == "jurisdiction"
    assert await stored(app) == before and await registered(app) == OTHER


async def test_the_first_registration_binds_and_only_a_supervisor_covering_both_moves(app) -> None:
    ent = app.token("ent-1", "enterprise", REGION, ENT)
    r = await app.http.put(
        f"/v1/enterprises/{ENT}/responsible", json={"region": REGION, **persons("a")}, headers=ent
    )
    assert r.status_code == 200 and await registered(app) == REGION
    moved = {"region": "500108", **persons("b")}
    for who in (
        app.token("insp-c", "inspector", "500100"),  # covers both, but not a supervisor
        app.token("sup-d", "supervisor", REGION),  # covers the old region only
        app.token("sup-n", "supervisor", "500108"),  # covers the new region only
        app.token("op-c", "operator", "500100"),
    ):
        r = await app.http.put(f"/v1/enterprises/{ENT}/responsible", json=moved, headers=who)
        assert r.status_code == 403, r.text
        assert await registered(app) == REGION and await stored(app) == [("王a", "https://a.test/h")]
    for bad in ("999999", "５００１０８", "500108\n"):
        r = await app.http.put(
            f"/v1/enterprises/{ENT}/responsible",
            json={**moved, "region": bad},
            headers=app.token("s", "supervisor", "000000"),
        )
        assert r.status_code == 422 and "region" in r.text, r.text
    city = app.token("sup-c", "supervisor", "500100")
    r = await app.http.put(f"/v1/enterprises/{ENT}/responsible", json=moved, headers=city)
    assert r.status_code == 200 and r.json()["region"] == "500108", r.text
    assert await registered(app) == "500108" and await stored(app) == [("王b", "https://b.test/h")]
    # the old district's inspector has lost it; the new one has it
    r = await app.http.get(f"/v1/enterprises/{ENT}/responsible", headers=app.token("i7", "inspector", REGION))
    assert r.status_code == 403
    r = await app.http.get(
        f"/v1/enterprises/{ENT}/responsible", headers=app.token("i8", "inspector", "500108")
    )
    assert r.status_code == 200 and r.json()["persons"][0]["name"] == "王b"
    national = app.token("s", "supervisor", "000000")
    r = await app.http.get("/v1/enterprises/ENT-NONE/responsible", headers=national)
    assert r.status_code == 404 and r.json()["code"] == "not_found"


# ---- low: the overdue sweep's report is narrowed to the reader's jurisdiction ---------------------------


async def test_the_overdue_sweep_report_shows_a_reader_only_its_jurisdiction(app) -> None:
    ent = app.token("ent-1", "enterprise", REGION, ENT)
    r = await app.http.post("/v1/hazards", json=HAZARD, headers=ent)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    async with app.engine.begin() as conn:  # a timer that did not fire: the deadline long past
        await conn.execute(
            update(cases)
            .where(cases.c.id == case_id)
            .values(next_due_at=datetime.now(UTC) - timedelta(hours=1))
        )
    sweep = await ReportActivities(app.engine).overdue_sweep(60.0)
    assert [m["id"] for m in sweep.mismatches] == [case_id]

    items = (
        await app.http.get("/v1/reports?kind=overdue_sweep", headers=app.token("a", "auditor", "000000"))
    ).json()
    rid = items["items"][0]["id"]
    reads: dict[str, Any] = {}

    async def read(who: dict[str, str]) -> list[str]:
        r = await app.http.get(f"/v1/reports/{rid}", headers=who)
        assert r.status_code == 200, r.text
        reads["last"] = r.json()
        return [m["id"] for m in r.json()["data"]["mismatches"]]

    assert await read(app.token("insp-8", "inspector", "500108")) == []
    assert case_id not in str(reads["last"])
    assert await read(app.token("insp-7", "inspector", REGION)) == [case_id]
    assert await read(app.token("sup-c", "supervisor", "500100")) == [case_id]
    assert await read(app.token("aud-n", "auditor", "000000")) == [case_id]
    r = await app.http.get(
        f"/v1/reports/{rid}?format=csv", headers=app.token("insp-8", "inspector", "500108")
    )
    assert r.status_code == 200 and r.text.strip() == "mismatches,0"


def _ago(seconds: int) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


# ---- the command line and the migration ----------------------------------------------------------------


async def test_the_csv_import_binds_and_never_moves_an_enterprise(app, tmp_path, monkeypatch) -> None:
    import asyncio
    import json

    from typer.testing import CliRunner

    from runtime.settings import get_settings
    from starter.cli import app as cli_app

    monkeypatch.setenv("HAZARDLOOP_DATABASE_URL", app.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("HAZARDLOOP_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    csv_file = tmp_path / "contacts.csv"
    csv_file.write_text(
        "party_kind,party_id,region,role,name,department,email,webhook_url\n"
        f"enterprise,{ENT},{REGION},administrative,王厂长,,boss@ent.test,\n"
        f"enterprise,{ENT},{OTHER},technical,evil,,,https://evil.test/h\n"
        "enterprise,ENT-W,５００１０７,technical,刘工,,l@ent.test,\n"
        "enterprise,ENT-X,,technical,刘工,,l@ent.test,\n"
        "region,５００１０７,,supervisor,区安委办,,district@gov.test,\n",
        encoding="utf-8",
    )
    try:
        res = await asyncio.to_thread(
            CliRunner().invoke, cli_app, ["registry", "import", str(csv_file), "--json"]
        )
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 1, res.output
    report = json.loads(res.output)
    assert report["imported"] == 1 and [e["line"] for e in report["failed"]] == [3, 4, 5, 6]
    assert "registered in 500107" in report["failed"][0]["error"]
    assert await registered(app) == REGION
    assert await stored(app) == [("王厂长", None)]
    assert await count(app, "enterprises") == 1


async def test_migration_0007_binds_registered_enterprises_to_their_cases_region(pg) -> None:
    import random

    import asyncpg
    from alembic import command

    from store.db import make_engine
    from store.migrate import _config, migrate
    from tests.integration.test_case_counts import row

    name = f"m_{random.Random().getrandbits(48):012x}"
    admin = await asyncpg.connect(pg.server.dsn())
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = pg.server.url(name)
    await migrate(url, "0006")
    e = make_engine(url)
    rng = random.Random(7)
    placed = {"E-ONE": ["500107", "500107"], "E-TWO": ["500107", "500201"], "E-NOCONTACTS": ["500108"]}
    try:
        async with e.begin() as conn:
            rows = [
                {
                    **row(i, rng),
                    "id": f"HZ-{ent}-{i}",
                    "enterprise_id": ent,
                    "region": r,
                    "region_city": r[:4],
                }
                for ent, regions in placed.items()
                for i, r in enumerate(regions)
            ]
            await conn.execute(cases.insert(), rows)
            await conn.execute(
                contacts.insert(),
                [
                    {
                        "party_kind": "enterprise",
                        "party_id": p,
                        "role": "technical",
                        "name": "x",
                        "email": "x@e.t",
                    }
                    for p in ("E-ONE", "E-TWO", "E-NOCASES")
                ],
            )
        await migrate(url, "head")
        async with e.connect() as conn:
            bound = dict(
                (await conn.execute(select(enterprises.c.enterprise_id, enterprises.c.region))).all()
            )
        assert bound == {"E-ONE": "500107"}  # E-TWO is in two regions: unbound until registered again

        async with e.begin() as conn:

            def down(sync_conn: Any) -> None:
                cfg = _config()
                cfg.attributes["connection"] = sync_conn
                command.downgrade(cfg, "0006")

            await conn.run_sync(down)
        async with e.connect() as conn:
            assert (await conn.execute(text("SELECT to_regclass('enterprises') IS NULL"))).scalar_one()
    finally:
        await e.dispose()
