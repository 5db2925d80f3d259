"""The daily self-inspection report end to end (docs/rules.md#daily-report) through the HTTP API on the
dev server + PostgreSQL (test pack), the API's clock set to explicit "as of" instants and the sweep
workflow run for a given day: filed at 14:59 counts as filed; nothing filed → missed at 15:00 with its
notices and the mark on the enterprise; filed at 15:00:00 is late and missed; a holiday owes nothing, a
make-up working day does."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from activities.daily_contracts import DailySweepInput, DailySweepResult
from activities.daily_reports import DailyReportActivities
from activities.store import StoreActivities
from domain.policy import PolicyPack, parse_pack
from domain.timecalc import CN_TZ
from harness.apptest import App, running_app
from harness.servers import unique_queue
from runtime.settings import REPO_ROOT
from store.events import read_stream, verify_chain
from store.projector import rebuild
from store.reports import compute_report
from store.schema import daily_reports, notifications
from worker import build_worker
from workflows.daily_reports import DailyReportSweepWorkflow

REGION = "500107"
DAY = date(2026, 11, 26)  # a Thursday
FAST = parse_pack((REPO_ROOT / "policies" / "test-fast.toml").read_text())
NATIONAL = parse_pack((REPO_ROOT / "policies" / "cn-national.toml").read_text())


@pytest.fixture
async def app(dev_env: Any, db_url: str) -> AsyncIterator[App]:
    async with running_app(dev_env.client, db_url) as a:
        yield a


def at(hour: int, minute: int, second: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=CN_TZ)


async def register(app: App, *enterprise_ids: str) -> None:
    insp = app.token("insp-1", "inspector", REGION)
    for ent in enterprise_ids:
        person = {"role": "enterprise", "name": f"{ent} 负责人", "email": f"{ent.lower()}@example.cn"}
        r = await app.http.put(
            f"/v1/enterprises/{ent}/responsible", headers=insp, json={"region": REGION, "persons": [person]}
        )
        assert r.status_code == 200, r.text


async def sweep(app: App, pack: PolicyPack, day: date) -> DailySweepResult:
    queue = unique_queue("daily")
    worker = build_worker(
        app.client,
        queue,
        StoreActivities(app.engine),
        workflows=[DailyReportSweepWorkflow],
        extra_activities=[DailyReportActivities(app.engine).sweep_daily_reports],
    )
    async with worker:
        result: DailySweepResult = await app.client.execute_workflow(
            DailyReportSweepWorkflow.run,
            DailySweepInput(policy=pack, day=day, batch=2),
            id=f"daily-sweep-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
        )
    return result


def ent_token(app: App, ent: str) -> dict[str, str]:
    return app.token(f"user-{ent}", "enterprise", REGION, ent)


async def file(app: App, ent: str, body: dict[str, Any], key: str) -> Any:
    return await app.http.post(
        f"/v1/enterprises/{ent}/daily-reports",
        json=body,
        headers={**ent_token(app, ent), "Idempotency-Key": key},
    )


async def notices_of(app: App, stream: str) -> list[tuple[str, str]]:
    async with app.engine.connect() as conn:
        rows = await conn.execute(
            select(notifications.c.recipient_role, notifications.c.recipient_party)
            .where(notifications.c.case_id == stream)
            .order_by(notifications.c.seq)
        )
        return [(r.recipient_role, r.recipient_party) for r in rows]


async def test_filed_at_14_59_counts_and_nothing_filed_is_missed_at_15_00(app: App) -> None:
    await register(app, "ENT-A", "ENT-B", "ENT-C", "EXEMPT-1")
    app.asgi.state.clock = lambda: at(14, 59, 59)
    hazard = {"title": "配电箱未接地", "category": "unsafe_condition", "location": "二号车间"}
    r = await file(app, "ENT-A", {"hazards": [hazard]}, "k-a")
    assert r.status_code == 201, r.text
    filed = r.json()
    assert (filed["day"], filed["filed"], filed["late"], filed["missed"]) == (
        DAY.isoformat(),
        True,
        False,
        False,
    )
    (hazard_id,) = filed["hazard_ids"]
    case = (await app.http.get(f"/v1/hazards/{hazard_id}", headers=ent_token(app, "ENT-A"))).json()
    assert (case["enterprise_id"], case["source"], case["title"]) == (
        "ENT-A",
        "self_inspection",
        "配电箱未接地",
    )

    again = await file(app, "ENT-A", {"hazards": [hazard]}, "k-a")  # a retry: the same report, no new case
    assert again.status_code == 200 and again.json()["hazard_ids"] == [hazard_id]
    reused = await file(app, "ENT-A", {"hazards": [hazard, {**hazard, "title": "灭火器过期"}]}, "k-a")
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    listed = (await app.http.get("/v1/hazards?enterprise_id=ENT-A", headers=ent_token(app, "ENT-A"))).json()
    assert [c["id"] for c in listed["items"]] == [hazard_id]  # the refused request started no case
    keyless = await app.http.post(
        "/v1/enterprises/ENT-A/daily-reports", json={"hazards": [hazard]}, headers=ent_token(app, "ENT-A")
    )
    assert keyless.status_code == 409 and keyless.json()["rule"] == "duplicate"
    second = await file(app, "ENT-A", {"nothing_found": True}, "k-a2")
    assert second.status_code == 409 and (second.json()["code"], second.json()["rule"]) == (
        "conflict",
        "duplicate",
    )
    assert "每" not in second.json()["detail"] and second.json()["detail"].startswith("该事项已经提交过")
    other = await app.http.post(
        "/v1/enterprises/ENT-B/daily-reports", json={"nothing_found": True}, headers=ent_token(app, "ENT-A")
    )
    assert other.status_code == 403 and other.json()["rule"] == "enterprise_scope"
    neither = await file(app, "ENT-B", {}, "k-b0")
    assert neither.status_code == 422

    # 15:00:00 exactly: late, and marked missed at once (the sweep has not run yet)
    app.asgi.state.clock = lambda: at(15, 0, 0)
    late = await file(app, "ENT-C", {"nothing_found": True}, "k-c")
    assert late.status_code == 201 and (late.json()["late"], late.json()["missed"]) == (True, True)

    result = await sweep(app, FAST, DAY)
    assert (result.owed, result.missed, result.notices) == (True, 1, 2)  # ENT-B only; EXEMPT-1 is exempt
    assert await notices_of(app, f"DR-{DAY:%Y%m%d}-ENT-B") == [
        ("enterprise_responsible", "ENT-B"),
        ("inspector", REGION),
    ]
    assert await notices_of(app, f"DR-{DAY:%Y%m%d}-ENT-C") == [
        ("enterprise_responsible", "ENT-C"),
        ("inspector", REGION),
    ]
    assert (await sweep(app, FAST, DAY)).missed == 0  # run twice: recorded once

    app.asgi.state.clock = lambda: at(16, 0)
    mark = (await app.http.get("/v1/enterprises/ENT-B/daily-reports", headers=ent_token(app, "ENT-B"))).json()
    assert mark["missed_total"] == 1 and mark["today"] == {
        "day": DAY.isoformat(),
        "owed": True,
        "due_at": at(15, 0).isoformat(),
        "seconds_left": 0,
        "filed": False,
        "missed": True,
    }
    insp = app.token("insp-1", "inspector", REGION)
    region = (await app.http.get(f"/v1/regions/{REGION}/daily-reports?day={DAY}", headers=insp)).json()
    assert region["counts"] == {"filed": 2, "missed": 2, "late": 1, "hazards_found": 1}
    assert [m["enterprise_id"] for m in region["missed"]] == ["ENT-B", "ENT-C"]
    forbidden = await app.http.get(f"/v1/regions/{REGION}/daily-reports", headers=ent_token(app, "ENT-B"))
    assert forbidden.status_code == 403
    elsewhere = await app.http.get("/v1/regions/510107/daily-reports", headers=insp)
    assert elsewhere.status_code == 403

    # a late report after the missed mark: recorded, the mark stays
    late_b = await file(app, "ENT-B", {"nothing_found": True}, "k-b")
    assert late_b.status_code == 201 and (late_b.json()["late"], late_b.json()["missed"]) == (True, True)

    async with app.engine.connect() as conn:
        stream = await read_stream(conn, f"DR-{DAY:%Y%m%d}-ENT-B")
        assert [e.type for e in stream] == ["daily_report_missed", "daily_report_filed"]
        assert stream[0].occurred_at == at(15, 0) and stream[0].actor["role"] == "system"
        assert verify_chain(stream) == []
        report = await compute_report(conn, "daily", at(14, 50), at(14, 50, day=date(2026, 11, 27)))
    (row,) = [r for r in report["by_region"] if r["region"] == REGION]
    assert (await rebuild(app.engine, processes=0))["cases"] >= 1  # the case projection skips these streams
    assert (row["daily_reports_filed"], row["daily_reports_missed"], row["daily_hazards_found"]) == (3, 2, 1)


async def test_a_holiday_owes_nothing_and_a_make_up_working_day_does(app: App) -> None:
    await register(app, "ENT-H")
    holiday = await sweep(app, NATIONAL, date(2026, 10, 1))
    assert (holiday.owed, holiday.missed) == (False, 0)
    weekend = await sweep(app, NATIONAL, date(2026, 10, 11))  # a Sunday
    assert (weekend.owed, weekend.missed) == (False, 0)
    async with app.engine.connect() as conn:
        assert (await conn.execute(select(daily_reports))).all() == []
    make_up = await sweep(app, NATIONAL, date(2026, 10, 10))  # a Saturday worked (调休)
    assert (make_up.owed, make_up.missed, make_up.notices) == (True, 1, 2)


async def test_hostile_and_wrong_reports_are_refused_and_change_nothing(app: App) -> None:
    await register(app, "ENT-Z")
    app.asgi.state.clock = lambda: at(9, 0)
    cases = [
        ({"nothing_found": True, "note": "a\u0000b"}, 422, "invalid_request"),
        ({"nothing_found": True, "day": "２０２６-１１-２６"}, 422, None),  # full-width digits
        ({"nothing_found": True, "day": "2026-11-27"}, 422, "invalid_command"),  # a day to come
        ({"hazards": [{"title": "x", "category": "meteor"}]}, 422, None),
        ({"nothing_found": True, "hazards": [{"title": "x", "category": "unsafe_condition"}]}, 422, None),
        ({"nothing_found": "yes please"}, 422, None),
    ]
    for i, (body, status, code) in enumerate(cases):
        r = await file(app, "ENT-Z", body, f"bad-{i}")
        assert r.status_code == status, (body, r.text)
        if code:
            assert r.json()["code"] == code, r.text
    unknown = await app.http.post(
        "/v1/enterprises/ENT-NOPE/daily-reports",
        json={"nothing_found": True},
        headers=ent_token(app, "ENT-NOPE"),
    )
    assert unknown.status_code == 409 and unknown.json()["rule"] == "not_registered"
    assert "尚未登记" in unknown.json()["detail"]
    insp = app.token("insp-1", "inspector", REGION)
    officer = await app.http.post(
        "/v1/enterprises/ENT-Z/daily-reports", json={"nothing_found": True}, headers=insp
    )
    assert officer.status_code == 403 and officer.json()["rule"] == "role"
    async with app.engine.connect() as conn:
        assert (await conn.execute(select(daily_reports))).all() == []
    ok = await file(app, "ENT-Z", {"nothing_found": True}, "good")
    assert ok.status_code == 201 and ok.json()["nothing_found"] is True
