"""Who may read a case (writes are decided by each decider)."""

from __future__ import annotations

from domain.actors import Actor, Role
from domain.errors import Forbidden


def check_read(actor: Actor, region: str, enterprise_id: str | None) -> None:
    """Enterprise users read their own enterprise's cases; everyone else reads within their jurisdiction."""
    if actor.role == Role.enterprise:
        if enterprise_id is None or actor.enterprise_id != enterprise_id:
            raise Forbidden(
                "an enterprise user reads only its own enterprise's cases", rule="enterprise_scope"
            )
        return
    if not actor.covers(region):
        raise Forbidden(f"region {region} is outside your jurisdiction {actor.region}", rule="jurisdiction")


def list_scope(actor: Actor, region: str | None, enterprise_id: str | None) -> tuple[str, str | None]:
    """The (region, enterprise) a list may show: narrowed to the actor's scope; refuses a wider request."""
    if actor.role == Role.enterprise:
        if enterprise_id is not None and enterprise_id != actor.enterprise_id:
            raise Forbidden(
                "an enterprise user lists only its own enterprise's cases", rule="enterprise_scope"
            )
        return region or "000000", actor.enterprise_id
    if region is None:
        return actor.region, enterprise_id
    if not actor.covers(region):
        raise Forbidden(f"region {region} is outside your jurisdiction {actor.region}", rule="jurisdiction")
    return region, enterprise_id


def check_acts(
    actor: Actor, command: str, roles: frozenset[Role], region: str, enterprise_id: str | None, noun: str
) -> None:
    """Who may send `command` on a case of `region` / `enterprise_id`: never an auditor; one of `roles`;
    an enterprise user on its own enterprise's cases only; anyone else within their jurisdiction.
    (Each decider adds its own rules beyond these, e.g. the investigating authority of an incident.)"""
    if actor.role == Role.auditor:
        raise Forbidden(
            f"auditors read {noun}s and replay histories; they change nothing", rule="auditor_read_only"
        )
    if actor.role not in roles:
        raise Forbidden(
            f"{command} is for {' or '.join(sorted(r.value for r in roles))}, not {actor.role.value}",
            rule="role",
        )
    if actor.role == Role.enterprise:
        if enterprise_id is None or actor.enterprise_id != enterprise_id:
            raise Forbidden(
                f"an enterprise user acts only on its own enterprise's {noun}s ({actor.enterprise_id}), "
                f"not {enterprise_id}",
                rule="enterprise_scope",
            )
        return
    if not actor.covers(region):
        raise Forbidden(f"region {region} is outside your jurisdiction {actor.region}", rule="jurisdiction")
