"""The service facade: what the HTTP API and the CLI do, over Temporal (writes) and PostgreSQL (reads).

Rules live in the deciders: this layer parses, authenticates (the caller passes the Actor), routes,
and translates failures into domain errors.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.access import RECORD_READERS, check_read, check_read_record, check_reveal, check_role, list_scope
from domain.actors import Actor, Role
from domain.decider import Context, KindSpec, check_system_command
from domain.enterprise import record_id
from domain.errors import (
    DomainError,
    IdempotencyMismatch,
    InvalidCommand,
    NotAllowedInState,
    from_validation,
    rebuild_error,
)
from domain.policy import PolicyPack
from domain.registry import get_decider, get_spec, register, specs
from store.daily_reports import missed_mark
from store.events import read_command, read_stream, redact
from store.projector import projection_values
from store.queries import ListFilters, get_case, get_case_head, list_cases, list_cases_as_of, stats
from store.sealed import reveal_identity, seal_identity
from store.sealing import KeyRing
from workflows.case import CaseWorkflow
from workflows.contracts import (
    FINGERPRINT_SEP,
    CaseInput,
    CommandRequest,
    CommandResult,
    EventOut,
    command_id_for,
    key_of,
    stored_key,
)

# case kinds the API serves, from their descriptions (domain.registry): URL plural → kind, and per kind its id
# prefix, workflow type, creation command, and the creation body's renamed fields (one colliding with `type`)
PLURAL: dict[str, str] = {}
PREFIX: dict[str, str] = {}
WORKFLOW_TYPE: dict[str, str] = {}
CREATE_TYPE: dict[str, str] = {}
CREATE_RENAME: dict[str, Mapping[str, str]] = {}


def serve_kind(spec: KindSpec) -> None:
    PLURAL[spec.plural] = spec.name
    PREFIX[spec.name] = spec.id_prefix
    WORKFLOW_TYPE[spec.name] = spec.workflow_type
    CREATE_TYPE[spec.name] = spec.creation
    CREATE_RENAME[spec.name] = spec.create_rename


for _spec in specs():
    serve_kind(_spec)


def register_kind(plural: str, kind: str, prefix: str, workflow_type: str, create_type: str) -> None:
    """Serve another registered case kind (tests use a small `ticket` kind to exercise the shells)."""
    spec = replace(
        get_spec(kind), plural=plural, id_prefix=prefix, workflow_type=workflow_type, creation=create_type
    )
    register(spec)
    serve_kind(spec)


def reads(kind: str) -> Callable[[Actor, str, str | None], None]:
    """Who may read a case of `kind`: an enterprise record has readers of its own."""
    return check_read_record if kind == "enterprise" else check_read


class NotFound(Exception):
    def __init__(self, kind: str, case_id: str) -> None:
        super().__init__(f"no {kind} with id {case_id}")
        self.kind = kind
        self.case_id = case_id


class Unavailable(Exception):
    """A dependency (Temporal or PostgreSQL) is down: 503, retry later."""


def _from_update_failure(err: WorkflowUpdateFailedError | WorkflowFailureError) -> Exception:
    cause = err.cause
    if isinstance(cause, ApplicationError):
        details = cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        extra = {k: v for k, v in details.items() if k not in ("code", "detail")}
        return rebuild_error(cause.type or "domain_error", details.get("detail", cause.message), extra)
    return err


async def _refused_creation(handle: WorkflowHandle[Any, Any]) -> Exception | None:
    """Why a closed case workflow refused its creation command (it failed with the refusal); None when
    it did not fail that way."""
    try:
        await handle.result()
    except WorkflowFailureError as e:
        refusal = _from_update_failure(e)
        return refusal if isinstance(refusal, DomainError) else None
    return None


def case_id_for(kind: str, actor: Actor, idempotency_key: str | None) -> str:
    if idempotency_key:
        digest = hashlib.sha256(f"{kind}\x00{actor.id}\x00{idempotency_key}".encode()).hexdigest()
        return f"{PREFIX[kind]}-{digest[:20].upper()}"
    return f"{PREFIX[kind]}-{uuid.uuid4().hex[:20].upper()}"


def _creation_body(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    renames = CREATE_RENAME.get(kind, {})
    return {**{renames.get(k, k): v for k, v in body.items()}, "type": CREATE_TYPE[kind]}


def workflow_summary(kind: str, case_id: str, command_body: Mapping[str, Any]) -> tuple[str, str]:
    """The Temporal Web UI's one-line summary and details of a case's workflow (kind, title, region,
    enterprise). They are payloads, encrypted like the rest; a tip's content is never in them."""
    spec = get_spec(kind)
    title = "" if kind == "tip" else str(command_body.get("title") or command_body.get("incident_type") or "")
    region = str(command_body.get("region") or "")
    enterprise = str(command_body.get("enterprise_id") or "")
    summary = " · ".join(x for x in (spec.label_zh, title[:80], region, enterprise) if x)
    details = "\n".join(
        f"**{k}**: {v}"
        for k, v in (
            ("案件 case", case_id),
            ("类别 kind", f"{spec.label_zh} {kind}"),
            ("标题 title", title),
            ("区域 region", region),
            ("企业 enterprise", enterprise),
        )
        if v
    )
    return summary, details


