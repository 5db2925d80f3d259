"""The responsibility registry and the delivery log (DOMAIN.md §4).

- `GET|PUT /v1/enterprises/{id}/responsible`: the enterprise's 三个责任人 (administrative, supervisory,
  enterprise) and 三个层级负责人 (management, technical, operations) with their channels. The first
  registration binds the enterprise to the `region` it names; reads and writes then need jurisdiction
  over that region, and a write naming another region moves the enterprise (a supervisor covering both).
  Who may do what: `domain.access.check_registry_read` / `check_registry_write`.
- `GET|PUT /v1/regions/{code}/contacts`: who receives a region's notices and escalations, by role.
  Supervisors and operators covering the region write; officers and auditors covering it read.
- `GET /v1/{hazards|incidents|tips}/{id}/notifications`: what was sent about a case, to whom, through
  which channel, when, and the outcome — for whoever may read the case; the addresses and error texts
  only for the roles that administer the registry, webhook addresses masked.

A webhook must point to a public address (notify/webhooks.py) and gets its own signing secret,
shown once in the response of the write that issued it: for a new endpoint, a changed URL, one that had
none, or when asked with `new_webhook_secret`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.access import check_officer, check_registry_read, check_registry_write
from domain.actors import Role
from domain.common import REGION
from domain.errors import Conflict, DomainError
from notify.delivery import ENTERPRISE_ROLES, REGION_ROLES
from notify.webhooks import UnsafeTarget, check_registration, mask_url
from starter.api.app_deps import Svc, Who
from starter.service import PLURAL, NotFound
from store.schema import contacts, deliveries, enterprises, notifications
from store.sealing import KeyRing
from store.webhook_secrets import issue

CaseId = Annotated[str, Path(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
EnterpriseId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
RegionCode = Annotated[str, Path(pattern=REGION)]
REGISTRY_ADMINS = (Role.supervisor, Role.operator, Role.inspector)  # see addresses in the delivery log


class InvalidWebhookTarget(DomainError):
    """A webhook URL our servers must not call (internal address): 422 naming the field and the rule."""

    code = "invalid_request"
    http_status = 422

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(
            f"{field}: {reason}",
            field=field,
            rule="public_webhook_target",
            errors=[{"field": field, "problem": reason}],
        )


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    department: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    webhook_url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    new_webhook_secret: bool = Field(default=False, description="issue a fresh signing secret")

    @model_validator(mode="after")
    def _reachable(self) -> Person:
        if not self.email and not self.webhook_url:
            raise ValueError("give an email or a webhook_url: a contact nobody can reach receives nothing")
        return self


class EnterpriseResponsible(BaseModel):
    model_config = ConfigDict(extra="forbid")
    region: str = Field(
        pattern=REGION,
        description="where the enterprise is: binds it on its first registration; another region moves it",
    )
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


async def registered_region(conn: AsyncConnection, enterprise_id: str, *, lock: bool = False) -> str | None:
    """The region the enterprise is registered in (None: not yet); `lock` holds its row for a write."""
    q = select(enterprises.c.region).where(enterprises.c.enterprise_id == enterprise_id)
    region: str | None = (await conn.execute(q.with_for_update() if lock else q)).scalar_one_or_none()
    return region


async def bind_region(conn: AsyncConnection, enterprise_id: str, registered: str | None, region: str) -> None:
    """Register the enterprise in `region`, or move it there from `registered` (its row locked by
    registered_region; the caller checked who may). A registration made meanwhile by another request
    is not overwritten: 409, and the retry is judged against it."""
    if registered is None:
        stmt = insert(enterprises).values(enterprise_id=enterprise_id, region=region)
        done = await conn.execute(stmt.on_conflict_do_nothing().returning(enterprises.c.enterprise_id))
        if done.first() is None:
            raise Conflict(f"enterprise {enterprise_id} was registered meanwhile: send the request again")
    elif registered != region:
        await conn.execute(
            update(enterprises)
            .where(enterprises.c.enterprise_id == enterprise_id)
            .values(region=region, updated_at=func.now())
        )


async def check_webhooks(persons: list[Person], *, allow_private: bool) -> None:
    """Refuse a webhook to an internal address (or a name resolving to one), naming the person's field."""
    for i, p in enumerate(persons):
        if p.webhook_url:
            try:
                await check_registration(p.webhook_url, allow_private=allow_private)
            except UnsafeTarget as e:
                raise InvalidWebhookTarget(f"persons.{i}.webhook_url", str(e)) from e


