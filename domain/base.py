"""The skeleton every case kind's decider shares (hazard, incident, tip).

`CaseDecider` owns what is the same for every kind: parsing commands, events and states; the system
commands (only the system actor sends them); the order of the checks before a command's handler runs
(the creation command on a new case only, any other on an existing case only, who may act, what the
current status accepts); the refusal that says what is allowed instead; and dispatch through an
explicit `{command type: handler}` map built with `on`. A kind supplies its tables and handlers, and
overrides the hooks where its rules add something (`check_actor`, `conflict`, `why_not`, `nothing`,
`settle`, `scope`). Its folds and reads (`evolve`, `deadlines`, `index`, `view`, `summary`, `notices`,
`children`) it hands over as functions, one `Reads`, from the modules that hold them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, NoReturn, Protocol, TypeVar

from pydantic import BaseModel, TypeAdapter

from domain.access import check_acts, check_files
from domain.actors import Role
from domain.decider import (
    SYSTEM_COMMAND_TYPES,
    CaseIndex,
    ChildCaseUpdated,
    ChildSpec,
    Context,
    Deadline,
    Notice,
    check_system_command,
)
from domain.errors import Conflict, DomainError, InvalidCommand, NotAllowedInState


class CaseState(Protocol):
    """What the skeleton reads of any kind's state."""

    @property
    def status(self) -> StrEnum: ...


class Tagged(Protocol):
    """A command or an event: its `type` tag names it."""

    @property
    def type(self) -> str: ...


S = TypeVar("S", bound=CaseState)
C = TypeVar("C", bound=Tagged)
E = TypeVar("E", bound=Tagged)
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

Handler = Callable[[S, Tagged, Context], list[E]]
"""Decides one command type: the state, the command, the context → the events."""


def on(command: type[M], handle: Callable[[S, M, Context], list[E]]) -> tuple[str, Handler[S, E]]:
    """One entry of a dispatch map: the command class's `type` tag → its handler."""
    tag = command.model_fields["type"].default
    if not isinstance(tag, str):
        raise TypeError(f"{command.__name__} has no default `type` tag")

    def run(s: S, c: Tagged, ctx: Context) -> list[E]:
        if not isinstance(c, command):
            raise TypeError(f"the {tag} handler got a {type(c).__name__}")
        return handle(s, c, ctx)

    return tag, run


def no_children(s: object, c: ChildCaseUpdated, ctx: Context) -> list[Any]:
    """`child_case_updated` for a kind that starts no child cases: nothing to record."""
    return []


def no_child_specs(before: object, e: object, after: object) -> list[ChildSpec]:
    """`children` for a kind that starts no child cases."""
    return []


@dataclass(frozen=True)
class Reads(Generic[S, E]):
    """A kind's fold and its reads of a state, as the functions of the modules that hold them."""

    evolve: Callable[[S, E], S]
    deadlines: Callable[[S], list[Deadline]]
    index: Callable[[S], CaseIndex]
    view: Callable[[S], dict[str, Any]]
    summary: Callable[[S], dict[str, Any]]
    notices: Callable[[S, E, S], list[Notice]]
    children: Callable[[S, E, S], list[ChildSpec]] = no_child_specs


def known(value: T | None, what: str) -> T:
    """A value the state's invariants guarantee at this point (the current status implies it)."""
    if value is None:
        raise RuntimeError(f"{what} is missing: the case's state breaks an invariant of its status")
    return value


def check_pinned(s: object, ctx: Context) -> None:
    """A case is decided under the policy pack it pinned when it started, whatever the shell passes
    (docs/rules.md#policy-packs): a command under any other pack or version is refused."""
    pinned = getattr(s, "policy", None)
    if pinned is not None and pinned != ctx.policy.ref:
        raise Conflict(
            f"the case is pinned to policy pack {pinned.id} {pinned.version}; a command decided under "
            f"{ctx.policy.id} {ctx.policy.version} is refused",
            rule="pinned_policy",
            pinned={"id": pinned.id, "version": pinned.version},
        )


