"""Pieces every case kind's commands share: the strict body base, patterns, evidence, strict numbers and
dates."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
)

# A region (行政区划代码) is exactly six ASCII digits: `[0-9]`, never `\d`, which takes any Unicode digit
# (full-width ５). REGION is for pydantic fields and FastAPI parameters, whose (Rust) regex ends the text at
# `$` and has no `\Z`; REGION_RE is for Python code, where `$` would also match before a trailing newline.
REGION = r"^[0-9]{6}$"
REGION_RE = re.compile(r"\A[0-9]{6}\Z")
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

# what PostgreSQL refuses in text and jsonb: NUL, and UTF-16 surrogates (only unpaired ones survive decoding)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
STORABLE_TEXT_RULE = "text may contain any Unicode character except NUL (U+0000) and unpaired surrogates"


def unstorable_text(value: object, path: str = "") -> tuple[str, str] | None:
    """The first string in `value` (a str, or lists and dicts of them, keys included) that PostgreSQL
    cannot store: (dotted path to it, the refused character as U+XXXX); None when everything is storable.
    A refused dict key is reported at the dict's own path."""
    stack: list[tuple[str, object]] = [(path, value)]
    while stack:  # iterative: a deeply nested body cannot exhaust the stack
        where, v = stack.pop()
        if isinstance(v, str):
            m = _UNSTORABLE.search(v)
            if m:
                return where, f"U+{ord(m.group()):04X}"
        elif isinstance(v, dict):
            for k, item in reversed(list(v.items())):
                if isinstance(k, str) and (m := _UNSTORABLE.search(k)):
                    return where, f"U+{ord(m.group()):04X}"
                stack.append((f"{where}.{k}" if where else str(k), item))
        elif isinstance(v, list | tuple | set | frozenset):
            items = list(v)
            stack.extend((f"{where}.{i}" if where else str(i), items[i]) for i in reversed(range(len(items))))
    return None


class Body(BaseModel):
    """A command body or one of its parts: immutable, an unknown field is an error, and no text holds a
    character the event store cannot keep (so such a command never reaches a workflow history)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        found = unstorable_text(value)
        if found is not None:
            where, char = found
            at = f" (at {where})" if where else ""
            raise ValueError(f"contains {char}{at}, which cannot be stored; {STORABLE_TEXT_RULE}")
        return value


class Evidence(Body):
    uri: str = Field(min_length=1, max_length=2000)
    sha256: str = Field(pattern=HEX64)
