"""The monthly enforcement bulletin's rules (seed 001 task 49): the month before the run, in the
Asia/Shanghai calendar, and what counts as which measure."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.bulletin import bulletin, csv_rows, month_bounds, month_period, scoped
from domain.timecalc import CN_TZ


def test_the_month_is_the_one_before_the_run_in_shanghai_time() -> None:
    start, end = month_period(datetime(2026, 12, 1, 9, 0, tzinfo=CN_TZ))
    assert (start.isoformat(), end.isoformat()) == ("2026-11-01T00:00:00+08:00", "2026-12-01T00:00:00+08:00")
    # 2026-11-30 16:30 UTC is already 1 December in Shanghai: November is the month before
    start, _ = month_period(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    assert start.isoformat() == "2026-11-01T00:00:00+08:00"
    # 15:59 UTC on 30 November is still November in Shanghai: the month before is October
    start, _ = month_period(datetime(2026, 11, 30, 15, 59, tzinfo=UTC))
    assert start.isoformat() == "2026-10-01T00:00:00+08:00"
    start, end = month_period(datetime(2027, 1, 1, 0, 0, tzinfo=CN_TZ))
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")
    assert month_bounds("2026-12") == (
        datetime(2026, 12, 1, tzinfo=CN_TZ),
        datetime(2027, 1, 1, tzinfo=CN_TZ),
    )


def test_each_measure_is_counted_per_region_with_its_amounts() -> None:
    events = [
        {"region": "500107", "kind": "hazard", "type": "penalty_imposed", "data": {"amount": "5000"}},
        {"region": "500107", "kind": "hazard", "type": "penalty_imposed", "data": {"amount": "1250.50"}},
        {
            "region": "500107",
            "kind": "hazard",
            "type": "penalty_accrued",
            "data": {"amount": "5000", "day": 1},
        },
        {"region": "500108", "kind": "hazard", "type": "stop_work_ordered", "data": {"scope": "full"}},
        {"region": "500108", "kind": "hazard", "type": "stop_work_ordered", "data": {"scope": "partial"}},
        {"region": "500108", "kind": "enterprise", "type": "closure_proposed", "data": {"ground": "一"}},
        {"region": "500108", "kind": "hazard", "type": "graded", "data": {}},  # not a measure
    ]
    b = bulletin(datetime(2026, 11, 1, tzinfo=CN_TZ), datetime(2026, 12, 1, tzinfo=CN_TZ), events)
    assert b["month"] == "2026-11"
    one, two = b["by_region"]
    assert (one["region"], one["penalties"], one["penalty_total"]) == ("500107", 2, "6250.50")
    assert (one["daily_penalties"], one["daily_penalty_total"], one["stop_work_orders"]) == (1, "5000", 0)
    assert (two["stop_work_orders"], two["full_stop_work_orders"], two["closures_proposed"]) == (2, 1, 1)
    assert b["totals"]["penalties"] == 2 and b["totals"]["stop_work_orders"] == 2
    county = scoped(b, lambda r: r == "500108")
    assert [r["region"] for r in county["by_region"]] == ["500108"] and county["totals"]["penalties"] == 0
    rows = csv_rows(b)
    assert rows[2][0] == "行政区划" and rows[-1][0] == "合计" and rows[-1][1] == 2
