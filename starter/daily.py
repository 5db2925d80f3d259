"""The daily self-inspection report's service (docs/rules.md#daily-report), shared by the HTTP routes
(starter/api/daily_routes.py) and the console: file a report (its hazards started as cases through the
ordinary create path), an enterprise's duty of today with its latest days, a region's day.

The clock is `app.state.clock` when set (the tests' "as of" instant), else the system's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from fastapi import Request

from domain.access import check_read_record
from domain.actors import Actor
from domain.duties.daily import (
    DailyReportRule,
    FileDailyReport,
    check_day,
    check_file,
    check_region_reader,
    deadline,
    filed_event,
    owed,
    report_day,
    rule_of,
)
from domain.errors import Conflict, IdempotencyMismatch
from domain.policy import PolicyPack
from starter.service import CaseService
from store.daily_reports import enterprise_reports, file_report, filed, missed_count, region_day, report_row
from store.registry import registered_region


def now(request: Request) -> datetime:
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def shown(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "day": row["day"].isoformat(),
        "filed": row["filed_at"] is not None,
        "missed": row["missed_at"] is not None,
    }


def rule(pack: PolicyPack) -> DailyReportRule:
    found = rule_of(pack)
    if found is None:
        raise Conflict(f"policy pack {pack.id} {pack.version} sets no daily report", rule="policy")
    return found


async def region_of(request: Request, enterprise_id: str) -> str:
    async with request.app.state.engine.connect() as conn:
        region = await registered_region(conn, enterprise_id)
    if region is None:
        raise Conflict(
            f"enterprise {enterprise_id} is not in the registry: register its region and responsible "
            "persons first (PUT /v1/enterprises/{id}/responsible)",
            rule="not_registered",
            field="enterprise_id",
        )
    return region


async def file(
    request: Request,
    svc: CaseService,
    who: Actor,
    enterprise_id: str,
    body: FileDailyReport,
    idempotency_key: str | None,
) -> tuple[dict[str, Any], bool]:
    """File the report; (the report, recorded): False for a repeat of the same key and body."""
    check_file(who, enterprise_id)
    pack: PolicyPack = request.app.state.policy
    duty = rule(pack)
    at = now(request)
    day = body.day or report_day(at)
    check_day(day, at)
    region = await region_of(request, enterprise_id)
    digest = hashlib.sha256(f"{who.id}\x00{idempotency_key or day.isoformat()}".encode()).hexdigest()[:32]
    command_id = f"daily:{digest}"
    request_sha = hashlib.sha256(body.model_dump_json().encode()).hexdigest()
    async with request.app.state.engine.connect() as conn:
        row = await report_row(conn, enterprise_id, day)
        earlier = await filed(conn, enterprise_id, day) if row is not None else None
    if row is not None and earlier is not None:  # refused or answered before any case is started
        if idempotency_key is None or earlier.command_id != command_id:
            raise Conflict(
                f"the report of {day} was filed at {earlier.occurred_at.isoformat()}: one a day",
                rule="duplicate",
                field="day",
            )
        if earlier.data.get("request_sha256") != request_sha:
            raise IdempotencyMismatch(
                "this Idempotency-Key filed another report", rule="idempotency", field="Idempotency-Key"
            )
        return shown(dict(row)), False
    hazard_ids: list[str] = []
    for i, h in enumerate(body.hazards):
        hazard = {
            **h.model_dump(),
            "enterprise_id": enterprise_id,
            "region": region,
            "source": "self_inspection",
            "discovered_at": at.isoformat(),
        }
        result, _ = await svc.create("hazard", hazard, who, f"daily-report:{day}:{digest}:{i}")
        hazard_ids.append(str(result.case["id"]))
    data = filed_event(
        duty,
        pack.work_calendar,
        enterprise_id=enterprise_id,
        region=region,
        day=day,
        filed_at=at,
        nothing_found=body.nothing_found,
        hazard_ids=hazard_ids,
        note=body.note,
    ) | {"request_sha256": request_sha}
    async with request.app.state.engine.begin() as conn:
        report, recorded = await file_report(
            conn, duty, pack.ref, who, data, filed_at=at, command_id=command_id
        )
    return shown(report), recorded


async def enterprise_view(
    request: Request, who: Actor, enterprise_id: str, limit: int = 30
) -> dict[str, Any]:
    """Today's duty (owed, due at, seconds left, filed, missed), the missed marks and the latest days."""
    region = await region_of(request, enterprise_id)
    check_read_record(who, region, enterprise_id)
    pack: PolicyPack = request.app.state.policy
    duty = rule(pack)
    at = now(request)
    today = report_day(at)
    async with request.app.state.engine.connect() as conn:
        items = [shown(r) for r in await enterprise_reports(conn, enterprise_id, limit)]
        missed = await missed_count(conn, enterprise_id)
    todays = next((r for r in items if r["day"] == today.isoformat()), None)
    due = deadline(duty, today)
    return {
        "enterprise_id": enterprise_id,
        "region": region,
        "today": {
            "day": today.isoformat(),
            "owed": owed(duty, pack.work_calendar, enterprise_id, region, today),
            "due_at": due.isoformat(),
            "seconds_left": max(0, int((due - at).total_seconds())),
            "filed": bool(todays and todays["filed"]),
            "missed": bool(todays and todays["missed"]),
        },
        "missed_total": missed,
        "items": items,
    }


async def region_view(request: Request, who: Actor, region: str, day: date | None) -> dict[str, Any]:
    """A region's reports and missed marks of a day (default today), with the counts."""
    check_region_reader(who, region)
    day = day or report_day(now(request))
    async with request.app.state.engine.connect() as conn:
        rows = [shown(r) for r in await region_day(conn, region, day)]
    return {
        "region": region,
        "day": day.isoformat(),
        "counts": {
            "filed": sum(r["filed"] for r in rows),
            "missed": sum(r["missed"] for r in rows),
            "late": sum(r["late"] for r in rows),
            "hazards_found": sum(len(r["hazard_ids"]) for r in rows),
        },
        "filed": [r for r in rows if r["filed"]],
        "missed": [r for r in rows if r["missed"]],
    }
