"""A small real decider ("ticket") for testing the shells independently of the domain deciders.

open → (note…) → closed; an `expiry` deadline closes it as expired, with a `reminder` before (a ticket
titled `quiet` records nothing for its reminder: a deadline whose firing yields no events);
`spawn` starts a child ticket, and a child's closure is recorded on the parent.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from domain.actors import Role
from domain.decider import (
    CaseIndex,
    ChildCaseUpdated,
    ChildSpec,
    Context,
    Deadline,
    DeadlineElapsed,
    KindSpec,
    Notice,
)
from domain.errors import Forbidden, InvalidCommand, NotAllowedInState
from domain.registry import register

QUIET = "quiet"
"""A ticket with this title records nothing when its reminder falls due (the reminder stays owed)."""


class Open(BaseModel):
    type: Literal["open"] = "open"
    region: str
    title: str = Field(min_length=1)
    ttl_seconds: int = Field(default=3600, gt=0)


class Note(BaseModel):
    type: Literal["note"] = "note"
    text: str = Field(min_length=1)


class Close(BaseModel):
    type: Literal["close"] = "close"
    reason: str


class Spawn(BaseModel):
    type: Literal["spawn"] = "spawn"
    title: str


Command = Annotated[
    Open | Note | Close | Spawn | DeadlineElapsed | ChildCaseUpdated, Field(discriminator="type")
]


class Opened(BaseModel):
    type: Literal["opened"] = "opened"
    id: str
    region: str
    title: str
    at: datetime
    expires_at: datetime
    by: str


class Noted(BaseModel):
    type: Literal["noted"] = "noted"
    text: str
    by: str


class Reminded(BaseModel):
    type: Literal["reminded"] = "reminded"
    due_at: datetime


class Closed(BaseModel):
    type: Literal["closed"] = "closed"
    reason: str
    at: datetime


class Spawned(BaseModel):
    type: Literal["spawned"] = "spawned"
    child_id: str
    title: str


class ChildClosed(BaseModel):
    type: Literal["child_closed"] = "child_closed"
    child_id: str


Event = Annotated[Opened | Noted | Reminded | Closed | Spawned | ChildClosed, Field(discriminator="type")]


class TicketState(BaseModel):
    id: str = ""
    status: str = "none"
    region: str = "000000"
    title: str = ""
    notes: list[str] = Field(default_factory=list)
    expires_at: datetime | None = None
    reminded: bool = False
    created_at: datetime | None = None
    children: dict[str, str] = Field(default_factory=dict)


_commands: TypeAdapter[Any] = TypeAdapter(Command)
_events: TypeAdapter[Any] = TypeAdapter(Event)


CALLS: Counter[tuple[str, str]] = Counter()
"""How often a note (by its text) was parsed and decided, in this process (the workers of the tests)."""


class TicketDecider:
    kind = "ticket"

    def initial_state(self) -> TicketState:
        return TicketState()

    def parse_command(self, data: dict[str, Any]) -> Any:
        command = _commands.validate_python(data)
        if isinstance(command, Note):
            CALLS[("parse", command.text)] += 1
        return command

    def parse_event(self, data: dict[str, Any] | str) -> Any:
        return _events.validate_json(data) if isinstance(data, str) else _events.validate_python(data)

    def parse_state(self, data: dict[str, Any]) -> TicketState:
        return TicketState.model_validate(data)

    def decide(self, s: TicketState, c: Any, ctx: Context) -> list[Any]:
        if isinstance(c, Note):
            CALLS[("decide", c.text)] += 1
        if isinstance(c, DeadlineElapsed):
            owed = {(d.key, d.due_at) for d in self.deadlines(s)}
            if (c.key, c.due_at) not in owed:
                return []
            if c.key == "reminder":
                return [] if s.title == QUIET else [Reminded(due_at=c.due_at)]
            return [Closed(reason="expired", at=ctx.now)]
        if isinstance(c, ChildCaseUpdated):
            if c.summary.get("status") == "closed" and s.children.get(c.child_id) != "closed":
                return [ChildClosed(child_id=c.child_id)]
            return []
        if ctx.actor.role == Role.auditor:
            raise Forbidden("auditors change nothing", rule="auditor_read_only")
        if isinstance(c, Open):
            if s.status != "none":
                raise NotAllowedInState("already open", status=s.status, allowed=self.allowed(s))
            if not ctx.actor.covers(c.region):
                raise Forbidden(f"region {c.region} is outside {ctx.actor.region}", rule="jurisdiction")
            return [
                Opened(
                    id=ctx.case_id,
                    region=c.region,
                    title=c.title,
                    at=ctx.now,
                    by=ctx.actor.id,
                    expires_at=ctx.now + timedelta(seconds=c.ttl_seconds),
                )
            ]
        if s.status != "open":
            raise NotAllowedInState(
                f"a {s.status} ticket accepts nothing", status=s.status, allowed=self.allowed(s)
            )
        if not ctx.actor.covers(s.region):
            raise Forbidden(f"region {s.region} is outside {ctx.actor.region}", rule="jurisdiction")
        if isinstance(c, Note):
            if c.text == "forbidden":
                raise InvalidCommand("that word is not allowed", field="text", rule="no_forbidden_words")
            return [Noted(text=c.text, by=ctx.actor.id)]
        if isinstance(c, Spawn):
            return [Spawned(child_id=f"{s.id}-c{len(s.children) + 1}", title=c.title)]
        if isinstance(c, Close):
            return [Closed(reason=c.reason, at=ctx.now)]
        raise InvalidCommand("unknown command")  # pragma: no cover

    def allowed(self, s: TicketState) -> list[str]:
        return ["open"] if s.status == "none" else (["note", "spawn", "close"] if s.status == "open" else [])

    def evolve(self, s: TicketState, e: Any) -> TicketState:
        if isinstance(e, Opened):
            return s.model_copy(
                update={
                    "id": e.id,
                    "status": "open",
                    "region": e.region,
                    "title": e.title,
                    "expires_at": e.expires_at,
                    "created_at": e.at,
                }
            )
        if isinstance(e, Noted):
            return s.model_copy(update={"notes": [*s.notes, e.text]})
        if isinstance(e, Reminded):
            return s.model_copy(update={"reminded": True})
        if isinstance(e, Closed):
            return s.model_copy(update={"status": "closed"})
        if isinstance(e, Spawned):
            return s.model_copy(update={"children": {**s.children, e.child_id: "open"}})
        if isinstance(e, ChildClosed):
            return s.model_copy(update={"children": {**s.children, e.child_id: "closed"}})
        return s

    def deadlines(self, s: TicketState) -> list[Deadline]:
        if s.status != "open" or s.expires_at is None:
            return []
        out = [Deadline(key="expiry", kind="expiry", due_at=s.expires_at)]
        if not s.reminded:
            out.append(
                Deadline(
                    key="reminder",
                    kind="reminder",
                    due_at=s.expires_at
                    - timedelta(seconds=(s.expires_at - (s.created_at or s.expires_at)).total_seconds() / 2),
                )
            )
        return out

    def index(self, s: TicketState) -> CaseIndex:
        owed = self.deadlines(s)
        return CaseIndex(
            status=s.status,
            region=s.region,
            terminal=s.status == "closed",
            next_due_at=min((d.due_at for d in owed), default=None),
        )

    def view(self, s: TicketState) -> dict[str, Any]:
        return {
            **s.model_dump(mode="json"),
            "deadlines": [d.model_dump(mode="json") for d in self.deadlines(s)],
        }

    def summary(self, s: TicketState) -> dict[str, Any]:
        return {"status": s.status, "terminal": s.status == "closed"}

    def notices(self, before: TicketState, e: Any, after: TicketState) -> list[Notice]:
        if isinstance(e, Reminded):
            return [
                Notice(
                    kind="reminder",
                    recipient_role="supervisor",
                    recipient_party=after.region,
                    due_at=after.expires_at,
                    subject=f"ticket {after.id} expires soon",
                )
            ]
        return []

    def children(self, before: TicketState, e: Any, after: TicketState) -> list[ChildSpec]:
        if isinstance(e, Spawned):
            return [
                ChildSpec(
                    kind="ticket",
                    case_id=e.child_id,
                    ref=e.child_id,
                    command={"type": "open", "region": after.region, "title": e.title},
                )
            ]
        return []


TICKET = TicketDecider()
TICKET_KIND = KindSpec(
    name="ticket",
    label_zh="ticket",
    plural="tickets",
    id_prefix="TK",
    workflow_type="TicketWorkflow",
    creation="open",
    decider=TICKET,  # type: ignore[arg-type]
    commands=Command,
    events=Event,
)
register(TICKET_KIND)
