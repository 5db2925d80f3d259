"""The daily self-inspection report (隐患日排查日报告; docs/rules.md#daily-report, docs/http-api.md).

- `POST /v1/enterprises/{enterprise_id}/daily-reports`: the enterprise files today's report (or a past
  day's, late): the hazards found, each started as a hazard case through the ordinary create path, or
  `nothing_found`. 201; a repeat with the same Idempotency-Key and body → 200 with the same report; a
  second report of the same day → 409 `conflict` (rule `duplicate`).
- `GET /v1/enterprises/{enterprise_id}/daily-reports`: today's duty (owed, due at, filed, missed) and the
  latest reports with the missed marks: the enterprise itself, officers and auditors of its region.
- `GET /v1/regions/{region}/daily-reports?day=`: a region's reports and missed marks of a day, with the
  counts: its inspectors, supervisors, operators and auditors.

The clock is `app.state.clock` when set (the tests' "as of" instant), else the system's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Header, Path, Query, Request, Response

from domain.access import check_read_record
from domain.common import REGION
from domain.duties.daily import (
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
from domain.errors import Conflict
from domain.policy import PolicyPack
from starter.api.app_deps import Svc, Who
from store.daily_reports import enterprise_reports, file_report, missed_count, region_day, report_row
from store.registry import registered_region

EnterpriseId = Annotated[str, Path(min_length=1, max_length=100)]
RegionCode = Annotated[str, Path(pattern=REGION)]


def _now(request: Request) -> datetime:
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else datetime.now(UTC)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "day": row["day"].isoformat(),
        "filed": row["filed_at"] is not None,
        "missed": row["missed_at"] is not None,
    }


def _rule(pack: PolicyPack) -> Any:
    rule = rule_of(pack)
    if rule is None:
        raise Conflict(f"policy pack {pack.id} {pack.version} sets no daily report", rule="policy")
    return rule


async def _region(request: Request, enterprise_id: str) -> str:
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


def install(app: FastAPI) -> None:
    @app.post(
        "/v1/enterprises/{enterprise_id}/daily-reports",
        status_code=201,
        tags=["daily reports"],
        name="file_daily_report",
    )
    async def file_daily_report(
        enterprise_id: EnterpriseId,
        body: FileDailyReport,
        who: Who,
        svc: Svc,
        request: Request,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> dict[str, Any]:
        check_file(who, enterprise_id)
        pack: PolicyPack = request.app.state.policy
        rule = _rule(pack)
        now = _now(request)
        day = body.day or report_day(now)
        check_day(day, now)
        region = await _region(request, enterprise_id)
        key = idempotency_key or f"{day.isoformat()}"
        digest = hashlib.sha256(f"{who.id}\x00{key}".encode()).hexdigest()[:32]
        command_id = f"daily:{digest}"
        async with request.app.state.engine.connect() as conn:
            earlier = await report_row(conn, enterprise_id, day)
        if earlier is not None and earlier["filed_at"] is not None and idempotency_key is None:
            raise Conflict(
                f"the report of {day} was filed at {earlier['filed_at'].isoformat()}: one a day",
                rule="duplicate",
                field="day",
            )
        hazard_ids: list[str] = []
        for i, h in enumerate(body.hazards):
            hazard = {
                **h.model_dump(),
                "enterprise_id": enterprise_id,
                "region": region,
                "source": "self_inspection",
                "discovered_at": now.isoformat(),
            }
            result, _ = await svc.create("hazard", hazard, who, f"daily-report:{day}:{digest}:{i}")
            hazard_ids.append(str(result.case["id"]))
        data = filed_event(
            rule,
            pack.work_calendar,
            enterprise_id=enterprise_id,
            region=region,
            day=day,
            filed_at=now,
            nothing_found=body.nothing_found,
            hazard_ids=hazard_ids,
            note=body.note,
        )
        async with request.app.state.engine.begin() as conn:
            row, recorded = await file_report(
                conn, rule, pack.ref, who, data, filed_at=now, command_id=command_id
            )
        if not recorded:
            response.status_code = 200
        response.headers["Location"] = f"/v1/enterprises/{enterprise_id}/daily-reports"
        return _shown(row)

    @app.get("/v1/enterprises/{enterprise_id}/daily-reports", tags=["daily reports"], name="daily_reports")
    async def daily_reports(
        enterprise_id: EnterpriseId,
        who: Who,
        request: Request,
        limit: Annotated[int, Query(ge=1, le=366)] = 30,
    ) -> dict[str, Any]:
        region = await _region(request, enterprise_id)
        check_read_record(who, region, enterprise_id)
        pack: PolicyPack = request.app.state.policy
        rule = _rule(pack)
        now = _now(request)
        today = report_day(now)
        async with request.app.state.engine.connect() as conn:
            items = [_shown(r) for r in await enterprise_reports(conn, enterprise_id, limit)]
            missed = await missed_count(conn, enterprise_id)
        todays = next((r for r in items if r["day"] == today.isoformat()), None)
        due = deadline(rule, today)
        return {
            "enterprise_id": enterprise_id,
            "region": region,
            "today": {
                "day": today.isoformat(),
                "owed": owed(rule, pack.work_calendar, enterprise_id, region, today),
                "due_at": due.isoformat(),
                "seconds_left": max(0, int((due - now).total_seconds())),
                "filed": bool(todays and todays["filed"]),
                "missed": bool(todays and todays["missed"]),
            },
            "missed_total": missed,
            "items": items,
        }

    @app.get("/v1/regions/{region}/daily-reports", tags=["daily reports"], name="region_daily_reports")
    async def region_daily_reports(
        region: RegionCode, who: Who, request: Request, day: date | None = None
    ) -> dict[str, Any]:
        check_region_reader(who, region)
        day = day or report_day(_now(request))
        async with request.app.state.engine.connect() as conn:
            rows = [_shown(r) for r in await region_day(conn, region, day)]
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
