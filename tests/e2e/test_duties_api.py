"""Inspection plans by risk colour and the officers' monthly 包保 duty, end to end through the HTTP API on
the dev server + PostgreSQL (test pack: red every 30 s, blue every 300 s; 2 + 2 + 2 a month). The duty
sweep is driven for explicit instants: through its activity function here, and once through the
scheduled workflow on a worker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from activities.duties import DutyActivities, sweep
from domain.duties import officers
from harness.apptest import App, running_app
from harness.servers import unique_queue
from store.deliveries import contacts_for
from store.duties import duty_stream, plan_stream
from store.projector import rebuild
from store.schema import notifications
from worker import build_worker
from workflows.duties import DutySweepWorkflow

REGION = "500107"
SECOND = timedelta(seconds=1)


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url) as a:
        yield a


def ent() -> str:
    return f"E-{uuid.uuid4().hex[:8]}"


def insp(app: App, sub: str = "insp-1") -> dict[str, str]:
    return app.token(sub, "inspector", REGION)


def sup(app: App) -> dict[str, str]:
    return app.token("sup-1", "supervisor", "500100")


async def colour(app: App, enterprise_id: str, c: str) -> dict[str, Any]:
    r = await app.http.put(
        f"/v1/enterprises/{enterprise_id}/risk-colour",
        json={"region": REGION, "colour": c},
        headers=insp(app),
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def inspect(app: App, enterprise_id: str, who: dict[str, str], **extra: Any) -> dict[str, Any]:
    r = await app.http.post("/v1/inspections", json={"enterprise_id": enterprise_id, **extra}, headers=who)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def notices(app: App, stream: str) -> list[tuple[str, str, str]]:
    async with app.engine.connect() as conn:
        rows = await conn.execute(
            select(notifications.c.kind, notifications.c.recipient_role, notifications.c.recipient_party)
            .where(notifications.c.case_id == stream)
            .order_by(notifications.c.id)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_an_inspection_due_recorded_on_time_with_a_finding_opening_a_hazard(app: App) -> None:
    e = ent()
    plan = await colour(app, e, "red")
    due = at(plan["due_at"])
    assert timedelta(seconds=25) < due - datetime.now(UTC) <= timedelta(seconds=30)
    finding = {"title": "消防通道堵塞", "category": "unsafe_condition", "location": "二号仓库"}
    done = await inspect(app, e, insp(app), note="日常检查", findings=[finding])
    [hazard_id] = done["hazard_ids"]
    assert done["inspector_id"] == "insp-1"
    assert at(done["plan"]["due_at"]) > due and done["plan"]["overdue"] is False
    hazard = (await app.http.get(f"/v1/hazards/{hazard_id}", headers=insp(app))).json()
    assert (hazard["source"], hazard["enterprise_id"]) == ("inspection", e)
    assert (await sweep(app.engine, app.asgi.state.policy, due)).inspections_overdue == 0
    shown = (await app.http.get(f"/v1/inspection-plans/{e}", headers=insp(app))).json()
    assert [x["type"] for x in shown["events"]] == ["risk_colour_set", "inspection_recorded"]
    assert shown["events"][1]["data"]["on_time"] is True and shown["chain_breaks"] == []
    assert [i["hazard_ids"] for i in shown["inspections"]] == [[hazard_id]]
    # the read model rebuilds around the duty streams, which are no case kind
    counts = await rebuild(app.engine, processes=0)
    assert counts["cases"] >= 1


async def test_a_repeated_idempotency_key_records_one_inspection(app: App) -> None:
    e = ent()
    await colour(app, e, "blue")
    key = {"Idempotency-Key": "insp-once"}
    first = await app.http.post("/v1/inspections", json={"enterprise_id": e}, headers=insp(app) | key)
    again = await app.http.post("/v1/inspections", json={"enterprise_id": e}, headers=insp(app) | key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    shown = (await app.http.get(f"/v1/inspection-plans/{e}", headers=insp(app))).json()
    assert len(shown["inspections"]) == 1


async def test_a_missed_inspection_is_overdue_at_its_deadline_with_its_notice_once(app: App) -> None:
    e = ent()
    due = at((await colour(app, e, "red"))["due_at"])
    r = await app.http.put(
        "/v1/officers/insp-3/enterprises", json={"region": REGION, "enterprise_ids": [e]}, headers=sup(app)
    )
    assert r.status_code == 200, r.text
    pack = app.asgi.state.policy
    assert (await sweep(app.engine, pack, due - SECOND)).inspections_overdue == 0
    assert (await sweep(app.engine, pack, due)).inspections_overdue == 1
    assert (await sweep(app.engine, pack, due + SECOND)).inspections_overdue == 0  # marked once
    assert await notices(app, plan_stream(e)) == [
        ("inspection_overdue", "inspector", REGION),
        ("inspection_overdue", "supervisor", REGION),
        ("inspection_overdue", "officer", "insp-3"),
    ]
    listed = (await app.http.get("/v1/inspection-plans?overdue=true", headers=sup(app))).json()["items"]
    assert [p["enterprise_id"] for p in listed] == [e]
    after = await inspect(app, e, insp(app))
    assert after["plan"]["overdue"] is False
    events = (await app.http.get(f"/v1/inspection-plans/{e}", headers=sup(app))).json()["events"]
    assert [x["type"] for x in events] == ["risk_colour_set", "inspection_overdue", "inspection_recorded"]
    assert at(events[2]["data"]["next_due_at"]) > due  # the next interval starts from the inspection


async def test_a_stricter_colour_shortens_the_wait(app: App) -> None:
    e = ent()
    blue = at((await colour(app, e, "blue"))["due_at"])
    red = at((await colour(app, e, "red"))["due_at"])
    assert red < blue and red - datetime.now(UTC) <= timedelta(seconds=30)
    back = at((await colour(app, e, "blue"))["due_at"])
    assert back == red  # a milder colour waits for the next inspection


async def test_refusals_name_the_field_and_change_nothing(app: App) -> None:
    e = ent()
    await colour(app, e, "yellow")
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = await app.http.post(
        "/v1/inspections", json={"enterprise_id": e, "inspected_at": future}, headers=insp(app)
    )
    assert r.status_code == 422 and r.json()["field"] == "inspected_at"
    bad = {"enterprise_id": e, "findings": [{"title": "x", "category": "nonsense"}]}
    assert (await app.http.post("/v1/inspections", json=bad, headers=insp(app))).status_code == 422
    far = app.token("insp-9", "inspector", "500108")
    assert (await app.http.post("/v1/inspections", json={"enterprise_id": e}, headers=far)).status_code == 403
    ent_user = app.token("ent-1", "enterprise", REGION, enterprise_id=e)
    assert (
        await app.http.post("/v1/inspections", json={"enterprise_id": e}, headers=ent_user)
    ).status_code == 403
    r = await app.http.put(
        f"/v1/enterprises/{e}/risk-colour", json={"region": REGION, "colour": "紫"}, headers=insp(app)
    )
    assert r.status_code == 422
    shown = (await app.http.get(f"/v1/inspection-plans/{e}", headers=insp(app))).json()
    assert shown["inspections"] == [] and shown["plan"]["colour"] == "yellow"


async def hazard_pushed_and_solved(app: App, e: str, officer: dict[str, str]) -> None:
    """A hazard of `e` graded by the officer (pushed) and closed by the officer's passing review (solved)."""
    ent_user = app.token("ent-1", "enterprise", REGION, enterprise_id=e)
    body = {"title": "配电箱未接地", "enterprise_id": e, "region": REGION, "source": "self_inspection"}
    r = await app.http.post("/v1/hazards", json=body | {"category": "unsafe_condition"}, headers=ent_user)
    assert r.status_code == 201, r.text
    path = f"/v1/hazards/{r.json()['id']}/commands"
    for who, cmd in (
        (officer, {"type": "grade", "level": "general"}),
        (ent_user, {"type": "submit_rectification", "summary": "已接地"}),
        (officer, {"type": "review", "passed": True, "comment": "合格"}),
    ):
        r = await app.http.post(path, json=cmd, headers=who)
        assert r.status_code == 200, (cmd, r.text)


