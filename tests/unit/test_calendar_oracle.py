"""The packs' holiday tables checked against the `chinesecalendar` package (a well-kept copy of the State
Council's annual notices), and the generator of next year's section (scripts/holiday_section.py)."""

from __future__ import annotations

import importlib.util
import tomllib
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import chinese_calendar  # type: ignore[import-untyped]
import pytest

from domain.policy import PolicyPack, parse_pack

ROOT = Path(__file__).resolve().parents[2]
PACKS = sorted((ROOT / "policies").glob("*.toml"))


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("holiday_section", ROOT / "scripts" / "holiday_section.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def covered(pack: PolicyPack) -> list[int]:
    return sorted(pack.calendar.years or {d.year for d in pack.calendar.holidays})


def days(year: int) -> list[date]:
    d, out = date(year, 1, 1), []
    while d.year == year:
        out.append(d)
        d += timedelta(days=1)
    return out


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.stem)
def test_every_day_of_a_packs_years_agrees_with_chinesecalendar(path: Path) -> None:
    pack = parse_pack(path.read_text())
    cal = pack.work_calendar
    for year in covered(pack):
        wrong = [d for d in days(year) if cal.is_working_day(d) != chinese_calendar.is_workday(d)]
        assert wrong == [], f"{path.name}: {year} disagrees with the holiday notice on {wrong[:5]}"


def test_the_national_pack_names_the_years_it_covers() -> None:
    pack = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
    assert pack.calendar.years == [2025, 2026]


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_generator_prints_a_section_equal_to_the_pack(year: int) -> None:
    section = load_generator().section(year)
    generated = tomllib.loads(section)
    pack = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
    assert generated["holidays"] == [d for d in pack.calendar.holidays if d.year == year]
    assert generated["workdays"] == [d for d in pack.calendar.workdays if d.year == year]


def test_the_generator_refuses_a_year_the_package_does_not_know() -> None:
    with pytest.raises(NotImplementedError):
        load_generator().section(2100)
