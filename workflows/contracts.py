"""Workflow inputs, update requests and results (pure pydantic; shared with the client side)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from domain.actors import Actor
from domain.policy import PolicyPack


class ParentRef(BaseModel):
    case_id: str
    kind: str
    ref: str


class Carried(BaseModel):
    """What continue-as-new carries: the folded state and the recent command results."""

    state: dict[str, Any]
    version: int
    results: dict[str, CommandResult] = Field(default_factory=dict)


class CaseInput(BaseModel):
    case_id: str
    kind: str
    policy: PolicyPack
    command: dict[str, Any] = Field(description="the creation command, as the API received it")
    actor: Actor
    command_id: str | None = None
    parent: ParentRef | None = None
    carried: Carried | None = None


class CommandRequest(BaseModel):
    command: dict[str, Any]
    actor: Actor
    command_id: str | None = Field(default=None, description="idempotency key: the same id is applied once")


class EventOut(BaseModel):
    version: int
    type: str
    data: dict[str, Any]


class CommandResult(BaseModel):
    case: dict[str, Any]
    version: int
    events: list[EventOut]


Carried.model_rebuild()
