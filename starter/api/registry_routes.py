"""The responsibility registry and the delivery log (docs/rules.md#notifications,
docs/http-api.md#responsibility-registry-and-delivery-log).

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

from domain.access import (
    REGION_CONTACT_READERS,
    REGION_CONTACT_WRITERS,
    REGISTRY_ADMINS,
    check_officer,
    check_registry_read,
    check_registry_write,
)
from domain.common import REGION
from domain.contacts import EnterpriseResponsible, Person, RegionContacts
from domain.errors import DomainError
from notify.webhooks import UnsafeTarget, check_registration, mask_url
from starter.api.app_deps import Svc, Who
from starter.service import PLURAL, NotFound
from store.registry import (
    bind_region,
    case_deliveries,
    list_contacts,
    registered_region,
    replace_contacts,
)
from store.sealing import KeyRing

CaseId = Annotated[str, Path(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
EnterpriseId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
RegionCode = Annotated[str, Path(pattern=REGION)]


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


async def check_webhooks(persons: list[Person], *, allow_private: bool) -> None:
    """Refuse a webhook to an internal address (or a name resolving to one), naming the person's field."""
    for i, p in enumerate(persons):
        if p.webhook_url:
            try:
                await check_registration(p.webhook_url, allow_private=allow_private)
            except UnsafeTarget as e:
                raise InvalidWebhookTarget(f"persons.{i}.webhook_url", str(e)) from e


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
            issued = await replace_contacts(conn, ring, "enterprise", enterprise_id, body.persons)
            return {
                "enterprise_id": enterprise_id,
                "region": body.region,
                "persons": await list_contacts(conn, "enterprise", enterprise_id, issued),
            }

    @app.get("/v1/enterprises/{enterprise_id}/responsible", tags=["registry"])
    async def get_responsible(enterprise_id: EnterpriseId, who: Who, request: Request) -> dict[str, Any]:
        async with request.app.state.engine.connect() as conn:
            registered = await registered_region(conn, enterprise_id)
            persons = await list_contacts(conn, "enterprise", enterprise_id)
        if registered is None and not persons:
            raise NotFound("enterprise", enterprise_id)
        check_registry_read(who, enterprise_id, registered)
        return {"enterprise_id": enterprise_id, "region": registered, "persons": persons}

    @app.put("/v1/regions/{code}/contacts", tags=["registry"])
    async def put_region(
        code: RegionCode, body: RegionContacts, who: Who, request: Request
    ) -> dict[str, Any]:
        check_officer(who, code, REGION_CONTACT_WRITERS)
        await check_webhooks(body.persons, allow_private=allow_private)
        async with request.app.state.engine.begin() as conn:
            issued = await replace_contacts(conn, ring, "region", code, body.persons)
            return {"region": code, "persons": await list_contacts(conn, "region", code, issued)}

    @app.get("/v1/regions/{code}/contacts", tags=["registry"])
    async def get_region(code: RegionCode, who: Who, request: Request) -> dict[str, Any]:
        check_officer(who, code, REGION_CONTACT_READERS)
        async with request.app.state.engine.connect() as conn:
            return {"region": code, "persons": await list_contacts(conn, "region", code)}

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
        async with svc.engine.connect() as conn:
            rows = await case_deliveries(conn, case_id, status)
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
    shown = {k: r[k] for k in ("recipient", "contact_role", "channel", "status", "attempts", "delivered_at")}
    address, error = str(r["address"] or ""), r["last_error"]
    if not admin:
        return shown | {"address": None, "last_error": None}
    if r["channel"] == "webhook" and address:
        masked = mask_url(address)
        error = error.replace(address, masked) if error else error
        address = masked
    return shown | {"address": address, "last_error": error}
