"""The console's daily self-inspection report (starter/console/daily.py): the enterprise's 待办 shows
today's report owed with its countdown to 15:00 and a form that files it; the inspector's 待办 shows the
region's missed reports. The service's clock is set to explicit instants."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from domain.duties.daily import DailyReportRule
from domain.policy import PolicyRef
from domain.timecalc import CN_TZ
from harness.apptest import App, running_app
from store.daily_reports import record_missed
from store.registry import bind_region

DAY = date(2026, 11, 26)  # a Thursday


@pytest.fixture
async def app(dev_env: Any, db_url: str) -> AsyncIterator[App]:
    async with running_app(dev_env.client, db_url, settings_overrides={"jwt_secret": None}) as a:
        async with a.engine.begin() as conn:
            for ent in ("ENT-1", "ENT-2"):
                await bind_region(conn, ent, None, "500107")
        yield a


def csrf_of(page: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert m, "the page carries a CSRF token"
    return m.group(1)


async def sign_in(app: App, user: str) -> httpx.AsyncClient:
    http = app.http_from(f"10.0.0.{len(user)}")
    page = await http.get("/signin")
    r = await http.post("/signin", data={"user": user, "csrf": csrf_of(page.text)})
    assert r.status_code == 303
    return http


async def test_the_enterprise_files_from_its_work_page_and_the_inspector_sees_the_missed(app: App) -> None:
    app.asgi.state.clock = lambda: datetime(2026, 11, 26, 10, 0, tzinfo=CN_TZ)
    ent = await sign_in(app, "enterprise")
    work = (await ent.get("/work")).text
    assert "隐患排查日报告" in work and "剩余 5 小时 0 分" in work and 'action="/daily"' in work

    neither = await ent.post("/daily", data={"csrf": csrf_of(work), "hazard_title": ""})
    assert neither.status_code == 422 and 'class="refusal"' in neither.text

    page = (await ent.get("/daily")).text
    filed = await ent.post(
        "/daily",
        data={
            "csrf": csrf_of(page),
            "idem": "form-1",
            "hazard_title": "消防通道堵塞",
            "hazard_category": "unsafe_condition",
        },
    )
    assert filed.status_code == 303 and filed.headers["location"] == "/work"
    after = (await ent.get("/work")).text
    assert "今日已报送" in after and 'action="/daily"' not in after
    assert "/cases/hazards/" in (await ent.get("/daily")).text  # the hazard it found is a case

    async with app.engine.begin() as conn:  # the 15:00 sweep's statement for ENT-2
        await record_missed(
            conn, DailyReportRule(), PolicyRef(id="test-fast", version="1"), DAY, [("ENT-2", "500107")]
        )
    app.asgi.state.clock = lambda: datetime(2026, 11, 26, 15, 30, tzinfo=CN_TZ)
    insp = await sign_in(app, "inspector")
    seen = (await insp.get("/work")).text
    assert "未按时报送的隐患排查日报告" in seen and "ENT-2" in seen
    assert "已报送 1 · 未按时 1 · 发现隐患 1" in seen
