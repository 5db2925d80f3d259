"""Periodic reports: `GET /v1/reports?kind=` (newest first) and `GET /v1/reports/{id}?format=json|csv`.

Officers and auditors read them; the rows by region are narrowed to the reader's jurisdiction (a
county sees its own row, a city its counties); cross-region sections (by industry, status at the end)
are shown to national-level readers only. An overdue sweep's mismatches are narrowed the same way (one
stored without its region, by a sweep before regions were kept, only to national-level readers).
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response

from domain import bulletin
from domain.access import check_report_reader
from domain.actors import Actor
from starter.api.app_deps import Who
from starter.service import NotFound
from store import reports as stored
from store.reports import FIELDS, rates, to_csv_rows


def _scoped(data: dict[str, Any], actor: Actor) -> dict[str, Any]:
    if actor.covers("000000"):
        return data
    if data.get("kind") == bulletin.KIND:
        return {**bulletin.scoped(data, actor.covers), "scope": actor.region}
    if "mismatches" in data:
        seen = [m for m in data["mismatches"] if "region" in m and actor.covers(m["region"])]
        return {**data, "scope": actor.region, "mismatches": seen}
    if "by_region" not in data:
        return data
    rows = [r for r in data.get("by_region", []) if actor.covers(r["region"])]
    totals = rates({f: sum(r[f] for r in rows) for f in FIELDS})
    totals |= {f: sum(r.get(f, 0) for r in rows) for f in data.get("totals", {}) if f not in totals}
    keep = {k: v for k, v in data.items() if k in ("kind", "period_start", "period_end")}
    if "region_year" in data:  # the annual record per region: a reader's own regions only
        keep["region_year"] = [r for r in data["region_year"] if actor.covers(r["region"])]
    return {**keep, "scope": actor.region, "by_region": rows, "totals": totals}


def install(app: FastAPI) -> None:
    @app.get("/v1/reports", tags=["reports"])
    async def list_reports(
        who: Who,
        request: Request,
        kind: Literal["daily", "quarterly", "annual", "overdue_sweep", "enforcement_monthly"] | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        check_report_reader(who)
        async with request.app.state.engine.connect() as conn:
            return {"items": await stored.list_reports(conn, kind, limit)}

    @app.get("/v1/reports/{report_id}", tags=["reports"], response_model=None)
    async def get_report(
        report_id: Annotated[int, Path(ge=1)],
        who: Who,
        request: Request,
        format: Literal["json", "csv"] = "json",
    ) -> Response | dict[str, Any]:
        check_report_reader(who)
        async with request.app.state.engine.connect() as conn:
            row = await stored.read_report(conn, report_id)
        if row is None:
            raise NotFound("report", str(report_id))
        data = _scoped(dict(row["data"]), who)
        if format == "csv":
            buf = io.StringIO()
            csv.writer(buf).writerows(
                bulletin.csv_rows(data)
                if data.get("kind") == bulletin.KIND
                else to_csv_rows(data)
                if "by_region" in data
                else [["mismatches", len(data.get("mismatches", []))]]
            )
            name = f"{row['kind']}-{row['period_start']:%Y%m%d}.csv"
            return PlainTextResponse(
                buf.getvalue(),
                media_type="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )
        return {"id": row["id"], "kind": row["kind"], "generated_at": row["generated_at"], "data": data}
