"""Duties between cases (tables `inspection_plans`, `inspections`, `duty_assignments`, and
`enterprises.risk_colour`): the SQL of inspection plans by risk colour and of the officers' 包保 duty. The
rules are domain/duties'; the facts are events appended with the hash chain of store/events.py, with their
notifications in the same transaction:

- stream `IP-<enterprise>` (kind `inspection`): `risk_colour_set`, `inspection_recorded`,
  `inspection_overdue`;
- stream `OD-<officer>-<YYYYMM>` (kind `duty`): `officer_behind_noticed`, at most one a month.

The sweeps are set-based: one statement picks the due rows (`FOR UPDATE SKIP LOCKED`, so sweeps may run side
by side), one statement counts every officer's month.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.actors import SYSTEM, Actor, region_prefix
from domain.duties import inspections as rules
from domain.duties import officers
from domain.duties.inspections import COLOUR_ZH, Colour
from domain.policy import PolicyPack
from domain.timecalc import CN_TZ, IsoDuration
from store.events import NewEvent, StoredEvent, append, head
from store.reports import add_notifications
from store.schema import duty_assignments, enterprises, inspection_plans, inspections, notifications

PLAN_KIND, DUTY_KIND = "inspection", "duty"


def plan_stream(enterprise_id: str) -> str:
    """The event stream of an enterprise's inspection plan (a digest when the id is too long)."""
    sid = f"IP-{enterprise_id}"
    return sid if len(sid) <= 100 else f"IP-{hashlib.sha256(enterprise_id.encode()).hexdigest()[:40]}"


def duty_stream(officer_id: str, month: str) -> str:
    digest = hashlib.sha256(officer_id.encode()).hexdigest()[:24]
    return f"OD-{officer_id if len(officer_id) <= 80 else digest}-{month.replace('-', '')}"


async def _record(
    conn: AsyncConnection,
    pack: PolicyPack,
    stream: str,
    kind: str,
    event: NewEvent,
    actor: Actor,
    at: datetime,
    command_id: str | None = None,
) -> StoredEvent:
    version, _ = await head(conn, stream)
    records, _ = await append(
        conn,
        stream_id=stream,
        kind=kind,
        expected_version=version,
        new=[event],
        actor=actor.model_dump(mode="json"),
        occurred_at=at,
        policy_id=pack.id,
        policy_version=pack.version,
        command_id=command_id,
    )
    return records[0]


def _notice(
    rec: StoredEvent, seq: int, kind: str, role: str, party: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "case_id": rec.stream_id,
        "case_kind": rec.kind,
        "stream_version": rec.version,
        "seq": seq,
        "kind": kind,
        "recipient_role": role,
        "recipient_party": party,
        "due_at": data.get("due_at"),
        "subject": data["subject"],
        "data": {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()},
        "created_at": datetime.now(UTC),
    }


# ---- inspection plans ---------------------------------------------------------------------------------


async def plan_of(conn: AsyncConnection, enterprise_id: str, *, lock: bool = False) -> RowMapping | None:
    q = select(inspection_plans).where(inspection_plans.c.enterprise_id == enterprise_id)
    return (await conn.execute(q.with_for_update() if lock else q)).mappings().one_or_none()


async def set_colour(
    conn: AsyncConnection,
    pack: PolicyPack,
    enterprise_id: str,
    region: str,
    colour: Colour,
    actor: Actor,
    now: datetime,
) -> RowMapping:
    """Give the (registered, row-locked) enterprise its colour and plan its next inspection: from now for a
    first colour, else re-planned from the same basis (never later: rules.replanned). The colour it has
    already is a no-op."""
    plan = await plan_of(conn, enterprise_id, lock=True)
    if plan is not None and (plan["colour"], plan["region"]) == (colour.value, region):
        return plan  # the same colour again changes nothing (an import run twice)
    await conn.execute(
        update(enterprises)
        .where(enterprises.c.enterprise_id == enterprise_id)
        .values(risk_colour=colour.value)
    )
    basis = now if plan is None else plan["basis_at"]
    current = None if plan is None or plan["overdue"] else plan["due_at"]
    due = (
        rules.replanned(pack, colour, basis, current) if plan is not None else rules.due_at(pack, colour, now)
    )
    if plan is not None and plan["overdue"]:
        due = plan["due_at"]  # a missed deadline stays missed until the inspection is recorded
    values = {"region": region, "colour": colour.value, "basis_at": basis, "due_at": due, "updated_at": now}
    stmt = insert(inspection_plans).values(
        enterprise_id=enterprise_id, stream_id=plan_stream(enterprise_id), **values
    )
    await conn.execute(stmt.on_conflict_do_update(index_elements=["enterprise_id"], set_=values))
    data = {"enterprise_id": enterprise_id, "region": region, "colour": colour.value, "due_at": due}
    await _record(
        conn,
        pack,
        plan_stream(enterprise_id),
        PLAN_KIND,
        NewEvent(type="risk_colour_set", data=data),
        actor,
        now,
    )
    row = await plan_of(conn, enterprise_id)
    assert row is not None
    return row


