"""ISO 8601 durations counted in natural days or in working days (工作日).

China has no daylight saving: calendar arithmetic uses the fixed offset +08:00 (Asia/Shanghai), so
"a day" and "a working day" mean what they mean to the people on the case, and the code needs no
time-zone database (workflow code stays deterministic).
"""

from __future__ import annotations

import calendar as _cal
import re
from datetime import UTC, date, datetime, timedelta, timezone

CN_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

# ASCII digits only (`\d` takes any Unicode digit), and `\Z`: `$` would accept a trailing newline
_DURATION_RE = re.compile(
    r"\A(?P<sign>-)?P(?:(?P<years>[0-9]+)Y)?(?:(?P<months>[0-9]+)M)?(?:(?P<weeks>[0-9]+)W)?"
    r"(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+(?:\.[0-9]+)?)S)?)?\Z"
)


class IsoDuration:
    """A parsed ISO 8601 duration: calendar part (years, months, days) and clock part (seconds)."""

    __slots__ = ("days", "months", "seconds", "sign", "text")

    def __init__(self, text: str) -> None:
        m = _DURATION_RE.match(text)
        if not m or text in ("P", "PT", "-P"):
            raise ValueError(f"not an ISO 8601 duration: {text!r} (examples: P7D, PT1H, P10M, PT30S)")
        g = {k: v for k, v in m.groupdict().items() if k != "sign"}
        self.text = text
        self.sign = -1 if m.group("sign") else 1
        self.months = int(g["years"] or 0) * 12 + int(g["months"] or 0)
        self.days = int(g["weeks"] or 0) * 7 + int(g["days"] or 0)
        self.seconds = int(g["hours"] or 0) * 3600 + int(g["minutes"] or 0) * 60 + float(g["seconds"] or 0)

    def __repr__(self) -> str:
        return f"IsoDuration({self.text!r})"


def add_months(d: datetime, months: int) -> datetime:
    y, m0 = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m0 + 1
    day = min(d.day, _cal.monthrange(year, month)[1])
    return d.replace(year=year, month=month, day=day)


class WorkCalendar:
    """Working days: Monday–Friday, minus national holidays, plus make-up working days (调休).

    `years`, when given, are the years whose holiday notice the tables hold. A working day counted in any
    other year can only be counted Monday–Friday (the Spring Festival would count as working days):
    `uncovered_years` names such years, and the deciders record them with the clock they set
    (`provisional_years`) so the date is flagged, never silently trusted. Without `years` (packs before
    2026.2) every year counts as covered.
    """

    def __init__(
        self,
        holidays: frozenset[date] = frozenset(),
        workdays: frozenset[date] = frozenset(),
        years: frozenset[int] | None = None,
    ):
        self.holidays = holidays
        self.workdays = workdays
        self.years = years

    def uncovered_years(self, a: date, b: date) -> list[int]:
        """The years from `a` to `b` (either order) whose holidays the tables do not hold."""
        if self.years is None:
            return []
        lo, hi = sorted((a.year, b.year))
        return [y for y in range(lo, hi + 1) if y not in self.years]

    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() < 5

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Move `n` working days from `start` (negative: backwards), keeping the time of day."""
        local = start.astimezone(CN_TZ)
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        cur = local
        while remaining:
            cur = cur + timedelta(days=step)
            if self.is_working_day(cur.date()):
                remaining -= 1
        return cur.astimezone(start.tzinfo or UTC)


def add_duration(
    start: datetime,
    duration: IsoDuration,
    *,
    working_days: bool = False,
    calendar: WorkCalendar | None = None,
) -> datetime:
    """`start` + `duration`; with `working_days`, the day part counts working days only."""
    if start.tzinfo is None:
        raise ValueError("datetimes must carry an offset")
    sign = duration.sign
    local = start.astimezone(CN_TZ)
    if duration.months:
        local = add_months(local, sign * duration.months)
    if duration.days:
        if working_days:
            local = (calendar or WorkCalendar()).add_working_days(local, sign * duration.days)
        else:
            local = local + timedelta(days=sign * duration.days)
    if duration.seconds:
        local = local + timedelta(seconds=sign * duration.seconds)
    return local.astimezone(start.tzinfo)