async def _replace(
    conn: AsyncConnection, ring: KeyRing, kind: str, party: str, persons: list[Person]
) -> dict[tuple[str, str], str]:
    """Make the party's entries these persons (upserted, so unchanged endpoints keep their secrets);
    returns the webhook secrets issued, by (role, name)."""
    party_rows = (contacts.c.party_kind == kind, contacts.c.party_id == party)
    old = {
        (r["role"], r["name"]): r
        for r in (await conn.execute(select(contacts).where(*party_rows).with_for_update())).mappings()
    }
    keep = [(p.role, p.name) for p in persons]
    gone = delete(contacts).where(*party_rows)
    await conn.execute(gone.where(tuple_(contacts.c.role, contacts.c.name).not_in(keep)) if keep else gone)
    issued: dict[tuple[str, str], str] = {}
    for p in persons:
        values = p.model_dump(exclude={"new_webhook_secret"})
        was = old.get((p.role, p.name))
        if not p.webhook_url:
            values |= {"webhook_key_id": None, "webhook_secret": None}
        elif (
            p.new_webhook_secret
            or was is None
            or was["webhook_url"] != p.webhook_url
            or was["webhook_secret"] is None
        ):
            issued[(p.role, p.name)], sealed = issue(ring, p.webhook_url)
            values |= sealed
        stmt = insert(contacts).values(party_kind=kind, party_id=party, **values)
        await conn.execute(
            stmt.on_conflict_do_update(
                constraint="contacts_party_role_name_key",
                set_={k: stmt.excluded[k] for k in values if k not in ("role", "name")},
            )
        )
    return issued


async def _list(
    conn: AsyncConnection, kind: str, party: str, issued: dict[tuple[str, str], str] | None = None
) -> list[dict[str, Any]]:
    """The party's entries; `issued` secrets are shown beside their endpoint, this once."""
    rows = await conn.execute(
        select(
            contacts.c.role, contacts.c.name, contacts.c.department, contacts.c.email, contacts.c.webhook_url
        )
        .where(contacts.c.party_kind == kind, contacts.c.party_id == party)
        .order_by(contacts.c.role, contacts.c.name)
    )
    shown = [dict(r._mapping) for r in rows]
    for p in shown:
        secret = (issued or {}).get((p["role"], p["name"]))
        if secret:
            p["webhook_secret"] = secret
    return shown


def install(app: FastAPI) -> None:
    ring = KeyRing(app.state.settings.resolved_seal_key())
    allow_private: bool = app.state.settings.webhook_allow_private

    @app.put("/v1/enterprises/{enterprise_id}/responsible", tags=["registry"])
    async def put_responsible(
        enterprise_id: EnterpriseId, body: EnterpriseResponsible, who: Who, request: Request
    ) -> dict[str, Any]:
        await check_webhooks(body.persons, allow_private=allow_private)
        async with request.app.state.engine.begin() as conn:
            registered = await registered_region(conn, enterprise_id, lock=True)
            check_registry_write(who, enterprise_id, registered, body.region)
            await bind_region(conn, enterprise_id, registered, body.region)
            issued = await _replace(conn, ring, "enterprise", enterprise_id, body.persons)
            return {
                "enterprise_id": enterprise_id,
                "region": body.region,
                "persons": await _list(conn, "enterprise", enterprise_id, issued),
            }

    @app.get("/v1/enterprises/{enterprise_id}/responsible", tags=["registry"])
    async def get_responsible(enterprise_id: EnterpriseId, who: Who, request: Request) -> dict[str, Any]:
        async with request.app.state.engine.connect() as conn:
            registered = await registered_region(conn, enterprise_id)
            persons = await _list(conn, "enterprise", enterprise_id)
        if registered is None and not persons:
            raise NotFound("enterprise", enterprise_id)
        check_registry_read(who, enterprise_id, registered)
        return {"enterprise_id": enterprise_id, "region": registered, "persons": persons}

    @app.put("/v1/regions/{code}/contacts", tags=["registry"])
    async def put_region(
        code: RegionCode, body: RegionContacts, who: Who, request: Request
    ) -> dict[str, Any]:
        check_officer(who, code, (Role.supervisor, Role.operator))
        await check_webhooks(body.persons, allow_private=allow_private)
        async with request.app.state.engine.begin() as conn:
            issued = await _replace(conn, ring, "region", code, body.persons)
            return {"region": code, "persons": await _list(conn, "region", code, issued)}

    @app.get("/v1/regions/{code}/contacts", tags=["registry"])
    async def get_region(code: RegionCode, who: Who, request: Request) -> dict[str, Any]:
        check_officer(who, code, (Role.supervisor, Role.operator, Role.inspector, Role.auditor))
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
                n["deliveries"].append(_shown_delivery(r, admin=who.role in REGISTRY_ADMINS))
        return {"id": case_id, "notifications": list(out.values())}


def _shown_delivery(r: Any, *, admin: bool) -> dict[str, Any]:
    """One delivery as the log shows it: addresses and error texts (which may quote them) only to the
    registry's administrators, a webhook's address always masked."""
    shown = {k: r[k] for k in ("recipient", "channel", "status", "attempts", "delivered_at")}
    address, error = str(r["address"] or ""), r["last_error"]
    if not admin:
        return shown | {"address": None, "last_error": None}
    if r["channel"] == "webhook" and address:
        masked = mask_url(address)
        error = error.replace(address, masked) if error else error
        address = masked
    return shown | {"address": address, "last_error": error}
