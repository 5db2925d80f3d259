"""The auditor on the real dev server and PostgreSQL, with the test `ticket` kind: trail, verification
(tampered event, deleted projection), replay, export bundles, as-of views."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, text
from typer.testing import CliRunner, Result

from audit.replay import register_replay_workflows
from harness.apptest import App, running_app
from harness.servers import TEST_SEAL_KEY
from runtime.settings import get_settings
from starter.cli import app as cli_app
from starter.service import register_kind
from store.schema import cases
from tests.support.ticket_workflow import TicketWorkflow

register_kind("tickets", "ticket", "TK", "TicketWorkflow", "open")
register_replay_workflows([TicketWorkflow], ["tests.support.ticket"])

POLL_LIMIT = 20.0


@pytest.fixture
async def app(dev_env: Any, db_url: str) -> AsyncIterator[App]:
    async with running_app(
        dev_env.client, db_url, workflows=[TicketWorkflow], extra_passthrough=["tests.support.ticket"]
    ) as a:
        yield a


@pytest.fixture
def cli_env(app: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI reads its settings from the environment: point it at this test's servers."""
    monkeypatch.setenv("HAZARDLOOP_TEMPORAL_ADDRESS", app.settings.resolved_temporal_address)
    monkeypatch.setenv("HAZARDLOOP_DATABASE_URL", app.settings.resolved_database_url)
    monkeypatch.setenv("HAZARDLOOP_SEAL_KEY", TEST_SEAL_KEY)
    monkeypatch.setenv("HAZARDLOOP_DATA_DIR", str(app.settings.data_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def cli(*args: str) -> Result:
    """Run the CLI in a thread (it runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, cli_app, list(args), catch_exceptions=False)


async def poll(check: Any, what: str, limit: float = POLL_LIMIT) -> Any:
    """Await `check()` until it returns something truthy, for at most `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        got = await check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def open_ticket(app: App, title: str = "leaking valve", ttl: int = 3600, **hdr: str) -> str:
    insp = {**app.token("insp-1", "inspector", "500107"), **hdr}
    r = await app.http.post(
        "/v1/tickets", json={"region": "500107", "title": title, "ttl_seconds": ttl}, headers=insp
    )
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


async def command(app: App, case_id: str, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    headers = app.token("insp-1", "inspector", "500107")
    if key:
        headers["Idempotency-Key"] = key
    r = await app.http.post(f"/v1/tickets/{case_id}/commands", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def closed_ticket(app: App) -> str:
    case_id = await open_ticket(app)
    await command(app, case_id, {"type": "note", "text": "checked the valve"}, key="n-1")
    await command(app, case_id, {"type": "close", "reason": "fixed"})
    await app.client.get_workflow_handle(case_id).result()
    return case_id


def auditor_headers(app: App) -> dict[str, str]:
    return app.token("aud-1", "auditor", "110000")  # another province: auditors read every case


async def test_trail_shows_who_what_rules_deadlines_and_notifications(app: App) -> None:
    # the reminder falls due at half the ttl: the note must be recorded before it, so the ttl leaves a loaded
    # machine seconds for one command (at 2 s a CI run once recorded the reminder first)
    case_id = await open_ticket(app, ttl=8)
    await command(app, case_id, {"type": "note", "text": "on site"}, key="cmd-42")
    await app.client.get_workflow_handle(case_id).result()  # reminder, then expiry, fire

    r = await app.http.get(f"/v1/tickets/{case_id}/audit", headers=auditor_headers(app))
    assert r.status_code == 200, r.text
    trail = r.json()
    assert trail["status"] == "closed" and trail["version"] == 4
    steps = trail["steps"]
    assert [[e["type"] for e in s["events"]] for s in steps] == [
        ["opened"],
        ["noted"],
        ["reminded"],
        ["closed"],
    ]
    opened, noted, reminded, closed = steps
    assert opened["actor"]["id"] == "insp-1" and opened["actor"]["role"] == "inspector"
    assert opened["actor"]["region"] == "500107"
    assert opened["policy"] == {"id": "test-fast", "version": opened["policy"]["version"]}
    assert {(d["key"], d["change"]) for d in opened["deadlines"]} == {("expiry", "set"), ("reminder", "set")}
    assert noted["command_id"] == "cmd-42" and noted["deadlines"] == []
    assert reminded["actor"]["role"] == "system"
    assert [(d["key"], d["change"]) for d in reminded["deadlines"]] == [("reminder", "elapsed")]
    assert [(n["kind"], n["recipient_role"], n["status"]) for n in reminded["notifications"]] == [
        ("reminder", "supervisor", "pending")
    ]
    assert [(d["key"], d["change"]) for d in closed["deadlines"]] == [("expiry", "elapsed")]
    assert closed["status_before"] == "open" and closed["status_after"] == "closed"
    assert trail["verification"]["ok"] is True, trail["verification"]
    assert trail["verification"]["replay"]["ok"] is True

    zh = await app.http.get(f"/v1/tickets/{case_id}/audit?format=text&lang=zh", headers=auditor_headers(app))
    assert "审计轨迹" in zh.text and "到期" in zh.text and "通过" in zh.text
    en = await app.http.get(f"/v1/tickets/{case_id}/audit?format=text&lang=en", headers=auditor_headers(app))
    assert "Audit trail" in en.text and "elapsed" in en.text and "cmd-42" in en.text

    # the case's readers may read its audit; others may not; unknown cases are 404
    same = await app.http.get(f"/v1/tickets/{case_id}/audit", headers=app.token("s", "supervisor", "500100"))
    assert same.status_code == 200
    other = await app.http.get(f"/v1/tickets/{case_id}/audit", headers=app.token("x", "inspector", "500108"))
    assert other.status_code == 403 and other.json()["rule"] == "jurisdiction"
    nf = await app.http.get("/v1/tickets/TK-NOPE/audit", headers=auditor_headers(app))
    assert nf.status_code == 404


async def test_tampered_event_row_is_named_by_verify(app: App, cli_env: None) -> None:
    case_id = await closed_ticket(app)
    ok = await cli("audit", "verify", case_id)
    assert ok.exit_code == 0, ok.output
    async with app.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE events SET data = jsonb_set(data, '{text}', '\"nothing to see\"') "
                "WHERE stream_id = :id AND version = 2"
            ),
            {"id": case_id},
        )
    res = await cli("audit", "verify", case_id, "--json")
    assert res.exit_code == 1, res.output
    report = json.loads(res.output)
    assert report["ok"] is False
    chain = [f for f in report["findings"] if f["check"] == "chain"]
    assert [(f["stream_id"], f["version"], f["problem"]) for f in chain] == [
        (case_id, 2, "hash does not match the event's content")
    ]
    events = [f for f in report["findings"] if f["check"] == "events"]
    assert [(f["version"], f["field"]) for f in events] == [(2, "data")]
    assert events[0]["expected"]["text"] == "checked the valve"
    assert events[0]["found"]["text"] == "nothing to see"
    human = await cli("audit", "verify", case_id)
    assert human.exit_code == 1
    assert f"[chain] {case_id} v2: hash does not match" in human.output
    api = await app.http.get(f"/v1/tickets/{case_id}/audit/verify", headers=auditor_headers(app))
    assert api.json()["ok"] is False


async def test_missing_projection_row_is_reported(app: App, cli_env: None) -> None:
    case_id = await closed_ticket(app)
    async with app.engine.begin() as conn:
        await conn.execute(delete(cases).where(cases.c.id == case_id))
    res = await cli("audit", "verify", case_id, "--json")
    assert res.exit_code == 1, res.output
    findings = json.loads(res.output)["findings"]
    assert [(f["check"], f["problem"]) for f in findings] == [("projection", "the projection row is missing")]
    assert findings[0]["expected"] == {"status": "closed", "version": 3}
    # the audit stays readable without the row (access decided on a fold of the events)
    r = await app.http.get(f"/v1/tickets/{case_id}/audit", headers=app.token("s", "supervisor", "500100"))
    assert r.status_code == 200 and r.json()["verification"]["ok"] is False


async def test_an_edited_projection_is_reported_field_by_field(app: App) -> None:
    case_id = await closed_ticket(app)
    async with app.engine.begin() as conn:
        await conn.execute(text("UPDATE cases SET status = 'open' WHERE id = :id"), {"id": case_id})
    r = await app.http.get(f"/v1/tickets/{case_id}/audit/verify", headers=auditor_headers(app))
    got = [(f["check"], f["field"], f["expected"], f["found"]) for f in r.json()["findings"]]
    assert got == [("projection", "status", "closed", "open")]


async def test_replay_and_export_bundle_verify_offline(app: App, cli_env: None, tmp_path: Path) -> None:
    case_id = await closed_ticket(app)
    rep = await app.http.get(f"/v1/tickets/{case_id}/audit/replay", headers=auditor_headers(app))
    assert rep.json()["ok"] is True and [r["source"] for r in rep.json()["runs"]] == ["server"]
    res = await cli("audit", "replay", case_id)
    assert res.exit_code == 0 and "replay passed" in res.output, res.output

    exported = await app.http.get(f"/v1/tickets/{case_id}/audit/export", headers=auditor_headers(app))
    bundle = exported.json()
    assert bundle["policy_pack"]["id"] == "test-fast" and "values" in json.dumps(bundle["policy_pack"])
    assert [e["version"] for e in bundle["events"]] == [1, 2, 3] and bundle["events"][2]["hash"]
    assert bundle["projection"]["status"] == "closed"

    path = tmp_path / "bundle.json"
    res = await cli("audit", "export", case_id, "-o", str(path))
    assert res.exit_code == 0, res.output
    res = await cli("audit", "verify-bundle", str(path))
    assert res.exit_code == 0, res.output

    edited = json.loads(path.read_text())
    edited["events"][1]["data"]["text"] = "rewritten"
    bad = tmp_path / "edited.json"
    bad.write_text(json.dumps(edited))
    res = await cli("audit", "verify-bundle", str(bad), "--json")
    assert res.exit_code == 1
    checks = {(f["check"], f.get("version")) for f in json.loads(res.output)["findings"]}
    assert {("bundle", None), ("chain", 2), ("events", 2)} <= checks


async def test_trail_cli_human_and_json(app: App, cli_env: None) -> None:
    case_id = await closed_ticket(app)
    res = await cli("audit", "trail", case_id, "--lang", "en")
    assert res.exit_code == 0, res.output
    assert "Step 3" in res.output and "closed" in res.output and "Verification: passed" in res.output
    res = await cli("audit", "trail", case_id, "--json", "--no-verify")
    assert [s["n"] for s in json.loads(res.output)["steps"]] == [1, 2, 3]
    missing = await cli("audit", "trail", "TK-NOPE")
    assert missing.exit_code == 2


async def test_bulk_replay_reports_every_matching_history(app: App, cli_env: None) -> None:
    still_open = await open_ticket(app)
    since = (await app.client.get_workflow_handle(still_open).describe()).start_time
    assert since is not None
    ids = [await closed_ticket(app) for _ in range(2)]

    async def listed() -> bool:
        got = [e.id async for e in app.client.list_workflows(f"TaskQueue = '{app.queue}'")]
        return set(ids) <= set(got)

    await poll(listed, "visibility to list the new workflows")
    res = await cli(
        "audit",
        "replay",
        "--all",
        "--type",
        "TicketWorkflow",
        "--since",
        (since - timedelta(seconds=1)).isoformat(),
        "--json",
    )
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["failed"] == 0 and report["replayed"] >= 3
    assert "WorkflowType = 'TicketWorkflow'" in report["query"]
    human = await cli("audit", "replay", "--all", "--type", "TicketWorkflow", "--since", since.isoformat())
    assert human.exit_code == 0 and "failed 0" in human.output, human.output
    # a case still running verifies too (its open run is a partial history)
    r = await app.http.get(f"/v1/tickets/{still_open}/audit/verify", headers=auditor_headers(app))
    assert r.json()["ok"] is True, r.json()


async def test_as_of_views_show_the_case_at_three_moments(app: App) -> None:
    insp = app.token("insp-1", "inspector", "500107")
    case_id = await open_ticket(app, title="as-of")
    await command(app, case_id, {"type": "note", "text": "first note"})
    await command(app, case_id, {"type": "close", "reason": "done"})
    events = (await app.http.get(f"/v1/tickets/{case_id}/events", headers=insp)).json()["events"]
    moments = [e["occurred_at"] for e in events]  # opened, noted, closed

    async def single(at: str) -> dict[str, Any]:
        r = await app.http.get(f"/v1/tickets/{case_id}", params={"as_of": at}, headers=insp)
        assert r.status_code == 200, r.text
        return dict(r.json())

    views = [await single(at) for at in moments]
    assert [(v["status"], v["notes"], v["version"]) for v in views] == [
        ("open", [], 1),
        ("open", ["first note"], 2),
        ("closed", ["first note"], 3),
    ]

    async def listed(at: str, **filters: str) -> list[tuple[str, str, int]]:
        r = await app.http.get("/v1/tickets", params={"as_of": at, **filters}, headers=insp)
        assert r.status_code == 200, r.text
        return [(c["id"], c["status"], c["version"]) for c in r.json()["items"]]

    assert await listed(moments[0]) == [(case_id, "open", 1)]
    assert await listed(moments[1], status="open") == [(case_id, "open", 2)]
    assert await listed(moments[2], status="open") == []
    assert await listed(moments[2], status="closed") == [(case_id, "closed", 3)]
    before = "2000-01-01T00:00:00+00:00"
    assert await listed(before) == []
    other = await app.http.get(
        "/v1/tickets", params={"as_of": moments[2]}, headers=app.token("x", "inspector", "500108")
    )
    assert other.json()["items"] == []  # scoped like the live list
