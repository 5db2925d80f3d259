"""Pieces every case kind's commands share: the strict body base, patterns, evidence."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

REGION = r"^\d{6}$"
HEX64 = r"^[0-9a-f]{64}$"


class Body(BaseModel):
    """A command body or one of its parts: immutable, and an unknown field is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(Body):
    uri: str = Field(min_length=1, max_length=2000)
    sha256: str = Field(pattern=HEX64)
