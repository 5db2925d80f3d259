"""The console's daily self-inspection report (docs/rules.md#daily-report): on 我的待办 the enterprise sees
today's report owed, its countdown to 15:00 and a form to file it; the region's officers see the
day's missed reports. `/daily` is the same card on a page of its own, with the latest days; posting its
form files through the same service as the API (starter/daily.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from domain.actors import Actor, Role
from domain.duties.daily import REGION_READERS, FileDailyReport
from domain.errors import DomainError
from starter import daily
from starter.api.app_deps import case_service
from starter.console import i18n, session


def left(seconds: int, lang: str) -> str:
    """Time left until the due time, in hours and minutes (by the service's clock)."""
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    return f"{hours} h {minutes} min left" if lang == "en" else f"剩余 {hours} 小时 {minutes} 分"


async def card(request: Request, actor: Actor, lang: str, day: date | None = None) -> dict[str, Any] | None:
    """What the signed-in user's daily-report card shows; None for a user it concerns not (or an
    enterprise not yet in the registry)."""
    try:
        if actor.role == Role.enterprise and actor.enterprise_id:
            view = await daily.enterprise_view(request, actor, actor.enterprise_id)
            return {"enterprise": view, "left": left(view["today"]["seconds_left"], lang)}
        if actor.role in REGION_READERS:
            return {"region": await daily.region_view(request, actor, actor.region, day)}
    except DomainError:
        return None
    return None


def body_of(form: dict[str, str]) -> dict[str, Any]:
    """The report the form says: nothing found, or one hazard found."""
    if form.get("nothing_found"):
        return {"nothing_found": True, "note": form.get("note", "")}
    hazard = {k: form.get(f"hazard_{k}", "") for k in ("title", "category", "location")}
    return {"hazards": [hazard], "note": form.get("note", "")}


Render = Callable[..., HTMLResponse]
SignedIn = Callable[[Request], Actor]
ReadForm = Callable[[Request], Awaitable[dict[str, str]]]


def router(render: Render, signed_in: SignedIn, read_form: ReadForm) -> APIRouter:
    """`/daily`: the page and its form (render, signed_in, read_form: the console's own helpers)."""
    r = APIRouter(include_in_schema=False)

    def lang_of(request: Request) -> str:
        return "en" if request.cookies.get(session.LANG) == "en" else "zh"

    @r.get("/daily")
    async def daily_page(request: Request, day: date | None = None) -> Response:
        actor = signed_in(request)
        return render(request, "daily.html", {"daily": await card(request, actor, lang_of(request), day)})

    @r.post("/daily")
    async def file_daily(request: Request) -> Response:
        actor = signed_in(request)
        form = await read_form(request)
        lang = lang_of(request)
        refusal = ""
        try:
            body = FileDailyReport.model_validate(body_of(form))
            svc = await case_service(request)
            await daily.file(request, svc, actor, actor.enterprise_id or "", body, form.get("idem") or None)
            return RedirectResponse("/work", status_code=303)
        except ValidationError as e:
            refusal = "; ".join(str(x["msg"]) for x in e.errors())
        except DomainError as e:
            refusal = i18n.refusal_message(e.code, e.detail, e.extra, lang)
        ctx = {"daily": await card(request, actor, lang), "refusal": refusal}
        return render(request, "daily.html", ctx, status=422)

    return r
