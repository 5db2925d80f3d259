"""The daily self-inspection report (隐患日排查日报告; docs/rules.md#daily-report, docs/http-api.md).

- `POST /v1/enterprises/{enterprise_id}/daily-reports`: the enterprise files today's report (or a past
  day's, late): the hazards found, each started as a hazard case through the ordinary create path, or
  `nothing_found`. 201; a repeat with the same Idempotency-Key and body → 200 with the same report; a
  second report of the same day → 409 `conflict` (rule `duplicate`).
- `GET /v1/enterprises/{enterprise_id}/daily-reports`: today's duty (owed, due at, filed, missed) and the
  latest reports with the missed marks: the enterprise itself, officers and auditors of its region.
- `GET /v1/regions/{region}/daily-reports?day=`: a region's reports and missed marks of a day, with the
  counts: its inspectors, supervisors, operators and auditors.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import FastAPI, Header, Path, Query, Request, Response

from domain.common import REGION
from domain.duties.daily import FileDailyReport
from starter import daily
from starter.api.app_deps import Svc, Who

EnterpriseId = Annotated[str, Path(min_length=1, max_length=100)]
RegionCode = Annotated[str, Path(pattern=REGION)]


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
        report, recorded = await daily.file(request, svc, who, enterprise_id, body, idempotency_key)
        if not recorded:
            response.status_code = 200
        response.headers["Location"] = f"/v1/enterprises/{enterprise_id}/daily-reports"
        return report

    @app.get("/v1/enterprises/{enterprise_id}/daily-reports", tags=["daily reports"], name="daily_reports")
    async def daily_reports(
        enterprise_id: EnterpriseId,
        who: Who,
        request: Request,
        limit: Annotated[int, Query(ge=1, le=366)] = 30,
    ) -> dict[str, Any]:
        return await daily.enterprise_view(request, who, enterprise_id, limit)

    @app.get("/v1/regions/{region}/daily-reports", tags=["daily reports"], name="region_daily_reports")
    async def region_daily_reports(
        region: RegionCode, who: Who, request: Request, day: date | None = None
    ) -> dict[str, Any]:
        return await daily.region_view(request, who, region, day)