def _request_sha(command_body: dict[str, Any], also_hashed: str) -> str:
    doc = json.dumps(command_body, sort_keys=True, default=str).encode()
    return hashlib.sha256(doc + also_hashed.encode()).hexdigest()


class CaseService:
    def __init__(self, client: Client, engine: AsyncEngine, task_queue: str, policy: PolicyPack) -> None:
        self.client = client
        self.engine = engine
        self.task_queue = task_queue
        self.policy = policy

    # ---- writes ---------------------------------------------------------------------------------------

    def parse_command(self, kind: str, body: dict[str, Any], actor: Actor, *, creation: bool) -> Any:
        """The command the body says, parsed once on this side (the workflow parses it once on its own)."""
        decider = get_decider(kind)
        ctype = body.get("type")
        if not isinstance(ctype, str):
            raise InvalidCommand(
                f"type must be a command name (a string), not {type(ctype).__name__}",
                field="type",
                rule="schema",
            )
        check_system_command(ctype, actor)
        if not creation and ctype == CREATE_TYPE[kind]:
            raise InvalidCommand(f"{ctype} creates a case: POST /v1/{kind}s", field="type", rule="creation")
        try:
            return decider.parse_command(body)
        except ValidationError as e:
            raise from_validation(e, ctype) from None

    async def create(
        self,
        kind: str,
        body: dict[str, Any],
        actor: Actor,
        idempotency_key: str | None = None,
        *,
        case_id: str | None = None,
        also_hashed: str = "",
    ) -> tuple[CommandResult, bool]:
        """Start a case. Returns (result, created) — created is False when the idempotency key was seen.

        `also_hashed`: what else the request carried outside the command (a digest), so that a retry that
        differs there is refused as well."""
        decider = get_decider(kind)
        command_body = _creation_body(kind, body)
        command = self.parse_command(kind, command_body, actor, creation=True)
        case_id = case_id or case_id_for(kind, actor, idempotency_key)
        # the same rule the workflow will apply, checked before anything is started
        decider.decide(
            decider.initial_state(),
            command,
            Context(actor=actor, now=datetime.now(UTC), policy=self.policy, case_id=case_id),
        )
        created = True
        summary, details = workflow_summary(kind, case_id, command_body)
        try:
            handle = await self.client.start_workflow(
                WORKFLOW_TYPE[kind],
                CaseInput(
                    case_id=case_id,
                    kind=kind,
                    policy=self.policy,
                    command=command_body,
                    actor=actor,
                    command_id=f"create:{stored_key(idempotency_key)}" if idempotency_key else "create",
                ),
                id=case_id,
                task_queue=self.task_queue,
                memo={"request_sha256": _request_sha(command_body, also_hashed)},
                static_summary=summary,
                static_details=details,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )
        except WorkflowAlreadyStartedError:
            handle = self.client.get_workflow_handle(case_id)
            await self.refuse_reused_key(kind, case_id, body, also_hashed)
            created = False
        except RPCError as e:
            raise Unavailable(f"Temporal: {e.message}") from e
        try:
            result = await handle.execute_update(CaseWorkflow.created)
        except WorkflowUpdateFailedError as e:  # the workflow refused the creation command
            raise _from_update_failure(e) from None
        except RPCError as e:
            if e.status != RPCStatusCode.NOT_FOUND:
                raise
            # closed before answering: it refused the creation, or (a repeated key) an old case is closed
            refusal = await _refused_creation(handle)
            if refusal is not None:
                raise refusal from None
            if not created:
                row = await self._row(kind, case_id)
                return CommandResult(
                    case={**row.view, "version": row.version}, version=row.version, events=[]
                ), False
            raise
        return result, created

    async def refuse_reused_key(
        self, kind: str, case_id: str, body: dict[str, Any], also_hashed: str = ""
    ) -> bool:
        """Whether the case `case_id` was started; 409 when another request (body) started it."""
        try:
            memo = await (await self.client.get_workflow_handle(case_id).describe()).memo()
        except RPCError as e:
            if e.status == RPCStatusCode.NOT_FOUND:
                return False
            raise Unavailable(f"Temporal: {e.message}") from e
        if memo.get("request_sha256") != _request_sha(_creation_body(kind, body), also_hashed):
            raise IdempotencyMismatch(
                "this Idempotency-Key was already used for another request: send a new key for a new case",
                field="Idempotency-Key",
                rule="idempotency",
                case_id=case_id,
            )
        return True

    async def command(
        self,
        kind: str,
        case_id: str,
        body: dict[str, Any],
        actor: Actor,
        idempotency_key: str | None = None,
    ) -> CommandResult:
        self.parse_command(kind, body, actor, creation=False)  # 422 before any round trip
        row = await self._row(kind, case_id, head=True)
        check_read(actor, row.region, row.enterprise_id)
        command_id = command_id_for(idempotency_key, actor.id, body) if idempotency_key else None
        # a repeated key answers what it first answered, whatever the case's state (also once it is closed)
        earlier = await self._earlier_answer(kind, case_id, command_id, actor) if command_id else None
        if earlier is not None:
            return earlier
        if row.terminal:
            raise NotAllowedInState(
                f"this {kind} is {row.status}: it accepts no more commands", status=row.status, allowed=[]
            )
        handle = self.client.get_workflow_handle(case_id)
        try:
            return await handle.execute_update(
                CaseWorkflow.execute,
                CommandRequest(command=body, actor=actor, command_id=command_id),
                id=f"cmd-{command_id}" if command_id else None,
            )
        except WorkflowUpdateFailedError as e:
            raise _from_update_failure(e) from None
        except RPCError as e:
            if e.status == RPCStatusCode.NOT_FOUND:  # completed between our read and the update
                earlier = await self._earlier_answer(kind, case_id, command_id, actor) if command_id else None
                if earlier is not None:
                    return earlier
                row = await self._row(kind, case_id)
                raise NotAllowedInState(
                    f"this {kind} is {row.status}: it accepts no more commands", status=row.status, allowed=[]
                ) from None
            raise Unavailable(f"Temporal: {e.message}") from e

    async def _earlier_answer(
        self, kind: str, case_id: str, command_id: str, actor: Actor
    ) -> CommandResult | None:
        """The answer a command with this key got, rebuilt from the event store (the events it recorded
        and the case as they left it); None when the key is new here. The key used for another body or
        by another user is refused."""
        key = key_of(command_id)
        async with self.engine.connect() as conn:
            recorded = [
                e
                for e in await read_command(conn, case_id, key, FINGERPRINT_SEP)
                if key_of(e.command_id or "") == key
            ]
            if not recorded:
                return None
            other = {str(e.actor.get("id")) for e in recorded} - {actor.id}
            if other or any(e.command_id not in (command_id, key) for e in recorded):
                raise IdempotencyMismatch(
                    "this Idempotency-Key was already used "
                    + ("by another user" if other else "with a different body")
                    + ": send a new key for a new command",
                    field="Idempotency-Key",
                    rule="idempotency",
                    case_id=case_id,
                )
            stream = [e for e in await read_stream(conn, case_id) if e.version <= recorded[-1].version]
        values = projection_values(kind, case_id, stream)
        return CommandResult(
            case={**values["view"], "version": values["version"]},
            version=values["version"],
            events=[EventOut(version=e.version, type=e.type, data=e.data) for e in recorded],
        )

    async def enterprise_record(self, enterprise_id: str, actor: Actor) -> dict[str, Any]:
        """The record of one enterprise (case kind `enterprise`), for those who may read it."""
        check_role(actor, RECORD_READERS, "an enterprise's record")
        if actor.role == Role.enterprise and actor.enterprise_id != enterprise_id:
            check_read(actor, "000000", enterprise_id)  # refuses: another enterprise's record
        view = await self.view("enterprise", record_id(enterprise_id), actor)
        async with self.engine.connect() as conn:  # the daily reports' missed mark (seed 002)
            return view | await missed_mark(conn, enterprise_id)

    # ---- reads --------------------------------------------------------------------------------------------

    async def _row(self, kind: str, case_id: str, *, head: bool = False) -> Any:
        async with self.engine.connect() as conn:
            row = await (get_case_head if head else get_case)(conn, case_id)
        if row is None or row.kind != kind:
            raise NotFound(kind, case_id)
        return row

    async def view(
        self,
        kind: str,
        case_id: str,
        actor: Actor,
        *,
        consistent: bool = False,
        as_of: datetime | None = None,
    ) -> dict[str, Any]:
        row = await self._row(kind, case_id)
        reads(kind)(actor, row.region, row.enterprise_id)
        if as_of is not None:
            async with self.engine.connect() as conn:
                records = await read_stream(conn, case_id, until=as_of)
            if not records:
                raise NotFound(kind, case_id)
            values = projection_values(kind, case_id, records)
            return {**values["view"], "version": values["version"], "as_of": as_of.isoformat()}
        if consistent and not row.terminal:
            try:
                return dict(await self.client.get_workflow_handle(case_id).query("state"))
            except RPCError:
                pass  # closed meanwhile: the projection is final
        return {**row.view, "version": row.version}

    async def events(self, kind: str, case_id: str, actor: Actor) -> list[dict[str, Any]]:
        row = await self._row(kind, case_id)
        reads(kind)(actor, row.region, row.enterprise_id)
        async with self.engine.connect() as conn:
            stream = await read_stream(conn, case_id)
        return [
            {
                "version": e.version,
                "type": e.type,
                "data": redact(e.data),
                "actor": e.actor,
                "occurred_at": e.occurred_at,
                "policy": {"id": e.policy_id, "version": e.policy_version},
                "command_id": e.command_id,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in stream
        ]

    async def list_cases(
        self,
        kind: str,
        actor: Actor,
        *,
        region: str | None = None,
        status: str | None = None,
        level: str | None = None,
        enterprise_id: str | None = None,
        overdue: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
        as_of: datetime | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        if kind == "enterprise":
            check_role(actor, RECORD_READERS, "an enterprise's record")
        scope_region, scope_enterprise = list_scope(actor, region, enterprise_id)
        f = ListFilters(
            kind=kind,
            region=scope_region,
            status=status,
            level=level,
            enterprise_id=scope_enterprise,
            overdue=overdue,
        )
        if as_of is not None:  # folded from the event store, as the cases were at that moment
            async with self.engine.connect() as conn:
                folded, nxt = await list_cases_as_of(conn, f, as_of, limit=limit, cursor=cursor)
            return [{**v["view"], "version": v["version"], "as_of": as_of.isoformat()} for v in folded], nxt
        async with self.engine.connect() as conn:
            rows, nxt = await list_cases(conn, f, limit=limit, cursor=cursor)
        return [{**r.view, "version": r.version} for r in rows], nxt

    async def stats(
        self, kind: str, actor: Actor, group_by: list[str], *, region: str | None = None
    ) -> list[dict[str, Any]]:
        scope_region, scope_enterprise = list_scope(actor, region, None)
        f = ListFilters(kind=kind, region=scope_region, enterprise_id=scope_enterprise)
        async with self.engine.connect() as conn:
            return await stats(conn, f, group_by)

    # ---- tips' sealed reporters ------------------------------------------------------------------------

    async def find(self, kind: str, case_id: str) -> Any | None:
        """The case's projection row, or None (no such case of this kind): for answers that must not say
        which."""
        async with self.engine.connect() as conn:
            row = await get_case(conn, case_id)
        return row if row is not None and row.kind == kind else None

    async def seal_reporter(self, ring: KeyRing, case_id: str, identity: dict[str, Any]) -> None:
        """Seal a tip's reporter (outside the workflow; a repeated seal keeps the first)."""
        async with self.engine.begin() as conn:
            await seal_identity(conn, ring, case_id, identity)

    async def reveal_reporter(
        self, ring: KeyRing, case_id: str, actor: Actor, reason: str
    ) -> dict[str, Any] | None:
        """The sealed reporter of a tip (None: anonymous), for the officers who may see it; logged."""
        check_reveal(actor)
        await self.view("tip", case_id, actor)  # 404 / jurisdiction
        async with self.engine.begin() as conn:
            return await reveal_identity(conn, ring, case_id, actor.model_dump(mode="json"), reason)
