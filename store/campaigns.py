"""The hazards under a campaign, read from the projection (which ones: domain/campaign/scope.py).

SQL narrows the candidates by report time and region prefix; the domain rule `out_of_scope` has the last
word on each row, so the lists, the deadline's overdue listing and the rule cannot disagree.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.campaign.scope import day_start, ends_at, out_of_scope
from store.queries import region_clause
from store.schema import cases, contacts

MAX_HAZARDS = 20000


async def hazards_under(
    conn: AsyncConnection, campaign: dict[str, Any], *, open_only: bool = False
) -> list[dict[str, Any]]:
    """The hazards under `campaign` (its view or state: regions, industries, starts_on, deadline), oldest
    first, each as its projection view; `open_only`: those not closed (or cancelled)."""
    starts_on = date.fromisoformat(str(campaign["starts_on"]))
    deadline = date.fromisoformat(str(campaign["deadline"]))
    regions: list[str] = list(campaign["regions"])
    industries: list[str] = list(campaign["industries"])
    clauses = [region_clause(r) for r in regions]
    q = (
        select(cases.c.id, cases.c.region, cases.c.created_at, cases.c.terminal, cases.c.view)
        .where(
            cases.c.kind == "hazard",
            cases.c.created_at >= day_start(starts_on),
            cases.c.created_at < ends_at(deadline),
        )
        .order_by(cases.c.created_at, cases.c.id)
        .limit(MAX_HAZARDS)
    )
    if all(c is not None for c in clauses):
        q = q.where(or_(*clauses))
    if open_only:
        q = q.where(cases.c.terminal.is_(False))
    out = []
    for row in (await conn.execute(q)).mappings():
        view = dict(row["view"])
        why = out_of_scope(
            regions=regions,
            industries=industries,
            starts_on=starts_on,
            deadline=deadline,
            region=row["region"],
            industry=str(view.get("industry") or ""),
            reported_at=row["created_at"],
        )
        if why is None:
            out.append({**view, "reported_at": row["created_at"].isoformat(), "terminal": row["terminal"]})
    return out


async def enterprise_people(
    conn: AsyncConnection, enterprise_ids: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Each enterprise's registered persons (role, name), by enterprise id."""
    out: dict[str, list[dict[str, Any]]] = {}
    if not enterprise_ids:
        return out
    q = (
        select(contacts.c.party_id, contacts.c.role, contacts.c.name)
        .where(contacts.c.party_kind == "enterprise", contacts.c.party_id.in_(sorted(set(enterprise_ids))))
        .order_by(contacts.c.party_id, contacts.c.role, contacts.c.name)
    )
    for row in (await conn.execute(q)).mappings():
        out.setdefault(row["party_id"], []).append({"role": row["role"], "name": row["name"]})
    return out
