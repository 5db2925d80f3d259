"""Duties between cases over HTTP (docs/http-api.md#duties; rules: docs/rules.md#duties): inspection plans
by risk colour and the officers' 包保 duty.

- `PUT /v1/enterprises/{id}/risk-colour`: the enterprise's 红橙黄蓝 colour (registry keepers, as the
  responsible persons); plans or re-plans its next inspection.
- `POST /v1/inspections`: an inspector or supervisor records an inspection (who, when, enterprise, note,
  findings); each finding opens a hazard case (source `inspection`) through the ordinary create path, and
  the hazards are linked to the inspection. `Idempotency-Key` makes a retry return the first answer.
- `GET /v1/inspection-plans`, `GET /v1/inspection-plans/{enterprise_id}`: deadlines, overdue marks, the
  inspections and the plan's event stream with its hash-chain check.
- `PUT|GET /v1/officers/{officer_id}/enterprises`: the officer's 包保 enterprises (supervisors, operators).
- `GET /v1/officers/{officer_id}/progress`, `GET /v1/duty-progress`: the month against the minimums, for
  the officer and for the supervisors of their region.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from domain.access import (
    REGION_CONTACT_WRITERS,
    REPORT_READERS,
    check_covers,
    check_officer,
    check_read,
    check_registry_write,
    check_role,
)
from domain.actors import Actor, Role
from domain.common import REGION, Moment
from domain.contacts import Person
from domain.duties import officers
from domain.duties.inspections import Colour
from domain.errors import Forbidden, IdempotencyMismatch, InvalidCommand
from domain.hazard.commands import Category
from starter.api.app_deps import REGION_Q, Svc, Who
from starter.api.registry_routes import check_webhooks
from starter.service import NotFound
from store import duties
from store.events import read_stream, verify_chain
from store.registry import bind_region, list_contacts, registered_region, replace_contacts
from store.sealing import KeyRing

EnterpriseId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
OfficerId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")]
Month = Annotated[
    str | None, Query(pattern=officers.MONTH_PATTERN, description="YYYY-MM; default this month")
]
INSPECTORS = frozenset({Role.inspector, Role.supervisor})


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RiskColourBody(_Body):
    region: str = Field(pattern=REGION, description="where the enterprise is (binds a first registration)")
    colour: Colour


class Finding(_Body):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    category: Category
    location: str = Field(default="", max_length=500)


class InspectionBody(_Body):
    enterprise_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    inspected_at: Moment | None = Field(default=None, description="when; default now, never in the future")
    note: str = Field(default="", max_length=4000)
    findings: list[Finding] = Field(default_factory=list, max_length=50)


class OfficerContact(Person):
    """The officer's own channel (registry party kind `officer`); the role is always `officer`."""

    role: str = Field(default="officer", pattern="^officer$")


class AssignmentsBody(_Body):
    region: str = Field(pattern=REGION, description="the officer's region: whose supervisors see them")
    enterprise_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(max_length=500)
    contact: OfficerContact | None = Field(
        default=None, description="the officer's own channel (role `officer`) for their duty notices"
    )


def _inspection_id(who: Actor, key: str | None) -> str:
    if key:
        return "INS-" + hashlib.sha256(f"inspection\x00{who.id}\x00{key}".encode()).hexdigest()[:20].upper()
    return "INS-" + uuid.uuid4().hex[:20].upper()


def _check_progress_reader(who: Actor, officer_id: str, region: str | None) -> None:
    """The officer themself, or a supervisor, operator or auditor covering the officer's region."""
    if who.id == officer_id and who.role in INSPECTORS:
        return
    check_role(who, {Role.supervisor, Role.operator, Role.auditor}, "an officer's duty progress")
    if region is None:
        raise NotFound("officer", officer_id)
    check_covers(who, region)


