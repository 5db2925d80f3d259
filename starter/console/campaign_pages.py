"""The console's page of a campaign's three lists (隐患问题清单、整改清单、责任清单): `/campaigns/{id}/lists`,
read through the API as the signed-in user (the same rules as `GET /v1/campaigns/{id}/lists`), with the
links to the CSV / XLSX files and the SHA-256 a signed report attests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from domain.campaign.lists import COLUMNS, LISTS, TITLES
from starter.console import i18n

CaseId = Annotated[str, Path(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]


def router() -> APIRouter:
    from starter.console.routes import _api, _as_user, _lang, _signed_in, render

    r = APIRouter(include_in_schema=False)

    @r.get("/campaigns/{case_id}/lists")
    async def campaign_lists(request: Request, case_id: CaseId) -> Response:
        _signed_in(request)
        lang = _lang(request)
        answer = await _api(request, "GET", f"/v1/campaigns/{case_id}/lists", headers=_as_user(request))
        if answer.status_code != 200:
            doc = answer.json()
            message = i18n.refusal_message(doc.get("code", ""), doc.get("detail", ""), doc, lang)
            return render(request, "error.html", {"message": message}, status=answer.status_code)
        data = answer.json()
        tables = [(name, TITLES[name], COLUMNS[name], data[name]) for name in LISTS]
        return render(request, "campaign_lists.html", {"id": case_id, "data": data, "tables": tables})

    return r
