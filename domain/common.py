"""Pieces every case kind's commands share: the strict body base, patterns, evidence."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

# A region (行政区划代码) is exactly six ASCII digits: `[0-9]`, never `\d`, which takes any Unicode digit
# (full-width ５). REGION is for pydantic fields and FastAPI parameters, whose (Rust) regex ends the text at
# `$` and has no `\Z`; REGION_RE is for Python code, where `$` would also match before a trailing newline.
REGION = r"^[0-9]{6}$"
REGION_RE = re.compile(r"\A[0-9]{6}\Z")
HEX64 = r"^[0-9a-f]{64}$"


class Body(BaseModel):
    """A command body or one of its parts: immutable, and an unknown field is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(Body):
    uri: str = Field(min_length=1, max_length=2000)
    sha256: str = Field(pattern=HEX64)