class CaseDecider(Generic[S, C, E]):
    """The decider of one case kind, over its state `S`, command union `C` and event union `E`."""

    def __init__(
        self,
        *,
        kind: str,
        state: type[S],
        commands: TypeAdapter[C],
        events: TypeAdapter[E],
        creation: str,
        roles: Mapping[str, frozenset[Role]],
        handlers: Mapping[str, Handler[S, E]],
        reads: Reads[S, E],
    ) -> None:
        self.kind = kind
        self.reads = reads
        self._state_type = state
        self._states: TypeAdapter[S] = TypeAdapter(state)
        self._commands = commands
        self._events = events
        self.creation = creation
        self.roles = roles
        self.handlers = handlers
        self._article = "an" if kind[:1] in "aeiou" else "a"

    # ---- parsing ---------------------------------------------------------------------------------------

    def initial_state(self) -> S:
        return self._state_type()

    def parse_command(self, data: dict[str, Any]) -> C:
        return self._commands.validate_python(data)

    def parse_event(self, data: dict[str, Any] | str) -> E:
        """An event as stored: its JSON object, or that object's JSON text (read straight from the store)."""
        return (
            self._events.validate_json(data) if isinstance(data, str) else self._events.validate_python(data)
        )

    def parse_state(self, data: dict[str, Any]) -> S:
        return self._states.validate_python(data)

    # ---- the fold and the reads (the kind's `Reads`) ---------------------------------------------------

    def evolve(self, s: S, e: E) -> S:
        return self.reads.evolve(s, e)

    def deadlines(self, s: S) -> list[Deadline]:
        return self.reads.deadlines(s)

    def index(self, s: S) -> CaseIndex:
        return self.reads.index(s)

    def view(self, s: S) -> dict[str, Any]:
        return self.reads.view(s)

    def summary(self, s: S) -> dict[str, Any]:
        return self.reads.summary(s)

    def notices(self, before: S, e: E, after: S) -> list[Notice]:
        return self.reads.notices(before, e, after)

    def children(self, before: S, e: E, after: S) -> list[ChildSpec]:
        return self.reads.children(before, e, after)

    # ---- decide ----------------------------------------------------------------------------------------

    def decide(self, s: S, c: C, ctx: Context) -> list[E]:
        handle = self.handlers.get(c.type)
        if handle is None:
            raise InvalidCommand(f"unknown {self.kind} command {c.type!r}", field="type", rule="schema")
        check_pinned(s, ctx)
        if c.type in SYSTEM_COMMAND_TYPES:
            check_system_command(c.type, ctx.actor)
            return self.settle(s, handle(s, c, ctx), ctx)
        creation = c.type == self.creation
        if creation != (s.status == "none"):
            self.refuse(s, c.type)
        self.check_actor(s, c, ctx)
        if creation:  # a case is filed only where its regulators see it
            check_files(ctx.actor, self.scope(s, c)[0], self.kind)
        if not creation and c.type not in self.allowed(s):
            self.refuse(s, c.type)
        return self.settle(s, handle(s, c, ctx), ctx)

    def allowed(self, s: S) -> list[str]:
        """The commands the case's current status accepts (what a refusal offers instead)."""
        raise NotImplementedError

    def scope(self, s: S, c: C) -> tuple[str, str | None]:
        """The region and enterprise a command acts on (the creation command names them itself)."""
        raise NotImplementedError

    def check_actor(self, s: S, c: C, ctx: Context) -> None:
        """Who may send the command: never an auditor, a role of `roles`, within the actor's scope."""
        region, enterprise_id = self.scope(s, c)
        check_acts(ctx.actor, c.type, self.roles[c.type], region, enterprise_id, self.kind)

    def settle(self, s: S, events: list[E], ctx: Context) -> list[E]:
        """The events a decision records: the handler's, plus what they entail (e.g. a tip's closure)."""
        return events

    # ---- refusal ---------------------------------------------------------------------------------------

    def refuse(self, s: S, command: str) -> NoReturn:
        """The command is not for the current status: say what the case accepts instead."""
        conflict = self.conflict(s, command)
        if conflict is not None:
            raise conflict
        allowed = self.allowed(s)
        what = ", ".join(allowed) if allowed else self.nothing(s)
        status = s.status.value
        raise NotAllowedInState(
            f"{self._article} {self.kind} in status {status} does not accept {command}"
            f"{self.why_not(s, command)}; it accepts {what}",
            status=status,
            allowed=allowed,
        )

    def conflict(self, s: S, command: str) -> DomainError | None:
        """A refusal that is a conflict rather than a wrong status (e.g. done already)."""
        return None

    def why_not(self, s: S, command: str) -> str:
        """Why a command of this status is not accepted now, as ` (reason)`, or ``."""
        return ""

    def nothing(self, s: S) -> str:
        """What a refusal says when the case accepts no command."""
        return f"nothing (the case is {s.status.value})"
