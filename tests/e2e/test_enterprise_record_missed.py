"""The enterprise record view carries the daily reports' missed mark (seed 002; issue #19): how many
daily self-inspection reports the enterprise missed and the last day, read from the projection."""

from __future__ import annotations

from datetime import date

from domain.duties.daily import DailyReportRule
from domain.policy import PolicyRef
from harness.apptest import App
from store.daily_reports import record_missed
from tests.e2e.test_enterprise_api import REGION, app, open_record  # noqa: F401 (app: the fixture)


async def test_the_record_shows_the_missed_daily_reports_and_the_last_day(app: App) -> None:  # noqa: F811
    inspector = app.token("insp-1", "inspector", REGION)
    ent = await open_record(app, inspector)
    record = (await app.http.get(f"/v1/enterprises/{ent}/record", headers=inspector)).json()
    assert (record["daily_reports_missed"], record["last_missed_day"]) == (0, None)
    async with app.engine.begin() as conn:
        for day in (date(2026, 11, 24), date(2026, 11, 26)):
            await record_missed(
                conn, DailyReportRule(), PolicyRef(id="test-fast", version="1"), day, [(ent, REGION)]
            )
    record = (await app.http.get(f"/v1/enterprises/{ent}/record", headers=inspector)).json()
    assert (record["daily_reports_missed"], record["last_missed_day"]) == (2, "2026-11-26")
    mine = await app.http.get(
        f"/v1/enterprises/{ent}/record", headers=app.token("e", "enterprise", REGION, ent)
    )
    assert mine.json()["daily_reports_missed"] == 2
