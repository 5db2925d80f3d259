"""The decider contract shared by every kind of case (hazard, incident, tip).

    decide(state, command, ctx) -> list[Event]   # raises DomainError for a move the rules forbid
    evolve(state, event)        -> state         # folds one event in; never fails
    deadlines(state)            -> list[Deadline]

The shells (workflow, projector, auditor) only ever talk to a case kind through `Decider`, so the
workflow loop, the event store and the audit code are written once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from domain.actors import Actor, Role
from domain.errors import Forbidden
from domain.policy import PolicyPack


class Context(BaseModel):
    """Who acts, when, under which rules. Time comes from outside (the workflow clock)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    actor: Actor
    now: datetime
    policy: PolicyPack
    case_id: str


class Deadline(BaseModel):
    """A clock the case owes. When `due_at` passes, the shell sends `deadline_elapsed(key)`.

    Invariant every decider keeps: deciding `deadline_elapsed` for a deadline of the current state
    produces events after which that deadline (same key and due_at) is no longer owed, so a timer
    never fires twice.
    """

    model_config = ConfigDict(frozen=True)

    key: str = Field(description="stable identity within the case, e.g. 'rectification' or 'reminder:P3D'")
    kind: str = Field(description="what the clock is, e.g. rectification, reminder, explanation, review")
    due_at: datetime
    note: str = ""


class DeadlineElapsed(BaseModel):
    """System command: a deadline of `deadlines(state)` has passed. Only the system actor may send it."""

    model_config = ConfigDict(frozen=True)
    type: Literal["deadline_elapsed"] = "deadline_elapsed"
    key: str
    due_at: datetime


class ChildCaseUpdated(BaseModel):
    """System command: a child case (e.g. an incident's corrective measure as a hazard) changed.

    `summary` is the child decider's `summary(state)`: status plus what parents need
    (fine imposed, grade, concealed deaths…).
    """

    model_config = ConfigDict(frozen=True)
    type: Literal["child_case_updated"] = "child_case_updated"
    child_id: str
    child_kind: str
    ref: str = Field(description="what the parent called this child (e.g. the measure index)")
    summary: dict[str, Any]


SYSTEM_COMMAND_TYPES = frozenset({"deadline_elapsed", "child_case_updated"})


def check_system_command(command_type: object, actor: Actor) -> None:
    """The one rule on system commands: only the system actor sends them (never a person)."""
    if command_type in SYSTEM_COMMAND_TYPES and actor.role != Role.system:
        raise Forbidden(
            f"{command_type} is a system command: only the system sends it", rule="system_command"
        )


class ChildSpec(BaseModel):
    """A child case the parent asks the shell to start (as a child workflow)."""

    model_config = ConfigDict(frozen=True)
    kind: str = Field(description="child case kind: hazard | incident")
    case_id: str = Field(description="deterministic id, e.g. '<parent>-m1'")
    ref: str
    command: dict[str, Any] = Field(description="the child's creation command, as the API would send it")


Subject = tuple[str, str]
"""A notice's subject in Chinese (`Notice.subject`, what people read) and in English (kept in
`data["subject_en"]`; the renderer shows it after the Chinese)."""


class Notice(BaseModel):
    """Someone must be told something (a notification record; delivery is the outbox's job).

    Never carries personal data of a tip's reporter.
    """

    model_config = ConfigDict(frozen=True)
    kind: str = Field(description="e.g. action_required, reminder, overdue, escalation, listed, closed")
    recipient_role: str = Field(
        description="a role of docs/rules.md#who-acts, or a responsibility such as enterprise_responsible"
    )
    recipient_party: str = Field(description="enterprise id or region code the recipient belongs to")
    due_at: datetime | None = None
    subject: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class CaseIndex(BaseModel):
    """What lists, search attributes and the projection index by; PII-free by construction."""

    model_config = ConfigDict(frozen=True)
    status: str
    level: str | None = None
    region: str
    enterprise_id: str | None = None
    next_due_at: datetime | None = None
    overdue: bool = False
    terminal: bool = False


S = TypeVar("S", bound=BaseModel)
E = TypeVar("E", bound=BaseModel)
C = TypeVar("C", bound=BaseModel)


class Decider(Protocol, Generic[S, C, E]):
    """What a case kind provides. Implementations are plain modules/objects in `domain/`."""

    kind: str

    def initial_state(self) -> S: ...

    def parse_command(self, data: dict[str, Any]) -> C: ...

    def parse_event(self, data: dict[str, Any] | str) -> E:
        """An event as stored: its JSON object, or that object's JSON text (read straight from the store)."""
        ...

    def decide(self, state: S, command: C, ctx: Context) -> list[E]: ...

    def evolve(self, state: S, event: E) -> S: ...

    def deadlines(self, state: S) -> list[Deadline]: ...

    def index(self, state: S) -> CaseIndex: ...

    def view(self, state: S) -> dict[str, Any]: ...

    def summary(self, state: S) -> dict[str, Any]: ...

    def notices(self, before: S, event: E, after: S) -> list[Notice]: ...

    def children(self, before: S, event: E, after: S) -> list[ChildSpec]: ...

    def parse_state(self, data: dict[str, Any]) -> S: ...


def fold(decider: Decider[S, C, E], events: list[E], state: S | None = None) -> S:
    s = decider.initial_state() if state is None else state
    for e in events:
        s = decider.evolve(s, e)
    return s


@dataclass(frozen=True)
class KindSpec:
    """One case kind as every shell knows it: the one place its names are spelled.

    Each kind's package defines its spec next to its decider; `domain.registry` lists them, and the
    shells derive their tables from them (API paths, id prefixes, workflow types, notification names).
    """

    name: str = field(metadata={"doc": "the kind, e.g. hazard"})
    label_zh: str = field(metadata={"doc": "what notifications call it, e.g. 隐患"})
    plural: str = field(metadata={"doc": "the API path segment, e.g. hazards"})
    id_prefix: str = field(metadata={"doc": "case ids start with it, e.g. HZ"})
    workflow_type: str = field(metadata={"doc": "the Temporal workflow type name, e.g. HazardWorkflow"})
    creation: str = field(metadata={"doc": "the command type that creates a case, e.g. report"})
    decider: Decider[Any, Any, Any]
    commands: object = field(metadata={"doc": "the command union (pydantic, discriminated on type)"})
    events: object = field(metadata={"doc": "the event union (pydantic, discriminated on type)"})
    create_rename: Mapping[str, str] = field(
        default_factory=dict,
        metadata={"doc": "creation body fields renamed for the command (a field that collides with `type`)"},
    )