async def test_an_officer_behind_is_noticed_with_the_supervisor_and_one_on_track_is_not(app: App) -> None:
    e1, e2, e3, e4 = ent(), ent(), ent(), ent()
    for e in (e1, e2, e3, e4):
        await colour(app, e, "blue")
    for officer, listed in (("insp-7", [e1, e2]), ("insp-8", [e3, e4])):
        contact = {"name": officer, "email": f"{officer}@gov.test"}
        r = await app.http.put(
            f"/v1/officers/{officer}/enterprises",
            json={"region": REGION, "enterprise_ids": listed, "contact": contact},
            headers=sup(app),
        )
        assert r.status_code == 200, r.text
        assert [c["email"] for c in r.json()["contact"]] == [f"{officer}@gov.test"]
    async with app.engine.connect() as conn:  # the officer's notices reach their own channel
        assert [c["email"] for c in await contacts_for(conn, "officer", "insp-7")] == ["insp-7@gov.test"]
    behind, on_track = insp(app, "insp-7"), insp(app, "insp-8")
    await inspect(app, e1, behind)
    await inspect(app, e3, on_track)
    await inspect(app, e4, on_track)
    await hazard_pushed_and_solved(app, e3, on_track)
    await hazard_pushed_and_solved(app, e4, on_track)
    # a hazard pushed outside the officer's own 包保 list does not count for them
    ent_user = app.token("ent-1", "enterprise", REGION, enterprise_id=e3)
    body = {"title": "叉车超速", "enterprise_id": e3, "region": REGION, "source": "self_inspection"}
    r = await app.http.post("/v1/hazards", json=body | {"category": "unsafe_act"}, headers=ent_user)
    graded = await app.http.post(
        f"/v1/hazards/{r.json()['id']}/commands", json={"type": "grade", "level": "general"}, headers=behind
    )
    assert graded.status_code == 200, graded.text

    now = datetime.now(UTC)
    month = officers.month_of(now)
    pack = app.asgi.state.policy
    notice_at = max(now, officers.notice_from(pack, month))
    if notice_at - SECOND > now:  # before the notice day nobody is told
        assert (await sweep(app.engine, pack, notice_at - SECOND)).officers_noticed == 0
    assert (await sweep(app.engine, pack, notice_at)).officers_noticed == 1
    assert (await sweep(app.engine, pack, notice_at + SECOND)).officers_noticed == 0  # once a month
    assert await notices(app, duty_stream("insp-7", month)) == [
        ("duty_behind", "officer", "insp-7"),
        ("duty_behind", "supervisor", REGION),
    ]
    assert await notices(app, duty_stream("insp-8", month)) == []

    board = (await app.http.get("/v1/duty-progress", headers=sup(app))).json()
    by = {i["officer_id"]: i for i in board["items"]}
    assert by["insp-7"]["shortfalls"] == ["inspected", "pushed", "solved"]
    assert (by["insp-8"]["inspected"], by["insp-8"]["pushed"], by["insp-8"]["solved"]) == (2, 2, 2)
    assert board["behind"] == 1 and by["insp-8"]["behind"] is False
    own = (await app.http.get("/v1/officers/insp-7/progress", headers=behind)).json()
    assert own["behind"] is True and own["behind_noticed"] is True and own["inspected"] == 1
    assert (await app.http.get("/v1/officers/insp-7/progress", headers=on_track)).status_code == 403


