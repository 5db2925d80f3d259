"""The daily self-inspection report's pure rules (domain/duties/daily.py): who owes one on which day, and
whether it was filed on time, on the national pack's calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.duties.daily import (
    DailyReportRule,
    FileDailyReport,
    deadline,
    filed_event,
    missed_notices,
    on_time,
    owed,
    report_day,
    rule_of,
    stream_id,
)
from domain.policy import parse_pack
from domain.timecalc import CN_TZ
from runtime.settings import REPO_ROOT

PACK = parse_pack((REPO_ROOT / "policies" / "cn-national.toml").read_text())
CAL = PACK.work_calendar
RULE = rule_of(PACK) or DailyReportRule()
THURSDAY = date(2026, 12, 3)
NATIONAL_DAY = date(2026, 10, 1)  # a Thursday, a holiday of the 2026 notice
MAKE_UP = date(2026, 10, 10)  # a Saturday, a make-up working day (调休)
SATURDAY = date(2026, 12, 5)


def test_both_packs_set_the_duty_with_15_00() -> None:
    fast = parse_pack((REPO_ROOT / "policies" / "test-fast.toml").read_text())
    assert rule_of(PACK) == DailyReportRule(due="15:00")  # type: ignore[arg-type]
    assert (rule_of(fast) or DailyReportRule()).exempt == ["EXEMPT-1"]


def test_deadline_is_15_00_china_time() -> None:
    assert deadline(RULE, THURSDAY) == datetime(2026, 12, 3, 15, 0, tzinfo=CN_TZ)
    assert deadline(RULE, THURSDAY).isoformat() == "2026-12-03T15:00:00+08:00"


def test_14_59_59_is_on_time_15_00_00_is_not() -> None:
    assert on_time(RULE, THURSDAY, datetime(2026, 12, 3, 14, 59, 59, tzinfo=CN_TZ))
    assert on_time(RULE, THURSDAY, datetime(2026, 12, 3, 14, 59, 59, 999999, tzinfo=CN_TZ))
    assert not on_time(RULE, THURSDAY, datetime(2026, 12, 3, 15, 0, 0, tzinfo=CN_TZ))
    assert not on_time(RULE, THURSDAY, datetime(2026, 12, 4, 9, 0, tzinfo=CN_TZ))


@pytest.mark.parametrize(
    ("day", "expected"),
    [(THURSDAY, True), (NATIONAL_DAY, False), (MAKE_UP, True), (SATURDAY, False)],
    ids=["working-day", "holiday", "make-up-working-day", "weekend"],
)
def test_owed_on_working_days_only(day: date, expected: bool) -> None:
    assert owed(RULE, CAL, "ENT-1", "500107", day) is expected


def test_scope_and_exemptions() -> None:
    rule = DailyReportRule(regions=["500100"], exempt=["ENT-X"])
    assert owed(rule, CAL, "ENT-1", "500107", THURSDAY)
    assert not owed(rule, CAL, "ENT-1", "510107", THURSDAY)  # outside the regions in scope
    assert not owed(rule, CAL, "ENT-X", "500107", THURSDAY)  # exempt


def test_report_day_is_the_china_day() -> None:
    assert report_day(datetime(2026, 12, 2, 16, 30, tzinfo=CN_TZ) - timedelta(hours=8)) == date(2026, 12, 2)
    assert report_day(datetime(2026, 12, 3, 0, 30, tzinfo=CN_TZ)) == THURSDAY


def test_filed_event_marks_late_and_not_owed() -> None:
    common = {
        "enterprise_id": "ENT-1",
        "region": "500107",
        "nothing_found": True,
        "hazard_ids": [],
        "note": "",
    }
    late = filed_event(RULE, CAL, day=THURSDAY, filed_at=datetime(2026, 12, 3, 15, 0, tzinfo=CN_TZ), **common)
    assert late["owed"] and late["late"]
    early = filed_event(
        RULE, CAL, day=THURSDAY, filed_at=datetime(2026, 12, 3, 14, 59, 59, tzinfo=CN_TZ), **common
    )
    assert early["owed"] and not early["late"]
    holiday = filed_event(
        RULE, CAL, day=NATIONAL_DAY, filed_at=datetime(2026, 10, 1, 16, 0, tzinfo=CN_TZ), **common
    )
    assert not holiday["owed"] and not holiday["late"]


def test_a_report_gives_hazards_or_nothing_found() -> None:
    FileDailyReport(nothing_found=True)
    FileDailyReport(hazards=[{"title": "配电箱未接地", "category": "unsafe_condition"}])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        FileDailyReport()
    with pytest.raises(ValidationError):
        FileDailyReport(nothing_found=True, hazards=[{"title": "x", "category": "unsafe_condition"}])  # type: ignore[list-item]


def test_missed_notices_reach_the_responsible_and_the_inspector() -> None:
    notices = missed_notices(RULE, enterprise_id="ENT-1", region="500107", day=THURSDAY)
    assert [(n["recipient_role"], n["recipient_party"]) for n in notices] == [
        ("enterprise_responsible", "ENT-1"),
        ("inspector", "500107"),
    ]
    assert "15:00" in notices[0]["subject"]


def test_stream_id_fits_the_store() -> None:
    assert stream_id("ENT-1", THURSDAY) == "DR-20261203-ENT-1"
    long = stream_id("E" * 100, THURSDAY)
    assert len(long) <= 100 and long != stream_id("E" * 99 + "F", THURSDAY)
