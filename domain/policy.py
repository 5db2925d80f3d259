"""Policy packs: regulation as data (docs/rules.md#policy-packs).

A pack is a versioned TOML document with an id, a version, the jurisdiction it applies to, a working-day
calendar, and values (ISO 8601 durations, numbers, tables), each with its source. A case pins the pack
in force when it starts: the pack travels in the workflow input, so later rule changes never alter a
running case and replay reproduces old decisions.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.common import REGION
from domain.timecalc import CN_TZ, IsoDuration, WorkCalendar, add_duration

REQUIRED_KEYS: tuple[str, ...] = (
    "hazard.general.default_deadline",
    "hazard.reminders",
    "hazard.explanation_due",
    "hazard.major.report_due",
    "hazard.major.review_due",
    "listing.plan_due",
    "listing.progress_interval",
    "listing.extension_lead",
    "listing.extension_decision_due",
    "listing.max_duration",
    "listing.publish_due",
    "enforcement.closure_threshold",
    "incident.grade_thresholds",
    "incident.report_due",
    "incident.level_report_due",
    "incident.supplement_window",
    "incident.investigation_due",
    "incident.investigation_extension_max",
    "incident.approval_due",
    "incident.publication_due",
    "incident.evaluation_opens",
    "incident.evaluation_deadline",
    "incident.evaluation_duration",
    "tip.verification_due",
    "tip.verification_extension_max",
    "tip.feedback_due",
    "tip.reward.rate",
    "tip.reward.min",
    "tip.reward.max",
    "tip.reward.concealed_per_death",
    "tip.reward.concealed_max",
    "tip.claim_window",
)


class PolicyRef(BaseModel):
    """Which rules a decision was made under."""

    model_config = ConfigDict(frozen=True)
    id: str
    version: str


class PolicyValue(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: Any
    unit: Literal["natural", "working"] = "natural"
    source: str = Field(min_length=1, description="law / seed / local rule / project choice behind the value")


class PolicyCalendar(BaseModel):
    model_config = ConfigDict(frozen=True)

    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list, description="make-up working days (调休)")
    years: list[int] | None = Field(
        default=None, description="the years whose holiday notice the tables hold; others are flagged"
    )


class PolicyPack(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    jurisdiction: str = Field(pattern=REGION)
    title: str = ""
    calendar: PolicyCalendar = Field(default_factory=PolicyCalendar)
    values: dict[str, PolicyValue]

    @model_validator(mode="after")
    def _complete_and_well_typed(self) -> PolicyPack:
        missing = [k for k in REQUIRED_KEYS if k not in self.values]
        if missing:
            raise ValueError(f"policy pack {self.id} {self.version} lacks keys: {', '.join(missing)}")
        for key, v in self.values.items():
            if isinstance(v.value, str) and v.value.startswith(("P", "-P")):
                IsoDuration(v.value)  # raises on a malformed duration
            if isinstance(v.value, list) and v.value and all(isinstance(x, str) for x in v.value):
                for x in v.value:
                    IsoDuration(x)
            if v.unit == "working" and not (isinstance(v.value, str) and "D" in v.value):
                raise ValueError(f"{key}: working-day unit needs a day duration, got {v.value!r}")
        years = self.calendar.years
        if years is not None:
            stray = [d for d in (*self.calendar.holidays, *self.calendar.workdays) if d.year not in years]
            if stray:
                raise ValueError(f"calendar day {stray[0].isoformat()} lies outside the calendar's years")
        return self

    @property
    def ref(self) -> PolicyRef:
        return PolicyRef(id=self.id, version=self.version)

    @cached_property
    def work_calendar(self) -> WorkCalendar:
        years = self.calendar.years
        return WorkCalendar(
            frozenset(self.calendar.holidays),
            frozenset(self.calendar.workdays),
            None if years is None else frozenset(years),
        )

    def raw(self, key: str) -> Any:
        try:
            return self.values[key].value
        except KeyError:
            raise KeyError(f"policy pack {self.id} {self.version} has no value {key!r}") from None

    def duration(self, key: str) -> IsoDuration:
        return IsoDuration(str(self.raw(key)))

    def durations(self, key: str) -> list[IsoDuration]:
        return [IsoDuration(str(x)) for x in self.raw(key)]

    def add(self, key: str, start: datetime, *, backwards: bool = False) -> datetime:
        """`start` moved by the duration `key`, in natural or working days as the pack says."""
        d = self.duration(key)
        if backwards:
            d.sign = -d.sign
        return add_duration(
            start, d, working_days=self.values[key].unit == "working", calendar=self.work_calendar
        )

    def provisional(self, key: str, start: datetime) -> list[int]:
        """The years a working-day clock `key` from `start` (either way) counts Monday–Friday only, because
        the calendar lacks their holiday notice: to be recorded with the clock as a flag."""
        if self.values[key].unit != "working":
            return []
        ends = (self.add(key, start), self.add(key, start, backwards=True))
        cn = [x.astimezone(CN_TZ).date() for x in (*ends, start)]
        return self.work_calendar.uncovered_years(min(cn), max(cn))

    def add_iso(self, duration: IsoDuration, start: datetime, *, working_days: bool = False) -> datetime:
        return add_duration(start, duration, working_days=working_days, calendar=self.work_calendar)

    def decimal(self, key: str) -> Decimal:
        return Decimal(str(self.raw(key)))

    def table(self, key: str) -> dict[str, Any]:
        value = self.raw(key)
        if not isinstance(value, dict):
            raise TypeError(f"policy value {key!r} is not a table")
        return value


def parse_pack(text: str) -> PolicyPack:
    """Parse a TOML policy pack (pure: the caller reads the file)."""
    data = tomllib.loads(text)
    return PolicyPack.model_validate(data)
