"""Print a policy pack's `[calendar]` lines for one year from the `chinesecalendar` package.

    .venv/bin/python scripts/holiday_section.py 2027

The package follows the State Council's annual holiday notice (国务院办公厅关于…部分节假日安排的通知);
check its output against the notice before adding the year to a new pack version (the year also goes
into `years`). tests/unit/test_calendar_oracle.py keeps the packs' tables checked against the package.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta

import chinese_calendar  # type: ignore[import-untyped]


def days_of(year: int) -> tuple[list[date], list[date]]:
    """The year's holidays (every day off the notice names) and make-up working days (调休)."""
    holidays: list[date] = []
    workdays: list[date] = []
    d = date(year, 1, 1)
    while d.year == year:
        detail_holiday, name = chinese_calendar.get_holiday_detail(d)
        if detail_holiday and name is not None:
            holidays.append(d)
        elif not detail_holiday and d.weekday() >= 5:
            workdays.append(d)
        d += timedelta(days=1)
    return holidays, workdays


def _lines(days: list[date]) -> str:
    rows = [", ".join(x.isoformat() for x in days[i : i + 6]) for i in range(0, len(days), 6)]
    return "".join(f"  {row},\n" for row in rows)


def section(year: int) -> str:
    holidays, workdays = days_of(year)
    return (
        f"# {year}: 国务院办公厅 holiday notice (generated from chinesecalendar; check against the notice)\n"
        f"holidays = [\n{_lines(holidays)}]\nworkdays = [\n{_lines(workdays)}]\n"
    )


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: holiday_section.py YEAR")
    try:
        sys.stdout.write(section(int(sys.argv[1])))
    except NotImplementedError as err:  # the package does not know the year yet
        sys.exit(f"chinesecalendar has no data for {sys.argv[1]}: {err}")
