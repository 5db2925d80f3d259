"""A record per region per year (issue #18): what the annual safety assessment of a region reads.

For each region (the case's own 6-digit code) and year (Asia/Shanghai):
- accidents by grade (493号令 Art. 3) and their deaths, an accident counted in the year it occurred;
- the one-vote veto (一票否决) and its causes, each with the incidents behind it: a 较大 or worse accident
  (seed 001, task 21) and 迟报 / 漏报 / 谎报 / 瞒报 (task 61; `IncidentState.veto_causes`);
- hazards listed for supervision (挂牌督办) and listings written off (销号) in the year.

Pure: the store reads the events, folds each incident with its decider and hands the states here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from domain.incident.grading import GRADE_ORDER
from domain.incident.state import IncidentState, Status
from domain.timecalc import CN_TZ

ListingMove = tuple[str, datetime, Literal["listed", "written_off"]]
"""(region, when, what): a hazard listed for supervision or its listing written off."""


def year_of(at: datetime) -> int:
    return at.astimezone(CN_TZ).year


def region_year_records(
    incidents: Iterable[IncidentState], listings: Iterable[ListingMove]
) -> list[dict[str, Any]]:
    """One record per (region, year) that saw an accident or a listing move, sorted by year and region."""
    records: dict[tuple[str, int], dict[str, Any]] = {}

    def record(region: str, year: int) -> dict[str, Any]:
        return records.setdefault(
            (region, year),
            {
                "region": region,
                "year": year,
                "accidents": {g.value: 0 for g in GRADE_ORDER},
                "deaths": 0,
                "veto": False,
                "veto_causes": {},
                "listed": 0,
                "written_off": 0,
            },
        )

    for s in incidents:
        if s.occurred_at is None or s.grade is None or s.status == Status.cancelled:
            continue
        r = record(s.region, year_of(s.occurred_at))
        r["accidents"][s.grade.value] += 1
        r["deaths"] += s.deaths
        for cause in s.veto_causes:
            r["veto_causes"].setdefault(cause, []).append(s.id)
        r["veto"] = bool(r["veto_causes"])
    for region, at, move in listings:
        record(region, year_of(at))[move] += 1
    return [records[k] for k in sorted(records, key=lambda k: (k[1], k[0]))]
