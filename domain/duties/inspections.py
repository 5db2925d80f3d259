"""Inspection plans by risk colour (issue #19, item 2).

Sources: seed 004 (渝北区应急管理局 2024, 二(二)): enterprises are graded 红橙黄蓝 by risk and each grade has
its own supervision frequency (明确监管频次); seed 000 (四, 日周月): regulators inspect on a fixed rhythm.
The seeds leave the frequencies to the locality: the pack's `duties.inspections` table maps each colour to
the interval between two inspections (cn-national: red monthly, orange quarterly, yellow half-yearly,
blue yearly — a [choice]).

Rules (choices where the seeds are silent):
- The next inspection is due one interval after the basis: the last inspection recorded, or, before any,
  the moment the enterprise got its colour.
- An interval of whole days/months/years ends with its *due day* (Asia/Shanghai): an inspection recorded
  at any time of the due day is on time; from 00:00 the day after it is overdue. An interval with a clock
  part (the test pack's seconds) is due to the second.
- A colour change re-plans from the same basis with the new interval, and only ever brings the deadline
  forward (a stricter colour shortens the wait; a milder one waits for the next inspection to lengthen
  it). A deadline already past is overdue at the next sweep.
- Overdue is marked once per deadline; recording the inspection starts the next interval.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from domain.policy import PolicyPack
from domain.timecalc import CN_TZ, IsoDuration, add_duration

PACK_KEY = "duties.inspections"


class Colour(StrEnum):
    """红橙黄蓝 risk grades (seed 004)."""

    red = "red"
    orange = "orange"
    yellow = "yellow"
    blue = "blue"


COLOUR_ZH = {Colour.red: "红", Colour.orange: "橙", Colour.yellow: "黄", Colour.blue: "蓝"}


def interval(pack: PolicyPack, colour: Colour) -> IsoDuration:
    """The pack's interval between two inspections of an enterprise of this colour."""
    table = pack.table(PACK_KEY)
    if colour.value not in table:
        raise KeyError(f"policy pack {pack.id} {pack.version}: {PACK_KEY} has no {colour.value}")
    return IsoDuration(str(table[colour.value]))


def due_at(pack: PolicyPack, colour: Colour, basis: datetime) -> datetime:
    """The deadline of the inspection after `basis`: the end of the due day (the first instant it is
    overdue), or to the second for an interval with a clock part."""
    step = interval(pack, colour)
    due = add_duration(basis, step)
    if step.seconds:
        return due
    local = due.astimezone(CN_TZ)
    day_after = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return day_after.astimezone(basis.tzinfo)


def replanned(pack: PolicyPack, colour: Colour, basis: datetime, current: datetime | None) -> datetime:
    """The deadline after a colour change: the new colour's from the same basis, never later than the
    deadline in force."""
    new = due_at(pack, colour, basis)
    return new if current is None else min(new, current)


def is_overdue(due: datetime, now: datetime) -> bool:
    """An inspection is overdue from its deadline on (the deadline is the first late instant)."""
    return now >= due