async def inspection(conn: AsyncConnection, inspection_id: str) -> RowMapping | None:
    q = select(inspections).where(inspections.c.id == inspection_id)
    return (await conn.execute(q)).mappings().one_or_none()


async def record_inspection(
    conn: AsyncConnection,
    pack: PolicyPack,
    *,
    inspection_id: str,
    enterprise_id: str,
    region: str,
    actor: Actor,
    inspected_at: datetime,
    note: str,
    hazard_ids: list[str],
    now: datetime,
) -> tuple[RowMapping, bool]:
    """Record an inspection (once per id: a repeat returns the first, `False`) as the event
    `inspection_recorded`; the enterprise's plan starts its next interval from it."""
    plan = await plan_of(conn, enterprise_id, lock=True)
    done = await conn.execute(
        insert(inspections)
        .values(
            id=inspection_id,
            enterprise_id=enterprise_id,
            region=region,
            inspector_id=actor.id,
            inspected_at=inspected_at,
            note=note,
            hazard_ids=hazard_ids,
        )
        .on_conflict_do_nothing()
        .returning(inspections.c.id)
    )
    if done.first() is None:
        row = await inspection(conn, inspection_id)
        assert row is not None
        return row, False
    data: dict[str, Any] = {
        "inspection_id": inspection_id,
        "enterprise_id": enterprise_id,
        "region": region,
        "inspector": actor.id,
        "inspected_at": inspected_at,
        "note": note,
        "hazard_ids": hazard_ids,
    }
    if plan is not None:
        basis = max(plan["basis_at"], inspected_at)
        due = rules.due_at(pack, Colour(plan["colour"]), basis)
        data |= {"was_due_at": plan["due_at"], "on_time": inspected_at < plan["due_at"], "next_due_at": due}
        await conn.execute(
            update(inspection_plans)
            .where(inspection_plans.c.enterprise_id == enterprise_id)
            .values(basis_at=basis, due_at=due, overdue=False, last_inspected_at=basis, updated_at=now)
        )
    event = NewEvent(type="inspection_recorded", data=data)
    await _record(
        conn, pack, plan_stream(enterprise_id), PLAN_KIND, event, actor, now, f"inspection:{inspection_id}"
    )
    row = await inspection(conn, inspection_id)
    assert row is not None
    return row, True


