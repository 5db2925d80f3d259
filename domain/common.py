"""Pieces every case kind's commands share: the strict body base, patterns, evidence, strict numbers and
dates."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, Strict

REGION = r"^\d{6}$"
HEX64 = r"^[0-9a-f]{64}$"
# the People's Republic's own records start in 1949; a date past 2100 is a typo (fixed bounds: the rules
# run inside workflows, where "now" must not decide what parses)
MIN_YEAR, MAX_YEAR = 1949, 2100
MAX_MONEY = Decimal(10**14)  # yuan
DECIMAL_TEXT = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,10})?([eE][+-]?[0-9]{1,3})?")


def _money(v: Any) -> Any:
    """A JSON number, or a decimal in ASCII digits as a string (how the service itself writes money)."""
    if isinstance(v, bool):
        raise ValueError("must be a number (yuan), not a boolean")
    if isinstance(v, str) and not DECIMAL_TEXT.fullmatch(v):
        raise ValueError('must be a number (yuan), or a decimal in ASCII digits such as "1250.50"')
    return v


def _sane_money(v: Decimal) -> Decimal:
    if abs(v) >= MAX_MONEY:  # a bound of its own: a field's ge / le must not replace it, nor it theirs
        raise ValueError(f"must lie within ±{MAX_MONEY:,} yuan")
    return v


def _date_text(v: Any) -> Any:
    if isinstance(v, bool | int | float):
        raise ValueError("must be an ISO 8601 date-time with its offset, e.g. 2026-05-01T09:00:00+08:00")
    return v


def _sane_year(v: datetime) -> datetime:
    if not MIN_YEAR <= v.year <= MAX_YEAR:
        raise ValueError(f"must lie between the years {MIN_YEAR} and {MAX_YEAR}")
    return v


# one entry of a list of texts (measures, causes, team members): bounded like every string
Line = Annotated[str, Field(max_length=2000)]
# a whole number given as a JSON number: no boolean, no string, no fraction
Int = Annotated[int, Strict()]
# an amount of money, within ±10^14 yuan (each field says whether it may be negative or 0)
Money = Annotated[Decimal, Field(allow_inf_nan=False), BeforeValidator(_money), AfterValidator(_sane_money)]
# an instant with its offset, given as an ISO 8601 string, between MIN_YEAR and MAX_YEAR
Moment = Annotated[AwareDatetime, BeforeValidator(_date_text), AfterValidator(_sane_year)]


class Body(BaseModel):
    """A command body or one of its parts: immutable, and an unknown field is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(Body):
    uri: str = Field(min_length=1, max_length=2000)
    sha256: str = Field(pattern=HEX64)
