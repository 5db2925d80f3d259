"""The responsibility registry and the delivery log (DOMAIN.md §4).

- `GET|PUT /v1/enterprises/{id}/responsible`: the enterprise's 三个责任人 (administrative, supervisory,
  enterprise) and 三个层级负责人 (management, technical, operations) with their channels. The enterprise
  itself, or a supervisor / operator / inspector whose jurisdiction covers the enterprise's `region`.
- `GET|PUT /v1/regions/{code}/contacts`: who receives a region's notices and escalations, by role.
  Supervisors and operators covering the region write; officers and auditors covering it read.
- `GET /v1/{hazards|incidents|tips}/{id}/notifications`: what was sent about a case, to whom, through
  which channel, when, and the outcome — for whoever may read the case.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from activities.delivery import ENTERPRISE_ROLES, REGION_ROLES
from domain.actors import Actor, Role
from domain.errors import Forbidden
from starter.api.app_deps import Svc, Who
from starter.service import PLURAL
from store.schema import contacts, deliveries, notifications

CaseId = Annotated[str, Path(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
EnterpriseId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
RegionCode = Annotated[str, Path(pattern=r"^\d{6}$")]


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    department: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    webhook_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        if not self.email and not self.webhook_url:
            raise ValueError("give an email or a webhook_url: a contact nobody can reach receives nothing")
        return self


class EnterpriseResponsible(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str = Field(pattern=r"^\d{6}$", description="where the enterprise is (jurisdiction check)")
    persons: list[Person] = Field(max_length=50)

    @model_validator(mode="after")
    def _roles(self) -> EnterpriseResponsible:
        bad = sorted({p.role for p in self.persons} - set(ENTERPRISE_ROLES))
        if bad:
            raise ValueError(f"unknown roles {bad}; allowed: {', '.join(ENTERPRISE_ROLES)}")
        return self


class RegionContacts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    persons: list[Person] = Field(max_length=200)

    @model_validator(mode="after")
    def _roles(self) -> RegionContacts:
        bad = sorted({p.role for p in self.persons} - set(REGION_ROLES))
        if bad:
            raise ValueError(f"unknown roles {bad}; allowed: {', '.join(REGION_ROLES)}")
        return self


def _officer(actor: Actor, region: str, roles: tuple[Role, ...]) -> None:
    if actor.role not in roles:
        raise Forbidden(
            f"this is for {' or '.join(r.value for r in roles)}, not {actor.role.value}", rule="role"
        )
    if not actor.covers(region):
        raise Forbidden(f"region {region} is outside your jurisdiction {actor.region}", rule="jurisdiction")


async def _replace(conn: AsyncConnection, kind: str, party: str, persons: list[Person]) -> None:
    await conn.execute(delete(contacts).where(contacts.c.party_kind == kind, contacts.c.party_id == party))
    if persons:
        await conn.execute(
            contacts.insert(),
            [{"party_kind": kind, "party_id": party, **p.model_dump()} for p in persons],
        )


async def _list(conn: AsyncConnection, kind: str, party: str) -> list[dict[str, Any]]:
    rows = await conn.execute(
        select(
            contacts.c.role, contacts.c.name, contacts.c.department, contacts.c.email, contacts.c.webhook_url
        )
        .where(contacts.c.party_kind == kind, contacts.c.party_id == party)
        .order_by(contacts.c.role, contacts.c.name)
    )
    return [dict(r._mapping) for r in rows]


def install(app: FastAPI) -> None:
    writers = (Role.supervisor, Role.operator, Role.inspector)

    @app.put("/v1/enterprises/{enterprise_id}/responsible", tags=["registry"])
    async def put_responsible(
        enterprise_id: EnterpriseId, body: EnterpriseResponsible, who: Who, request: Request
    ) -> dict[str, Any]:
        if who.role == Role.enterprise:
            if who.enterprise_id != enterprise_id:
                raise Forbidden(
                    "an enterprise user maintains only its own responsible persons", rule="enterprise_scope"
                )
        else:
            _officer(who, body.region, writers)
        async with request.app.state.engine.begin() as conn:
            await _replace(conn, "enterprise", enterprise_id, body.persons)
            return {"enterprise_id": enterprise_id, "persons": await _list(conn, "enterprise", enterprise_id)}

    @app.get("/v1/enterprises/{enterprise_id}/responsible", tags=["registry"])
    async def get_responsible(
        enterprise_id: EnterpriseId, who: Who, request: Request, region: str | None = None
    ) -> dict[str, Any]:
        if who.role == Role.enterprise:
            if who.enterprise_id != enterprise_id:
                raise Forbidden(
                    "an enterprise user reads only its own responsible persons", rule="enterprise_scope"
                )
        else:
            _officer(who, region or who.region, (*writers, Role.auditor))
        async with request.app.state.engine.connect() as conn:
            return {"enterprise_id": enterprise_id, "persons": await _list(conn, "enterprise", enterprise_id)}

    @app.put("/v1/regions/{code}/contacts", tags=["registry"])
    async def put_region(
        code: RegionCode, body: RegionContacts, who: Who, request: Request
    ) -> dict[str, Any]:
        _officer(who, code, (Role.supervisor, Role.operator))
        async with request.app.state.engine.begin() as conn:
            await _replace(conn, "region", code, body.persons)
            return {"region": code, "persons": await _list(conn, "region", code)}

    @app.get("/v1/regions/{code}/contacts", tags=["registry"])
    async def get_region(code: RegionCode, who: Who, request: Request) -> dict[str, Any]:
        _officer(who, code, (Role.supervisor, Role.operator, Role.inspector, Role.auditor))
        async with request.app.state.engine.connect() as conn:
            return {"region": code, "persons": await _list(conn, "region", code)}

    for plural, kind in PLURAL.items():
        _install_log(app, plural, kind)


def _install_log(app: FastAPI, plural: str, kind: str) -> None:
    @app.get(f"/v1/{plural}/{{case_id}}/notifications", tags=[plural], name=f"notifications_{kind}")
    async def delivery_log(
        case_id: CaseId,
        who: Who,
        svc: Svc,
        status: Literal["pending", "delivered", "failed_permanent", "unroutable"] | None = None,
    ) -> dict[str, Any]:
        await svc.view(kind, case_id, who)  # 404 / 403 exactly as reading the case
        q = (
            select(
                notifications.c.id,
                notifications.c.kind,
                notifications.c.recipient_role,
                notifications.c.recipient_party,
                notifications.c.subject,
                notifications.c.due_at,
                notifications.c.created_at,
                deliveries.c.recipient,
                deliveries.c.channel,
                deliveries.c.address,
                deliveries.c.status,
                deliveries.c.attempts,
                deliveries.c.last_error,
                deliveries.c.delivered_at,
            )
            .select_from(
                notifications.outerjoin(deliveries, deliveries.c.notification_id == notifications.c.id)
            )
            .where(notifications.c.case_id == case_id)
            .order_by(notifications.c.id, deliveries.c.id)
        )
        if status is not None:
            q = q.where(deliveries.c.status == status)
        async with svc.engine.connect() as conn:
            rows = (await conn.execute(q)).mappings().all()
        out: dict[int, dict[str, Any]] = {}
        for r in rows:
            n = out.setdefault(
                r["id"],
                {
                    "id": r["id"],
                    "kind": r["kind"],
                    "recipient_role": r["recipient_role"],
                    "recipient_party": r["recipient_party"],
                    "subject": r["subject"],
                    "due_at": r["due_at"],
                    "created_at": r["created_at"],
                    "deliveries": [],
                },
            )
            if r["channel"] is not None:
                n["deliveries"].append(
                    {
                        k: r[k]
                        for k in (
                            "recipient",
                            "channel",
                            "address",
                            "status",
                            "attempts",
                            "last_error",
                            "delivered_at",
                        )
                    }
                )
        return {"id": case_id, "notifications": list(out.values())}