async def sweep_inspections(conn: AsyncConnection, pack: PolicyPack, at: datetime, batch: int = 500) -> int:
    """Mark every plan whose deadline is at or before `at` overdue (once per deadline): the event
    `inspection_overdue` and a notice to the region's inspectors and supervisors and to the enterprise's
    包保 officers. Returns how many."""
    due = (
        (
            await conn.execute(
                select(inspection_plans)
                .where(inspection_plans.c.overdue.is_(False), inspection_plans.c.due_at <= at)
                .order_by(inspection_plans.c.due_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        .mappings()
        .all()
    )
    if not due:
        return 0
    await conn.execute(
        update(inspection_plans)
        .where(inspection_plans.c.enterprise_id.in_([p["enterprise_id"] for p in due]))
        .values(overdue=True, updated_at=at)
    )
    officers_of: dict[str, list[str]] = {}
    q = select(duty_assignments.c.enterprise_id, duty_assignments.c.officer_id).where(
        duty_assignments.c.enterprise_id.in_([p["enterprise_id"] for p in due])
    )
    for enterprise_id, officer_id in (await conn.execute(q.order_by(duty_assignments.c.officer_id))).all():
        officers_of.setdefault(str(enterprise_id), []).append(str(officer_id))
    notices: list[dict[str, Any]] = []
    for p in due:
        colour = Colour(p["colour"])
        data = {
            "enterprise_id": p["enterprise_id"],
            "region": p["region"],
            "colour": colour.value,
            "due_at": p["due_at"],
            "last_inspected_at": p["last_inspected_at"],
        }
        rec = await _record(
            conn, pack, p["stream_id"], PLAN_KIND, NewEvent(type="inspection_overdue", data=data), SYSTEM, at
        )
        due_cn = p["due_at"].astimezone(CN_TZ)
        subject = {
            "subject": f"检查计划逾期：{p['enterprise_id']}（{COLOUR_ZH[colour]}色）"
            f"应于 {due_cn:%Y-%m-%d %H:%M} 前检查",
            "subject_en": f"inspection overdue: {p['enterprise_id']} ({colour.value}) "
            f"was due {due_cn.isoformat()}",
        }
        to = [("inspector", p["region"]), ("supervisor", p["region"])]
        to += [("officer", o) for o in officers_of.get(p["enterprise_id"], [])]  # its 包保 officers
        for seq, (role, party) in enumerate(to):
            notices.append(_notice(rec, seq, "inspection_overdue", role, party, data | subject))
    await add_notifications(conn, notices)
    return len(due)


async def list_plans(
    conn: AsyncConnection, scope: str, *, overdue: bool | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """The plans within jurisdiction `scope`, the earliest deadline first."""
    q = select(inspection_plans).where(
        inspection_plans.c.region.startswith(region_prefix(scope), autoescape=True)
    )
    if overdue is not None:
        q = q.where(inspection_plans.c.overdue.is_(overdue))
    rows = await conn.execute(
        q.order_by(inspection_plans.c.due_at, inspection_plans.c.enterprise_id).limit(limit)
    )
    return [dict(r) for r in rows.mappings()]


async def inspections_of(conn: AsyncConnection, enterprise_id: str, limit: int = 100) -> list[dict[str, Any]]:
    q = (
        select(inspections)
        .where(inspections.c.enterprise_id == enterprise_id)
        .order_by(inspections.c.inspected_at.desc())
        .limit(limit)
    )
    return [dict(r) for r in (await conn.execute(q)).mappings()]


# ---- 包保 assignments and the officers' month -------------------------------------------------------------


async def assign(
    conn: AsyncConnection, officer_id: str, region: str, enterprise_ids: list[str], now: datetime
) -> None:
    """Make the officer's 包保 list these enterprises (those kept keep their assignment date)."""
    gone = delete(duty_assignments).where(duty_assignments.c.officer_id == officer_id)
    if enterprise_ids:
        gone = gone.where(duty_assignments.c.enterprise_id.not_in(enterprise_ids))
        stmt = insert(duty_assignments).values(
            [
                {"officer_id": officer_id, "enterprise_id": e, "region": region, "assigned_at": now}
                for e in enterprise_ids
            ]
        )
        await conn.execute(gone)
        await conn.execute(
            stmt.on_conflict_do_update(
                constraint="duty_assignments_pk", set_={"region": stmt.excluded.region}
            )
        )
    else:
        await conn.execute(gone)


async def assignments_of(conn: AsyncConnection, officer_id: str) -> list[dict[str, Any]]:
    q = (
        select(duty_assignments.c.enterprise_id, duty_assignments.c.region, duty_assignments.c.assigned_at)
        .where(duty_assignments.c.officer_id == officer_id)
        .order_by(duty_assignments.c.enterprise_id)
    )
    return [dict(r) for r in (await conn.execute(q)).mappings()]


async def registered_regions(conn: AsyncConnection, enterprise_ids: list[str]) -> dict[str, str]:
    q = select(enterprises.c.enterprise_id, enterprises.c.region).where(
        enterprises.c.enterprise_id.in_(enterprise_ids)
    )
    return {str(r.enterprise_id): str(r.region) for r in await conn.execute(q)}


def _pg_interval(d: IsoDuration) -> str:
    return f"{d.sign * d.months} months {d.sign * d.days} days {d.sign * d.seconds} seconds"


_COUNTS = text(
    """
    WITH a AS (
        SELECT officer_id, enterprise_id, region, assigned_at FROM duty_assignments
        WHERE (CAST(:officer AS text) IS NULL OR officer_id = :officer)
          AND (CAST(:officer AS text) IS NOT NULL OR region LIKE :prefix || '%')
    ),
    insp AS (
        SELECT a.officer_id, count(DISTINCT i.enterprise_id) AS n FROM a
        JOIN inspections i ON i.enterprise_id = a.enterprise_id AND i.inspector_id = a.officer_id
         AND i.inspected_at >= :start AND i.inspected_at < :until
        GROUP BY a.officer_id
    ),
    acts AS (
        SELECT a.officer_id, e.stream_id, e.type, (e.data ->> 'passed') AS passed FROM a
        JOIN cases c ON c.kind = 'hazard' AND c.enterprise_id = a.enterprise_id
        JOIN events e ON e.stream_id = c.id AND e.kind = 'hazard'
         AND e.occurred_at >= :start AND e.occurred_at < :until AND e.actor ->> 'id' = a.officer_id
    ),
    pushed AS (
        SELECT officer_id, count(DISTINCT stream_id) AS n FROM acts
        WHERE type = ANY(:push) OR (type = 'reviewed' AND passed = 'false') GROUP BY officer_id
    ),
    solved AS (
        SELECT officer_id, count(DISTINCT stream_id) AS n FROM acts
        WHERE type = 'reviewed' AND passed = 'true' GROUP BY officer_id
    ),
    uncovered AS (
        SELECT a.officer_id, array_agg(a.enterprise_id ORDER BY a.enterprise_id) AS ids FROM a
        LEFT JOIN LATERAL (
            SELECT max(i.inspected_at) AS last FROM inspections i
            WHERE i.enterprise_id = a.enterprise_id AND i.inspector_id = a.officer_id
              AND i.inspected_at <= :at
        ) l ON true
        WHERE coalesce(l.last, a.assigned_at) + CAST(CAST(:coverage AS text) AS interval) <= :at
        GROUP BY a.officer_id
    )
    SELECT o.officer_id, min(o.region) AS region, coalesce(max(insp.n), 0) AS inspected,
           coalesce(max(pushed.n), 0) AS pushed, coalesce(max(solved.n), 0) AS solved,
           coalesce(max(uncovered.ids), ARRAY[]::text[]) AS uncovered
    FROM a o
    LEFT JOIN insp ON insp.officer_id = o.officer_id
    LEFT JOIN pushed ON pushed.officer_id = o.officer_id
    LEFT JOIN solved ON solved.officer_id = o.officer_id
    LEFT JOIN uncovered ON uncovered.officer_id = o.officer_id
    GROUP BY o.officer_id ORDER BY o.officer_id
    """
)


async def month_progress(
    conn: AsyncConnection,
    pack: PolicyPack,
    month: str,
    at: datetime,
    *,
    officer_id: str | None = None,
    scope: str = "000000",
) -> list[tuple[str, officers.Progress]]:
    """(region, progress) of one officer, or of every officer assigned within `scope`, for `month` as it
    stands at `at` (events up to `at`; coverage judged at `at`)."""
    start, end = officers.month_bounds(month)
    params = {
        "officer": officer_id,
        "prefix": region_prefix(scope),
        "start": start,
        "until": min(end, at),
        "at": at,
        "push": list(officers.PUSH_EVENTS),
        "coverage": _pg_interval(IsoDuration(officers.rules(pack).coverage)),
    }
    rows = (await conn.execute(_COUNTS, params)).mappings().all()
    return [
        (
            str(r["region"]),
            officers.progress(
                pack,
                str(r["officer_id"]),
                month,
                inspected=int(r["inspected"]),
                pushed=int(r["pushed"]),
                solved=int(r["solved"]),
                uncovered=list(r["uncovered"]),
            ),
        )
        for r in rows
    ]


async def behind_noticed(conn: AsyncConnection, officer_id: str, month: str) -> bool:
    return (await head(conn, duty_stream(officer_id, month)))[0] > 0


async def sweep_officers(conn: AsyncConnection, pack: PolicyPack, at: datetime) -> int:
    """From `notice_before` ahead of the month's end: each officer behind, not yet told this month, gets the
    event `officer_behind_noticed` and a notice to them and to their region's supervisors."""
    month = officers.month_of(at)
    if at < officers.notice_from(pack, month):
        return 0
    told = 0
    for region, p in await month_progress(conn, pack, month, at):
        if not p.behind or await behind_noticed(conn, p.officer_id, month):
            continue
        data = officers.behind_notice(p) | {"region": region, "due_at": officers.month_bounds(month)[1]}
        stream = duty_stream(p.officer_id, month)
        rec = await _record(
            conn,
            pack,
            stream,
            DUTY_KIND,
            NewEvent(type="officer_behind_noticed", data=_json(data)),
            SYSTEM,
            at,
        )
        await add_notifications(
            conn,
            [
                _notice(rec, 0, "duty_behind", "officer", p.officer_id, data),
                _notice(rec, 1, "duty_behind", "supervisor", region, data),
            ],
        )
        told += 1
    return told


def _json(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


async def duty_notices(conn: AsyncConnection, stream_ids: list[str]) -> list[dict[str, Any]]:
    """The notifications recorded for these duty or plan streams (the tests' and the console's view)."""
    q = select(notifications).where(notifications.c.case_id.in_(stream_ids)).order_by(notifications.c.id)
    return [dict(r) for r in (await conn.execute(q)).mappings()]
