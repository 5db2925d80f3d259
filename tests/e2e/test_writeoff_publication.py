"""Issue #18 through the API: a listed hazard written off under a pack that records the write-off's
publication (listing.writeoff_publication_recorded, as cn-national 2026.3) stays open in `written_off`
with its publication clock, until `publish_writeoff` closes it; the publication is on the record."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from harness.apptest import App, running_app
from harness.servers import world_traversable_tmpdir
from runtime.settings import REPO_ROOT
from tests.e2e.test_hazard_api import Driver, major_awaiting_review

KEY = '"listing.writeoff_publication_recorded" = { value = true, source = "[local] test: as cn-national" }\n'


def pack_dir() -> Path:
    """The test pack with the key, in a pack directory of its own."""
    packs = world_traversable_tmpdir("hazardloop-packs-")
    pack = packs / "test-fast.toml"
    shutil.copy(REPO_ROOT / "policies" / "test-fast.toml", pack)
    pack.write_text(pack.read_text(encoding="utf-8") + KEY, encoding="utf-8")
    return packs


@pytest.fixture
async def app(dev_env, db_url) -> AsyncIterator[App]:
    overrides = {"policy_dir": pack_dir()}
    async with running_app(dev_env.client, db_url, settings_overrides=overrides) as a:
        yield a


async def test_a_written_off_listing_closes_when_its_publication_is_recorded(app: App) -> None:
    d = Driver(app)
    hid = await major_awaiting_review(d)
    case = await d.do(hid, d.supervisor, {"type": "review", "passed": True, "comment": "核销"})
    assert case["status"] == "written_off"
    assert [c["key"] for c in case["deadlines"]] == ["writeoff_publication"]
    assert case["allowed_commands"] == ["publish_writeoff"]

    # an inspector may not publish it; the refusal names the rule and changes nothing
    url = f"/v1/hazards/{hid}/commands"
    body = {"type": "publish_writeoff", "uri": "https://example.org/gongshi/1"}
    r = await app.http.post(url, json=body, headers=d.inspector)
    assert r.status_code == 403 and r.json()["code"] == "forbidden", r.text
    # nor is anything else accepted while the publication is owed
    r = await app.http.post(url, json={"type": "cancel", "reason": "x"}, headers=d.supervisor)
    assert r.status_code == 409, r.text

    case = await d.do(hid, d.supervisor, body)
    assert case["status"] == "closed" and case["deadlines"] == []
    events = (await app.http.get(f"/v1/hazards/{hid}/events", headers=d.auditor)).json()["events"]
    published = [e for e in events if e["type"] == "writeoff_published"]
    assert len(published) == 1 and published[0]["data"]["uri"] == body["uri"]
    listed = (await app.http.get("/v1/hazards?status=closed&level=major", headers=d.supervisor)).json()
    assert hid in [c["id"] for c in listed["items"]]
