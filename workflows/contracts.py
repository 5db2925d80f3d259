"""Workflow inputs, update requests and results (pure pydantic; shared with the client side)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field

from domain.actors import Actor
from domain.decider import ChildCaseUpdated
from domain.policy import PolicyPack

# A command's id is the client's Idempotency-Key and a fingerprint of who sent which body: recorded with the
# command's events, it tells a retry (the same id) from the key reused for another command (409).
FINGERPRINT_SEP = "~"
MAX_KEY_IN_ID = 160  # the events' command_id column holds 200 characters


def stored_key(key: str) -> str:
    """The key as recorded: a long or unprintable key by its sha256."""
    if len(key) <= MAX_KEY_IN_ID and key.isprintable():
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def command_id_for(key: str, actor_id: str, body: dict[str, Any]) -> str:
    doc = json.dumps([actor_id, body], sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return f"{stored_key(key)}{FINGERPRINT_SEP}{hashlib.sha256(doc.encode()).hexdigest()[:16]}"


def key_of(command_id: str) -> str:
    """The key part of a command id (an id recorded before fingerprints is all key)."""
    key, sep, fingerprint = command_id.rpartition(FINGERPRINT_SEP)
    return key if sep and len(fingerprint) == 16 else command_id


class ParentRef(BaseModel):
    case_id: str
    kind: str
    ref: str


class Carried(BaseModel):
    """What continue-as-new carries: the folded state and the recent command results."""

    state: dict[str, Any]
    version: int
    results: dict[str, CommandResult] = Field(default_factory=dict)
    deferred: list[ChildCaseUpdated] = Field(
        default_factory=list,
        description="child updates received once continue-as-new was suggested, for the next run to apply",
    )


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
