"""Inspection plans by risk colour and the officers' monthly duty, rule by rule at their boundaries:
the due day and the day after, a colour change shortening the interval, the month's minimums and the
half-year coverage (seed 004; seed 000; seed 001 task 24)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from domain.duties import inspections as insp
from domain.duties import officers
from domain.duties.inspections import Colour
from domain.policy import parse_pack
from domain.timecalc import CN_TZ

ROOT = Path(__file__).resolve().parents[2]
NATIONAL = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
FAST = parse_pack((ROOT / "policies" / "test-fast.toml").read_text())
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=CN_TZ)
SECOND = timedelta(seconds=1)


def test_red_is_due_by_the_end_of_the_due_day_a_month_later() -> None:
    due = insp.due_at(NATIONAL, Colour.red, T0)
    assert due == datetime(2026, 4, 3, 0, 0, tzinfo=CN_TZ)
    last_moment_of_due_day = datetime(2026, 4, 2, 23, 59, 59, tzinfo=CN_TZ)
    assert not insp.is_overdue(due, last_moment_of_due_day)
    assert insp.is_overdue(due, due)  # 00:00 the day after
    assert insp.is_overdue(due, due + SECOND)


def test_each_colour_has_its_own_interval() -> None:
    dues = [insp.due_at(NATIONAL, c, T0).date() for c in Colour]
    assert [d.isoformat() for d in dues] == ["2026-04-03", "2026-06-03", "2026-09-03", "2027-03-03"]


def test_a_clock_interval_is_due_to_the_second() -> None:
    due = insp.due_at(FAST, Colour.red, T0)
    assert due == T0 + timedelta(seconds=30)
    assert not insp.is_overdue(due, due - SECOND)
    assert insp.is_overdue(due, due)


def test_a_stricter_colour_shortens_the_interval_from_the_same_basis() -> None:
    blue = insp.due_at(NATIONAL, Colour.blue, T0)
    assert insp.replanned(NATIONAL, Colour.red, T0, blue) == datetime(2026, 4, 3, tzinfo=CN_TZ)


def test_a_milder_colour_never_postpones_the_deadline_in_force() -> None:
    red = insp.due_at(NATIONAL, Colour.red, T0)
    assert insp.replanned(NATIONAL, Colour.blue, T0, red) == red
    assert insp.replanned(NATIONAL, Colour.blue, T0, None) == insp.due_at(NATIONAL, Colour.blue, T0)


def test_a_colour_change_past_the_new_deadline_is_overdue_at_once() -> None:
    basis = T0 - timedelta(days=40)
    due = insp.replanned(NATIONAL, Colour.red, basis, insp.due_at(NATIONAL, Colour.blue, basis))
    assert insp.is_overdue(due, T0)


def test_month_bounds_and_notice_day_in_shanghai() -> None:
    start, end = officers.month_bounds("2026-02")
    assert (start, end) == (datetime(2026, 2, 1, tzinfo=CN_TZ), datetime(2026, 3, 1, tzinfo=CN_TZ))
    assert officers.notice_from(NATIONAL, "2026-02") == datetime(2026, 2, 24, tzinfo=CN_TZ)
    assert officers.month_of(datetime(2026, 2, 28, 16, 0, tzinfo=CN_TZ) + timedelta(hours=8)) == "2026-03"


def test_two_of_each_is_on_track_one_short_is_behind() -> None:
    ok = officers.progress(NATIONAL, "o-1", "2026-03", inspected=2, pushed=2, solved=2, uncovered=[])
    assert not ok.behind and ok.shortfalls == []
    short = officers.progress(NATIONAL, "o-1", "2026-03", inspected=2, pushed=1, solved=2, uncovered=[])
    assert short.behind and short.shortfalls == ["pushed"]


def test_an_uncovered_enterprise_makes_an_officer_behind() -> None:
    p = officers.progress(NATIONAL, "o-1", "2026-03", inspected=3, pushed=3, solved=3, uncovered=["E-2"])
    assert p.behind and p.shortfalls == ["coverage"] and p.uncovered == ["E-2"]
    assert "半年全覆盖" in officers.behind_notice(p)["subject"]


def test_coverage_is_due_half_a_year_after_assignment() -> None:
    assert officers.coverage_due(NATIONAL, T0) == datetime(2026, 9, 2, 9, 30, tzinfo=CN_TZ)


def test_a_month_outside_what_the_service_holds_is_refused_by_the_pattern() -> None:
    import re

    allowed = re.compile(officers.MONTH_PATTERN)
    assert allowed.match("2026-12") and allowed.match("2099-12") and allowed.match("2000-01")
    for bad in ("0000-01", "9999-12", "2026-13", "2026-00", "２０２６-01"):
        assert not allowed.match(bad), bad
    officers.month_bounds("2099-12")  # the last month allowed still has an end
