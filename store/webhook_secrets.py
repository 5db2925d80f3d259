"""Webhook endpoints' signing secrets, sealed at rest with the key ring and bound to their URL."""

from __future__ import annotations

import base64
import os
from typing import Any

from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from store.schema import contacts
from store.sealing import KeyRing, SealedBox

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A fresh endpoint secret, `whsec_<base64 of 32 random bytes>` (Standard Webhooks)."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(32)).decode()


def secret_associated(url: str) -> bytes:
    """What an endpoint's sealed secret is bound to: its URL."""
    return b"webhook-secret\x00" + url.encode()


def sealed_secret(ring: KeyRing, url: str, secret: str) -> dict[str, Any]:
    """The `contacts` columns holding `secret` for the endpoint at `url`."""
    box = ring.seal(secret.encode(), associated=secret_associated(url))
    return {"webhook_key_id": box.key_id, "webhook_secret": box.ciphertext}


def issue(ring: KeyRing, url: str) -> tuple[str, dict[str, Any]]:
    """A fresh secret (shown once to whoever registers the endpoint) and its sealed columns."""
    secret = new_secret()
    return secret, sealed_secret(ring, url, secret)


async def endpoint_secret(conn: AsyncConnection, ring: KeyRing, contact: RowMapping) -> str:
    """The secret of a contact's webhook; one registered before secrets existed gets one now."""
    if contact["webhook_secret"] is None:
        secret, values = issue(ring, str(contact["webhook_url"]))
        issued = await conn.execute(
            update(contacts)
            .where(contacts.c.id == contact["id"], contacts.c.webhook_secret.is_(None))
            .values(**values)
        )
        if issued.rowcount:
            return secret
        contact = (
            (await conn.execute(select(contacts).where(contacts.c.id == contact["id"]))).mappings().one()
        )
    opened = stored_secret(ring, contact)
    assert opened is not None
    return opened


def stored_secret(ring: KeyRing, contact: RowMapping) -> str | None:
    """The contact's sealed endpoint secret opened, None when it has none."""
    if contact["webhook_secret"] is None:
        return None
    box = SealedBox(str(contact["webhook_key_id"]), bytes(contact["webhook_secret"]))
    return ring.open(box, associated=secret_associated(str(contact["webhook_url"]))).decode()
