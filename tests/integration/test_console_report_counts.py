"""The console's reports page shows the duties' counts per region (issue #19), in Chinese and English."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from domain.actors import SYSTEM
from harness.apptest import running_app
from store.db import make_engine
from store.events import NewEvent, append
from tests.integration.test_console_session import signed_in


@pytest.fixture
async def dev_app(dev_env, db_url):
    async with running_app(dev_env.client, db_url, settings_overrides={"jwt_secret": None}) as a:
        yield a


async def test_the_reports_page_shows_inspections_and_officers_behind_per_region(dev_app, db_url) -> None:
    engine = make_engine(db_url)
    at = datetime.now(UTC) - timedelta(minutes=5)
    async with engine.begin() as conn:
        for stream, kind, type_ in (
            ("IP-E-1", "inspection", "inspection_recorded"),
            ("IP-E-2", "inspection", "inspection_overdue"),
            ("OD-o1-x", "duty", "officer_behind_noticed"),
        ):
            await append(
                conn,
                stream_id=stream,
                kind=kind,
                expected_version=0,
                new=[NewEvent(type=type_, data={"type": type_, "region": "500107"})],
                actor=SYSTEM.model_dump(mode="json"),
                occurred_at=at,
                policy_id="cn-national",
                policy_version="t",
                command_id=None,
            )
    await engine.dispose()
    http: httpx.AsyncClient = dev_app.http
    await signed_in(http, "supervisor")  # 500100 covers 500107
    page = (await http.get("/reports?period=daily")).text
    section = re.search(r'<section class="card" id="duty-counts">(.*?)</section>', page, re.S)
    assert section, "the daily report shows the duties' counts"
    cells = dict(re.findall(r'<td data-count="([a-z_]+)">([0-9]+)</td>', section.group(1)))
    assert cells["inspections_recorded"] == "1" and cells["inspections_overdue"] == "1"
    assert cells["inspections_overdue_at_end"] == "1" and cells["officers_behind"] == "1"
    assert cells["daily_reports_missed"] == "0" and "检查完成" in section.group(1)
    await http.get("/lang?to=en&next=/reports")
    english = (await http.get("/reports?period=daily")).text
    assert "Inspections recorded" in english and "Officers behind" in english and "检查完成" not in english
