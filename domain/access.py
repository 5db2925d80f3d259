"""Who may read a case, file one, reveal a tip's reporter, and keep the responsibility registry (writes
to a case are decided by each decider)."""

from __future__ import annotations

from collections.abc import Iterable

from domain.actors import Actor, Role, is_place
from domain.errors import Forbidden, InvalidCommand

# who keeps the responsibility registry of enterprises besides the enterprise itself
REGISTRY_KEEPERS = frozenset({Role.supervisor, Role.operator, Role.inspector})
# who sees addresses and error texts in a case's delivery log (they administer the registry)
REGISTRY_ADMINS = REGISTRY_KEEPERS
# who writes / reads a region's own contacts (within their jurisdiction)
REGION_CONTACT_WRITERS = frozenset({Role.supervisor, Role.operator})
REGION_CONTACT_READERS = REGION_CONTACT_WRITERS | {Role.inspector, Role.auditor}
# who reads the periodic reports (narrowed to their jurisdiction)
REPORT_READERS = frozenset({Role.supervisor, Role.inspector, Role.operator, Role.auditor})
# who may reveal a tip reporter's sealed identity: the intake and reward officers
REVEALERS = frozenset({Role.operator, Role.supervisor})


def check_covers(actor: Actor, region: str) -> None:
    """The actor's jurisdiction must cover `region`."""
    if not actor.covers(region):
        raise Forbidden(f"region {region} is outside your jurisdiction {actor.region}", rule="jurisdiction")


def check_role(actor: Actor, roles: Iterable[Role], what: str = "this") -> None:
    allowed = sorted(r.value for r in roles)
    if actor.role.value not in allowed:
        raise Forbidden(f"{what} is for {' or '.join(allowed)}, not {actor.role.value}", rule="role")


def check_officer(actor: Actor, region: str, roles: Iterable[Role]) -> None:
    """One of `roles`, with jurisdiction over `region` (a region's own contacts)."""
    check_role(actor, roles)
    check_covers(actor, region)


def check_report_reader(actor: Actor) -> None:
    if actor.role not in REPORT_READERS:
        raise Forbidden("reports are for officers and auditors", rule="role")


def check_tip_intake(actor: Actor) -> None:
    """A tip taken with a token is an operator's (a hotline call); the public reports without one."""
    if actor.role != Role.operator:
        raise Forbidden(
            "authenticated intake is for operators taking calls; the public needs no token", rule="role"
        )


def check_reveal(actor: Actor) -> None:
    """Only the intake or reward officer reveals a tip reporter's sealed identity (then within reach of
    the tip, as reading it)."""
    if actor.role not in REVEALERS:
        raise Forbidden("only the intake or reward officer may reveal a reporter's identity", rule="role")


def check_read(actor: Actor, region: str, enterprise_id: str | None) -> None:
    """Enterprise users read their own enterprise's cases; everyone else reads within their jurisdiction."""
    if actor.role == Role.enterprise:
        if enterprise_id is None or actor.enterprise_id != enterprise_id:
            raise Forbidden(
                "an enterprise user reads only its own enterprise's cases", rule="enterprise_scope"
            )
        return
    check_covers(actor, region)


RECORD_READERS = frozenset({Role.enterprise, Role.inspector, Role.supervisor, Role.operator, Role.auditor})


def check_read_record(actor: Actor, region: str, enterprise_id: str | None) -> None:
    """An enterprise's record (penalties, closure proposals, the credit listing): the enterprise itself,
    and the officers and auditors whose jurisdiction covers the enterprise's region; not experts."""
    check_role(actor, RECORD_READERS, "an enterprise's record")
    check_read(actor, region, enterprise_id)


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
    check_covers(actor, region)
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
    check_role(actor, roles, command)
    if actor.role == Role.enterprise:
        if enterprise_id is None or actor.enterprise_id != enterprise_id:
            raise Forbidden(
                f"an enterprise user acts only on its own enterprise's {noun}s ({actor.enterprise_id}), "
                f"not {enterprise_id}",
                rule="enterprise_scope",
            )
        return
    check_covers(actor, region)


def check_place(region: str, what: str) -> None:
    """`region` must be a place: six ASCII digits of a known province, not the national 000000."""
    if not is_place(region):
        raise InvalidCommand(
            f"region {region!r} is not a region {what} can be in: six ASCII digits (行政区划代码) whose "
            "first two are a province's code, e.g. 500107",
            field="region",
            rule="region_unknown",
        )


def check_files(actor: Actor, region: str, noun: str) -> None:
    """Where a new case may be filed (after check_acts): in a place; by an enterprise user only in its own
    region (its token's), never where its regulators would not see it."""
    check_place(region, f"a {noun}")
    if actor.role == Role.enterprise and region != actor.region:
        raise Forbidden(
            f"an enterprise user files {noun}s only in its own region {actor.region}, not {region}",
            rule="jurisdiction",
        )


def _own_enterprise(actor: Actor, enterprise_id: str) -> None:
    if actor.enterprise_id != enterprise_id:
        raise Forbidden(
            f"an enterprise user keeps only its own responsible persons ({actor.enterprise_id}), "
            f"not {enterprise_id}'s",
            rule="enterprise_scope",
        )


def check_registry_read(actor: Actor, enterprise_id: str, registered: str | None) -> None:
    """Who reads an enterprise's responsible persons: the enterprise itself, or an officer or auditor whose
    jurisdiction covers the region the enterprise is registered in (never a region the request names).
    An enterprise not registered in any region (contacts imported before regions were kept) is read
    by a national jurisdiction only."""
    if actor.role == Role.enterprise:
        _own_enterprise(actor, enterprise_id)
        return
    check_role(actor, REGISTRY_KEEPERS | {Role.auditor})
    if registered is None and not actor.covers("000000"):
        raise Forbidden(
            f"enterprise {enterprise_id} is registered in no region: only a national jurisdiction reads "
            f"it, not {actor.region}",
            rule="jurisdiction",
        )
    if registered is not None:
        check_covers(actor, registered)


def check_registry_write(actor: Actor, enterprise_id: str, registered: str | None, region: str) -> None:
    """Who writes an enterprise's responsible persons, `region` being where the write says the enterprise
    is: the enterprise itself in its own region (its token's), or a supervisor, operator or inspector
    covering `region`. The first registration binds the enterprise to `region`; a write naming another
    region than the registered one moves it, which only a supervisor covering both regions may do."""
    check_place(region, "an enterprise")
    if actor.role == Role.enterprise:
        _own_enterprise(actor, enterprise_id)
        if region != actor.region:
            raise Forbidden(
                f"an enterprise user registers only in its own region {actor.region}, not {region}",
                rule="jurisdiction",
            )
    else:
        check_officer(actor, region, REGISTRY_KEEPERS)
    if registered is None or registered == region:
        return
    if actor.role != Role.supervisor:
        raise Forbidden(
            f"enterprise {enterprise_id} is registered in {registered}: moving it to {region} is for a "
            f"supervisor covering both regions, not {actor.role.value}",
            rule="role",
        )
    if not actor.covers(registered):
        raise Forbidden(
            f"enterprise {enterprise_id} is registered in {registered}, outside your jurisdiction "
            f"{actor.region}: moving it to {region} needs a supervisor covering both regions",
            rule="jurisdiction",
        )
