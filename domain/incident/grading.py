"""Incident grades (国务院令第493号 Art. 3) and who investigates them (Art. 19). Pure functions."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.jurisdiction import next_in


class Grade(StrEnum):
    general = "general"  # 一般
    larger = "larger"  # 较大
    major = "major"  # 重大
    especially_major = "especially_major"  # 特别重大


class InvestigatingLevel(StrEnum):
    county = "county"
    city = "city"
    province = "province"
    national = "national"


GRADE_ORDER = [Grade.general, Grade.larger, Grade.major, Grade.especially_major]
LEVEL_ORDER = [
    InvestigatingLevel.county,
    InvestigatingLevel.city,
    InvestigatingLevel.province,
    InvestigatingLevel.national,
]
INVESTIGATED_BY = {
    Grade.general: InvestigatingLevel.county,
    Grade.larger: InvestigatingLevel.city,
    Grade.major: InvestigatingLevel.province,
    Grade.especially_major: InvestigatingLevel.national,
}
# onward reporting (Art. 10): 一般 → up to the city, 较大 → the province, 重大 and worse → the State Council
REPORTED_UP_TO = {
    Grade.general: InvestigatingLevel.city,
    Grade.larger: InvestigatingLevel.province,
    Grade.major: InvestigatingLevel.national,
    Grade.especially_major: InvestigatingLevel.national,
}


def grade_of(deaths: int, serious_injuries: int, direct_loss: Decimal, thresholds: dict[str, Any]) -> Grade:
    """The highest grade any of the three measures reaches; lower bounds inclusive."""
    for grade in (Grade.especially_major, Grade.major, Grade.larger):
        t = thresholds[grade.value]
        if (
            deaths >= int(t["deaths"])
            or serious_injuries >= int(t["serious_injuries"])
            or direct_loss >= Decimal(str(t["direct_loss"]))
        ):
            return grade
    return Grade.general


def higher(a: InvestigatingLevel, b: InvestigatingLevel) -> InvestigatingLevel:
    return a if LEVEL_ORDER.index(a) >= LEVEL_ORDER.index(b) else b


def one_up(level: InvestigatingLevel) -> InvestigatingLevel:
    return LEVEL_ORDER[min(LEVEL_ORDER.index(level) + 1, len(LEVEL_ORDER) - 1)]


def authority_region(region: str, level: InvestigatingLevel, tree: dict[str, Any] | None = None) -> str:
    """The region code of the authority at `level` above a county-level `region` (500107 → city 500100;
    by a jurisdiction tree naming 重庆 a municipality, 500107 → 500000 from the city level up)."""
    return ([region, *_up(region, LEVEL_ORDER.index(level), tree)])[-1]


def _up(region: str, target: int, tree: dict[str, Any] | None) -> list[str]:
    """The codes above `region`, one level at a time (domain/jurisdiction.py), up to level `target`."""
    codes: list[str] = []
    code = region
    while _level_of(code) < target and len(codes) < 8:  # a tree's parents cannot loop forever
        code = next_in(tree, code)
        codes.append(code)
    return codes


def _level_of(code: str) -> int:
    if code == "000000":
        return 3
    if code.endswith("0000"):
        return 2
    if code.endswith("00"):
        return 1
    return 0


def route(region: str, grade: Grade, tree: dict[str, Any] | None = None) -> list[str]:
    """The region codes the report passes on its way up, above the incident's own (county) level: by
    the code's digits, or by a jurisdiction tree (a Chongqing district reports to 500000 directly)."""
    return _up(region, LEVEL_ORDER.index(REPORTED_UP_TO[grade]), tree)