async def test_the_scheduled_workflow_sweeps_for_its_instant(app: App) -> None:
    e = ent()
    due = at((await colour(app, e, "red"))["due_at"])
    queue = unique_queue("duties")
    activities = DutyActivities(app.engine, app.asgi.state.policy)
    async with build_worker(
        app.client,
        queue,
        app_store(app),
        workflows=[DutySweepWorkflow],
        extra_activities=[activities.duty_sweep],
    ):
        result = await app.client.execute_workflow(
            DutySweepWorkflow.run, due, id=f"duty-sweep-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
    assert result.inspections_overdue == 1
    assert len(await notices(app, plan_stream(e))) == 2


def app_store(app: App) -> Any:
    from activities.store import StoreActivities

    return StoreActivities(app.engine)


async def test_the_cli_sweeps_for_an_instant(app: App, tmp_path, monkeypatch) -> None:
    import asyncio
    import json

    from typer.testing import CliRunner

    from runtime.settings import get_settings
    from starter.cli import app as cli_app

    e = ent()
    due = at((await colour(app, e, "red"))["due_at"])
    monkeypatch.setenv("HAZARDLOOP_DATABASE_URL", app.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("HAZARDLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HAZARDLOOP_POLICY", "test-fast")
    get_settings.cache_clear()
    try:
        early, naive, late = [
            await asyncio.to_thread(CliRunner().invoke, cli_app, ["duties", "sweep", "--at", when, "--json"])
            for when in ((due - SECOND).isoformat(), "2026-12-01T00:00", due.isoformat())
        ]
    finally:
        get_settings.cache_clear()
    assert json.loads(early.output)["inspections_overdue"] == 0
    assert naive.exit_code == 2 and "offset" in naive.output
    assert json.loads(late.output)["inspections_overdue"] == 1


async def test_hostile_input_is_refused_without_a_server_error_and_changes_nothing(app: App) -> None:
    e = ent()
    await colour(app, e, "orange")
    for body in (
        {"enterprise_id": e, "note": "a\u0000b"},
        {"enterprise_id": e, "inspected_at": "２０２６-01-01T00:00:00+08:00"},
        {"enterprise_id": e, "note": "x" * 5000},
        {"enterprise_id": e, "findings": [{"title": "t", "category": "unsafe_act"}] * 51},
        {"enterprise_id": e, "extra": 1},
    ):
        r = await app.http.post("/v1/inspections", json=body, headers=insp(app))
        assert r.status_code == 422, (body, r.text)
    r = await app.http.put(
        "/v1/officers/insp-7/enterprises",
        json={"region": REGION, "enterprise_ids": ["NOPE"]},
        headers=sup(app),
    )
    assert r.status_code == 422 and r.json()["field"] == "enterprise_ids.0"
    r = await app.http.get("/v1/duty-progress?month=2026-13", headers=sup(app))
    assert r.status_code == 422
    shown = (await app.http.get(f"/v1/inspection-plans/{e}", headers=insp(app))).json()
    assert shown["inspections"] == [] and len(shown["events"]) == 1


async def test_the_console_shows_the_board_to_the_supervisor_and_the_officer_their_month(
    dev_env, db_url
) -> None:
    import re

    async with running_app(dev_env.client, db_url, settings_overrides={"jwt_secret": None}) as demo:
        e = ent()
        await colour(demo, e, "red")
        r = await demo.http.put(
            "/v1/officers/demo-inspector/enterprises",
            json={"region": REGION, "enterprise_ids": [e]},
            headers=sup(demo),
        )
        assert r.status_code == 200, r.text
        await sweep(demo.engine, demo.asgi.state.policy, datetime.now(UTC) + timedelta(minutes=1))

        async def signed_in(user: str) -> None:
            demo.http.cookies.clear()
            page = (await demo.http.get("/signin")).text
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
            assert csrf is not None
            ok = await demo.http.post("/signin", data={"user": user, "csrf": csrf.group(1)})
            assert ok.status_code == 303

        await signed_in("supervisor")
        board = await demo.http.get("/duties")
        assert board.status_code == 200
        assert "包保责任" in board.text and 'data-officer="demo-inspector"' in board.text
        assert re.search(r'class="late" data-officer="demo-inspector"', board.text)
        assert e in board.text  # its inspection is overdue
        await signed_in("inspector")
        work = await demo.http.get("/work")
        assert 'hx-get="/duties/mine"' in work.text
        mine = await demo.http.get("/duties/mine")
        assert "我的包保履职" in mine.text and "0</strong>/2" in mine.text and "未达标" in mine.text
        await signed_in("enterprise")
        assert (await demo.http.get("/duties")).status_code == 403


async def test_colours_import_from_csv_once_and_refuse_bad_rows(app: App, tmp_path, monkeypatch) -> None:
    import asyncio
    import json

    from typer.testing import CliRunner

    from runtime.settings import get_settings
    from starter.cli import app as cli_app

    e, moved = ent(), ent()
    await colour(app, moved, "blue")  # registered in 500107
    csv_file = tmp_path / "colours.csv"
    csv_file.write_text(
        "enterprise_id,region,colour\n"
        f"{e},{REGION},red\n"
        f"{e},{REGION},紫\n"
        f"{moved},500108,red\n"
        "E-W,５００１０７,red\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HAZARDLOOP_DATABASE_URL", app.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("HAZARDLOOP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HAZARDLOOP_POLICY", "test-fast")
    get_settings.cache_clear()
    try:
        runs = [
            await asyncio.to_thread(
                CliRunner().invoke, cli_app, ["duties", "import-colours", str(csv_file), "--json"]
            )
            for _ in range(2)
        ]
    finally:
        get_settings.cache_clear()
    for run in runs:
        assert run.exit_code == 1, run.output
        report = json.loads(run.output)
        assert report["imported"] == 1 and [f["line"] for f in report["failed"]] == [3, 4, 5]
    shown = (await app.http.get(f"/v1/inspection-plans/{e}", headers=insp(app))).json()
    assert shown["plan"]["colour"] == "red" and [x["type"] for x in shown["events"]] == ["risk_colour_set"]
    still = (await app.http.get(f"/v1/inspection-plans/{moved}", headers=insp(app))).json()
    assert (still["region"], still["plan"]["colour"]) == (REGION, "blue")
