"""The console's monthly enforcement bulletin (执法通报, seed 001 task 49):
`/reports/enforcement?month=YYYY-MM`, computed from the event store for that month (this month so far by
default) and narrowed to the reader's regions, like the stored bulletins of
`GET /v1/reports?kind=enforcement_monthly`."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import APIRouter, Request, Response

from domain.access import REPORT_READERS
from domain.bulletin import COUNTS, LABELS, bulletin, month_bounds, month_of, scoped
from domain.timecalc import CN_TZ
from starter.api.app_deps import case_service
from starter.console import i18n
from store.bulletin import enforcement_events

MONTH = re.compile(r"\A(19[4-9][0-9]|20[0-9][0-9]|2100)-(0[1-9]|1[0-2])\Z")
COLUMNS = ["region", "penalties", "penalty_total", "daily_penalties", "daily_penalty_total", *COUNTS[2:]]


def router() -> APIRouter:
    from starter.console.routes import _lang, _signed_in, render

    r = APIRouter(include_in_schema=False)

    @r.get("/reports/enforcement")
    async def enforcement(request: Request, month: str = "") -> Response:
        actor = _signed_in(request)
        if actor.role not in REPORT_READERS:
            message = i18n.refusal_message(
                "forbidden", "reports are for officers", {"rule": "role"}, _lang(request)
            )
            return render(request, "error.html", {"message": message}, status=403)
        if not MONTH.match(month):
            month = month_of(datetime.now(CN_TZ))
        start, end = month_bounds(month)
        svc = await case_service(request)
        async with svc.engine.connect() as conn:
            data = scoped(bulletin(start, end, await enforcement_events(conn, start, end)), actor.covers)
        return render(
            request,
            "bulletin.html",
            {"data": data, "columns": [(c, LABELS[c]) for c in COLUMNS], "month": month},
        )

    return r
