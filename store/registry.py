"""The responsibility registry's storage (tables `enterprises`, `contacts`) and a case's delivery log
(`notifications` joined with `deliveries`). Who may read or write it is domain/access.py's; which roles
exist and what a person must give, domain/contacts.py's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.contacts import Person
from domain.errors import Conflict
from store.schema import contacts, deliveries, enterprises, notifications
from store.sealing import KeyRing
from store.webhook_secrets import issue, sealed_secret

CONTACT_KEY = ("party_kind", "party_id", "role", "name")


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


async def _upsert(conn: AsyncConnection, values: dict[str, Any]) -> None:
    """Insert a contact or update the one with the same party, role and name."""
    stmt = insert(contacts).values(**values)
    await conn.execute(
        stmt.on_conflict_do_update(
            constraint="contacts_party_role_name_key",
            set_={k: stmt.excluded[k] for k in values if k not in CONTACT_KEY},
        )
    )


async def replace_contacts(
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
        values = p.model_dump(exclude={"new_webhook_secret", "dingtalk_secret"})
        secret, sealed = _secret_columns(ring, old.get((p.role, p.name)), p, renew=p.new_webhook_secret)
        if secret is not None:
            issued[(p.role, p.name)] = secret
        values |= sealed
        await _upsert(conn, {"party_kind": kind, "party_id": party, **values})
    return issued


def _secret_columns(
    ring: KeyRing, was: RowMapping | None, p: Person, *, renew: bool = False
) -> tuple[str | None, dict[str, Any]]:
    """The sealed-secret columns an endpoint's write sets, and the `whsec_` secret it issued (shown
    once): a generic webhook gets its own when it is new, changed, had none or on request; a WeCom bot
    has none; a DingTalk robot keeps the 加签 secret its owner gave (none: secured otherwise)."""
    cleared: dict[str, Any] = {"webhook_key_id": None, "webhook_secret": None}
    url = p.webhook_url
    if not url or p.webhook_kind == "wecom":
        return None, cleared
    same = was is not None and was["webhook_url"] == url and was["webhook_kind"] == p.webhook_kind
    if p.webhook_kind == "dingtalk":
        if p.dingtalk_secret:
            return None, sealed_secret(ring, url, p.dingtalk_secret)
        return None, {} if same else cleared
    if renew or not same or was is None or was["webhook_secret"] is None:
        return issue(ring, url)
    return None, {}


async def import_contact(conn: AsyncConnection, ring: KeyRing, values: dict[str, Any]) -> str | None:
    """Upsert one contact (`values`: the contacts columns without the secret, and the person's
    `dingtalk_secret`); returns the webhook secret issued for a new or changed endpoint (or one that had
    none), else None."""
    key = {k: values[k] for k in CONTACT_KEY}
    q = select(contacts).filter_by(**key).with_for_update()
    old = (await conn.execute(q)).mappings().one_or_none()
    person = Person.model_validate({k: v for k, v in values.items() if k not in ("party_kind", "party_id")})
    secret, sealed = _secret_columns(ring, old, person)
    await _upsert(conn, {k: v for k, v in values.items() if k != "dingtalk_secret"} | sealed)
    return secret


async def list_contacts(
    conn: AsyncConnection, kind: str, party: str, issued: dict[tuple[str, str], str] | None = None
) -> list[dict[str, Any]]:
    """The party's entries; `issued` secrets are shown beside their endpoint, this once."""
    rows = await conn.execute(
        select(
            contacts.c.role,
            contacts.c.name,
            contacts.c.department,
            contacts.c.email,
            contacts.c.webhook_url,
            contacts.c.webhook_kind,
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


async def party_contacts(conn: AsyncConnection, party: str) -> list[dict[str, Any]]:
    """Every entry of an enterprise or a region (any party kind with this id), without secrets."""
    shown = [c for c in contacts.c if c.name not in ("webhook_key_id", "webhook_secret")]
    q = select(*shown).where(contacts.c.party_id == party).order_by(contacts.c.role, contacts.c.name)
    return [dict(r) for r in (await conn.execute(q)).mappings()]


async def case_deliveries(conn: AsyncConnection, case_id: str, status: str | None) -> list[RowMapping]:
    """A case's notifications, each joined with its deliveries (if any), optionally of one status."""
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
            deliveries.c.contact_role,
            deliveries.c.channel,
            deliveries.c.address,
            deliveries.c.status,
            deliveries.c.attempts,
            deliveries.c.last_error,
            deliveries.c.delivered_at,
        )
        .select_from(notifications.outerjoin(deliveries, deliveries.c.notification_id == notifications.c.id))
        .where(notifications.c.case_id == case_id)
        .order_by(notifications.c.id, deliveries.c.id)
    )
    if status is not None:
        q = q.where(deliveries.c.status == status)
    return list((await conn.execute(q)).mappings().all())