def install(app: FastAPI) -> None:
    ring = KeyRing(app.state.settings.resolved_seal_key())

    @app.put("/v1/enterprises/{enterprise_id}/risk-colour", tags=["duties"])
    async def put_colour(
        enterprise_id: EnterpriseId, body: RiskColourBody, who: Who, request: Request
    ) -> dict[str, Any]:
        st = request.app.state
        async with st.engine.begin() as conn:
            registered = await registered_region(conn, enterprise_id, lock=True)
            check_registry_write(who, enterprise_id, registered, body.region)
            await bind_region(conn, enterprise_id, registered, body.region)
            plan = await duties.set_colour(
                conn, st.policy, enterprise_id, body.region, body.colour, who, datetime.now(UTC)
            )
        return _plan(plan)

    @app.post("/v1/inspections", tags=["duties"], status_code=201)
    async def record(
        body: InspectionBody,
        who: Who,
        svc: Svc,
        request: Request,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> dict[str, Any]:
        check_role(who, INSPECTORS, "recording an inspection")
        now = datetime.now(UTC)
        at = body.inspected_at or now
        if at > now:
            raise InvalidCommand("inspected_at is in the future", field="inspected_at", rule="not_future")
        async with svc.engine.connect() as conn:
            region = await registered_region(conn, body.enterprise_id)
        if region is None:
            raise NotFound("enterprise", body.enterprise_id)
        check_covers(who, region)
        inspection_id = _inspection_id(who, idempotency_key)
        async with svc.engine.connect() as conn:
            earlier = await duties.inspection(conn, inspection_id)
        if earlier is not None:
            if earlier["enterprise_id"] != body.enterprise_id or len(earlier["hazard_ids"]) != len(
                body.findings
            ):
                raise IdempotencyMismatch("this Idempotency-Key recorded another inspection")
            response.status_code = 200
            return _inspection(earlier)
        reports = [
            {
                "type": "report",
                "title": f.title,
                "description": f.description,
                "category": f.category.value,
                "location": f.location,
                "enterprise_id": body.enterprise_id,
                "region": region,
                "source": "inspection",
            }
            for f in body.findings
        ]
        for i, r in enumerate(reports):  # every finding valid before any hazard is opened
            try:
                svc.parse_command("hazard", r, who, creation=True)
            except InvalidCommand as e:
                raise InvalidCommand(e.detail, field=f"findings.{i}", rule="schema") from None
        hazard_ids = []
        for i, r in enumerate(reports):
            result, _ = await svc.create("hazard", r, who, f"{inspection_id}:finding:{i}")
            hazard_ids.append(str(result.case["id"]))
        async with svc.engine.begin() as conn:
            row, created = await duties.record_inspection(
                conn,
                request.app.state.policy,
                inspection_id=inspection_id,
                enterprise_id=body.enterprise_id,
                region=region,
                actor=who,
                inspected_at=at,
                note=body.note,
                hazard_ids=hazard_ids,
                now=now,
            )
            plan = await duties.plan_of(conn, body.enterprise_id)
        if not created:
            response.status_code = 200
        return _inspection(row) | {"plan": _plan(plan) if plan is not None else None}

    @app.get("/v1/inspection-plans", tags=["duties"])
    async def list_plans(
        who: Who,
        request: Request,
        region: Annotated[str | None, REGION_Q] = None,
        overdue: bool | None = None,
    ) -> dict[str, Any]:
        check_role(who, REPORT_READERS, "inspection plans")
        scope = region or who.region
        check_covers(who, scope)
        async with request.app.state.engine.connect() as conn:
            return {"items": [_plan(p) for p in await duties.list_plans(conn, scope, overdue=overdue)]}

    @app.get("/v1/inspection-plans/{enterprise_id}", tags=["duties"])
    async def get_plan(enterprise_id: EnterpriseId, who: Who, request: Request) -> dict[str, Any]:
        async with request.app.state.engine.connect() as conn:
            region = await registered_region(conn, enterprise_id)
            if region is None:
                raise NotFound("enterprise", enterprise_id)
            check_read(who, region, enterprise_id)
            plan = await duties.plan_of(conn, enterprise_id)
            done = await duties.inspections_of(conn, enterprise_id)
            stream = await read_stream(conn, duties.plan_stream(enterprise_id))
        return {
            "enterprise_id": enterprise_id,
            "region": region,
            "plan": _plan(plan) if plan is not None else None,
            "inspections": [_inspection(i) for i in done],
            "events": [e.model_dump(mode="json", exclude={"prev_hash"}) for e in stream],
            "chain_breaks": [b.model_dump() for b in verify_chain(stream)],
        }

    @app.put("/v1/officers/{officer_id}/enterprises", tags=["duties"])
    async def put_assignments(
        officer_id: OfficerId, body: AssignmentsBody, who: Who, request: Request
    ) -> dict[str, Any]:
        check_officer(who, body.region, REGION_CONTACT_WRITERS)
        if body.contact is not None:
            await check_webhooks(
                [body.contact], allow_private=request.app.state.settings.webhook_allow_private
            )
        ids = list(dict.fromkeys(body.enterprise_ids))
        async with request.app.state.engine.begin() as conn:
            known = await duties.registered_regions(conn, ids)
            for i, e in enumerate(body.enterprise_ids):
                where = known.get(e)
                if where is None:
                    raise InvalidCommand(
                        f"enterprise {e} is not in the registry", field=f"enterprise_ids.{i}", rule="required"
                    )
                if not Actor(id="x", role=Role.supervisor, region=body.region).covers(where):
                    raise Forbidden(
                        f"enterprise {e} is in {where}, outside the officer's region {body.region}",
                        rule="jurisdiction",
                        field=f"enterprise_ids.{i}",
                    )
            await duties.assign(conn, officer_id, body.region, ids, datetime.now(UTC))
            issued = {}
            if body.contact is not None:  # a webhook's new signing secret is shown in this answer only
                issued = await replace_contacts(conn, ring, "officer", officer_id, [body.contact])
            return {
                "officer_id": officer_id,
                "region": body.region,
                "enterprises": await duties.assignments_of(conn, officer_id),
                "contact": await list_contacts(conn, "officer", officer_id, issued),
            }

    @app.get("/v1/officers/{officer_id}/enterprises", tags=["duties"])
    async def get_assignments(officer_id: OfficerId, who: Who, request: Request) -> dict[str, Any]:
        async with request.app.state.engine.connect() as conn:
            listed = await duties.assignments_of(conn, officer_id)
        _check_progress_reader(who, officer_id, listed[0]["region"] if listed else None)
        return {"officer_id": officer_id, "enterprises": listed}

    @app.get("/v1/officers/{officer_id}/progress", tags=["duties"])
    async def officer_progress(
        officer_id: OfficerId, who: Who, request: Request, month: Month = None
    ) -> dict[str, Any]:
        st = request.app.state
        now = datetime.now(UTC)
        m = month or officers.month_of(now)
        async with st.engine.connect() as conn:
            rows = await duties.month_progress(conn, st.policy, m, now, officer_id=officer_id)
            noticed = await duties.behind_noticed(conn, officer_id, m)
        _check_progress_reader(who, officer_id, rows[0][0] if rows else None)
        if not rows:
            raise NotFound("officer", officer_id)
        region, p = rows[0]
        return p.model_dump() | {"region": region, "behind_noticed": noticed}

    @app.get("/v1/duty-progress", tags=["duties"])
    async def duty_progress(
        who: Who, request: Request, region: Annotated[str | None, REGION_Q] = None, month: Month = None
    ) -> dict[str, Any]:
        check_role(who, {Role.supervisor, Role.operator, Role.auditor}, "the officers' duty progress")
        scope = region or who.region
        check_covers(who, scope)
        st = request.app.state
        now = datetime.now(UTC)
        m = month or officers.month_of(now)
        async with st.engine.connect() as conn:
            rows = await duties.month_progress(conn, st.policy, m, now, scope=scope)
        items = [p.model_dump() | {"region": r} for r, p in rows]
        return {"month": m, "region": scope, "behind": sum(1 for i in items if i["behind"]), "items": items}


def _plan(p: Any) -> dict[str, Any]:
    """A plan as shown: its columns but the bookkeeping time."""
    return {k: v for k, v in dict(p).items() if k != "updated_at"}


def _inspection(i: Any) -> dict[str, Any]:
    return dict(i)
