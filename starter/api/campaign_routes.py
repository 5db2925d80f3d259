"""A campaign's three lists (隐患问题清单、整改清单、责任清单):
`GET /v1/campaigns/{id}/lists?format=json|csv|xlsx`.

Whoever may read the campaign reads its lists, narrowed to the hazards of their jurisdiction. JSON gives the
three lists and their `content_sha256` (what a signed report attests: `sign_report`); CSV gives one list
(`list=hazards|rectification|responsibility`, UTF-8 with BOM like the ledger export); XLSX gives the three
as sheets. Which hazards are under a campaign: domain/campaign/scope.py.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Path, Request
from fastapi.responses import Response
from openpyxl import Workbook

from domain.campaign.lists import LISTS, TITLES, content_sha256, table, three_lists
from starter.api.app_deps import Svc, Who
from starter.api.export_routes import CSV_TYPE, XLSX_TYPE, cell, to_csv
from store.campaigns import enterprise_people, hazards_under

CaseId = Annotated[str, Path(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]
ListName = Literal["hazards", "rectification", "responsibility"]


def _xlsx(lists: dict[str, list[dict[str, Any]]]) -> bytes:
    wb = Workbook(write_only=True)
    for name in LISTS:
        ws = wb.create_sheet(TITLES[name])
        for row in table(name, lists[name]):
            ws.append([cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def install(app: FastAPI) -> None:
    @app.get(
        "/v1/campaigns/{case_id}/lists",
        tags=["campaigns"],
        name="campaign_lists",
        summary="A campaign's three lists (隐患问题清单、整改清单、责任清单) as JSON, CSV or XLSX",
        response_model=None,
    )
    async def campaign_lists(
        case_id: CaseId,
        who: Who,
        svc: Svc,
        request: Request,
        format: Literal["json", "csv", "xlsx"] = "json",
        list: ListName = "hazards",
    ) -> Response | dict[str, Any]:
        campaign = await svc.view("campaign", case_id, who)
        async with request.app.state.engine.connect() as conn:
            hazards = [h for h in await hazards_under(conn, campaign) if who.covers(h["region"])]
            people = await enterprise_people(
                conn, [h["enterprise_id"] for h in hazards if h.get("enterprise_id")]
            )
        lists = three_lists(hazards, people)
        if format == "json":
            return {
                "campaign_id": case_id,
                "title": campaign["title"],
                "generated_at": datetime.now(UTC).isoformat(),
                "scope": who.region,
                **lists,
                "content_sha256": content_sha256(lists),
            }
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        if format == "csv":
            rows = [[cell(v) for v in row] for row in table(list, lists[list])]
            body, media, name = to_csv(rows), CSV_TYPE, f"{case_id}-{list}-{stamp}.csv"
        else:
            body, media, name = _xlsx(lists), XLSX_TYPE, f"{case_id}-lists-{stamp}.xlsx"
        return Response(
            body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
