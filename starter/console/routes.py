"""The web console: server-rendered pages over the same CaseService and Actor as the API."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from audit.auditor import Auditor
from audit.verify import chain_findings
from domain.access import REPORT_READERS
from domain.actors import Actor, Role
from domain.errors import DomainError, Forbidden
from domain.forecast import forecast
from domain.registry import get_decider, get_spec
from runtime.settings import Settings
from runtime.temporal_client import data_converter
from starter.api.app_deps import case_service
from starter.api.report_routes import _scoped as scoped_report
from starter.api.tips import TipIntake
from starter.auth import TokenVerifier
from starter.console import daily as daily_console
from starter.console import i18n, oidc, session
from starter.console.charts import trend_chart
from starter.console.forms import CN, Input, body_from_form, command_model, inputs
from starter.policies import load_pinned
from starter.service import PLURAL, CaseService, NotFound, Unavailable
from store.events import read_stream
from store.queries import get_case
from store.reports import REPORT_COUNTS, compute_report, trend

log = structlog.get_logger("hazardloop.console")
HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
KIND_OF = {v: k for k, v in PLURAL.items()}  # kind → plural


FLOW = "hl_oidc"


def _callback(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


class Redirect(Exception):
    def __init__(self, to: str) -> None:
        self.to = to


def _lang(request: Request) -> str:
    return "en" if request.cookies.get(session.LANG) == "en" else "zh"


def countdown(due: datetime | str | None, lang: str, now: datetime | None = None) -> str:
    """Time left until `due` (or how long ago it passed), in days and hours."""
    if due is None:
        return ""
    d = datetime.fromisoformat(due) if isinstance(due, str) else due
    secs = int((d - (now or datetime.now(UTC))).total_seconds())
    days, rest = divmod(abs(secs), 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    span = (
        f"{days}{i18n.t(lang, 'days')} {hours}{i18n.t(lang, 'hours')}"
        if days
        else f"{hours}{i18n.t(lang, 'hours')} {minutes}{i18n.t(lang, 'minutes')}"
    )
    if secs < 0:
        return f"{i18n.t(lang, 'overdue')} {span}"
    return f"{i18n.t(lang, 'left')} {span}"


def local_time(v: datetime | str | None) -> str:
    if v is None or v == "":
        return ""
    d = datetime.fromisoformat(v) if isinstance(v, str) else v
    return d.astimezone(session_tz()).strftime("%Y-%m-%d %H:%M")


def session_tz() -> Any:
    return CN


def render(request: Request, name: str, ctx: dict[str, Any], status: int = 200) -> HTMLResponse:
    lang = _lang(request)
    actor = getattr(request.state, "actor", None)
    base = {
        "request": request,
        "lang": lang,
        "t": lambda key, **kw: i18n.t(lang, key, **kw),
        "L": lambda code: i18n.label(lang, code),
        "actor": actor,
        "csrf": session.csrf_token(request),
        "idem": secrets.token_hex(12),  # one key per rendered form: a double submit acts once
        "countdown": lambda d: countdown(d, lang),
        "local": local_time,
        # the ledgers the console has pages and labels for (a kind served without them, such as a test
        # kind, is reached through the API only)
        "plurals": {p: k for p, k in PLURAL.items() if k in i18n.EN and k in i18n.ZH},
        "path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    resp = templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status)
    session.keep_pre(request, resp)
    return resp


def _signed_in(request: Request) -> Actor:
    actor = session.current_actor(request)
    if actor is None:
        raise Redirect("/signin")
    request.state.actor = actor
    return actor


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    if not session.csrf_ok(request, data.get("csrf")):
        raise Forbidden(
            "the form's CSRF token is missing or stale: reload the page and try again", rule="csrf"
        )
    return data


def _kind(plural: str) -> str:
    if plural not in PLURAL:
        raise NotFound(plural, "*")
    return PLURAL[plural]


# ---- the router -------------------------------------------------------------------------------------


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the console at / (static assets under /static)."""
    app.state.console_verifier = TokenVerifier(session.session_settings(settings))
    # the codec route (Temporal Web UI) accepts the signed-in console session, sent as its cookie
    app.state.session_actor = session.current_actor
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
    app.include_router(router(settings))
    from starter.console import bulletin_page, campaign_pages

    app.include_router(campaign_pages.router())
    app.include_router(bulletin_page.router())
    from starter.console import duties

    app.include_router(duties.router())
    app.include_router(daily_console.router(render, _signed_in, _form))

    @app.exception_handler(Redirect)
    async def _redirect(_: Request, e: Redirect) -> Response:
        return RedirectResponse(e.to, status_code=303)


def router(settings: Settings) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/")
    async def home(request: Request) -> Response:
        return RedirectResponse("/work" if session.current_actor(request) else "/signin", status_code=303)

    @r.get("/lang")
    async def switch_lang(request: Request, to: str = "zh", next: str = "/") -> Response:
        # a path of this site only: "//host" and "/\\host" would leave it
        target = next if next.startswith("/") and next[1:2] not in ("/", "\\") else "/"
        resp = RedirectResponse(target, status_code=303)
        resp.set_cookie(session.LANG, "en" if to == "en" else "zh", samesite="lax", path="/")
        return resp

    @r.get("/signin")
    async def signin_page(request: Request) -> Response:
        return render(
            request,
            "signin.html",
            {
                "demo": session.demo_enabled(settings),
                "users": session.DEMO_USERS,
                "oidc": oidc.enabled(settings),
            },
        )

    @r.post("/signin")
    async def signin(request: Request) -> Response:
        form = await _form(request)
        if not session.demo_enabled(settings):
            return render(request, "signin.html", {"demo": False, "users": ()}, status=403)
        user = next((u for u in session.DEMO_USERS if u.key == form.get("user")), None)
        if user is None:
            return render(request, "signin.html", {"demo": True, "users": session.DEMO_USERS}, status=422)
        resp = RedirectResponse("/work", status_code=303)
        session.sign_in(resp, settings, session.demo_actor(user), secure=request.url.scheme == "https")
        return resp

    @r.get("/auth/login")
    async def oidc_login(request: Request) -> Response:
        if not oidc.enabled(settings):
            raise NotFound("sign-in provider", "oidc")
        doc = await oidc.discovery(settings)
        url, flow = oidc.start(settings, doc, _callback(request), session.flow_key(settings))
        resp = RedirectResponse(url, status_code=303)
        resp.set_cookie(
            FLOW,
            flow,
            max_age=oidc.FLOW_TTL,
            httponly=True,
            samesite="lax",
            path="/auth",
            secure=request.url.scheme == "https",
        )
        return resp

    @r.get("/auth/callback")
    async def oidc_callback(request: Request, code: str = "", state: str = "") -> Response:
        if not oidc.enabled(settings):
            raise NotFound("sign-in provider", "oidc")
        doc = await oidc.discovery(settings)
        actor = await oidc.finish(
            settings,
            doc,
            request.cookies.get(FLOW, ""),
            session.flow_key(settings),
            code[:2000],
            state[:200],
            _callback(request),
        )
        resp = RedirectResponse("/work", status_code=303)
        resp.delete_cookie(FLOW, path="/auth")
        session.sign_in(resp, settings, actor, secure=request.url.scheme == "https")
        log.info("console sign-in", actor=actor.id, role=actor.role.value, via="oidc")
        return resp

    @r.post("/signout")
    async def signout(request: Request) -> Response:
        await _form(request)
        resp = RedirectResponse("/signin", status_code=303)
        session.sign_out(resp)
        return resp

    @r.get("/work")
    async def work(request: Request) -> Response:
        actor = _signed_in(request)
        svc = await case_service(request)
        sections = []
        for title, kind, filters in WORK.get(actor.role, []):
            items, _ = await svc.list_cases(kind, actor, limit=50, **filters)
            sections.append({"title": title, "kind": kind, "plural": KIND_OF[kind], "items": items})
        todays = await daily_console.card(request, actor, _lang(request))
        return render(request, "work.html", {"sections": sections, "daily": todays})

    @r.get("/go")
    async def go(request: Request, case_id: str = "") -> Response:
        _signed_in(request)
        svc = await case_service(request)
        async with svc.engine.connect() as conn:
            row = await get_case(conn, case_id.strip()[:100])
        if row is None:
            raise Redirect("/work")
        return RedirectResponse(f"/cases/{KIND_OF[row.kind]}/{row.id}", status_code=303)

    @r.get("/new/{plural}")
    async def new_case(request: Request, plural: str) -> Response:
        actor = _signed_in(request)
        kind = _kind(plural)
        return render(request, "new.html", _new_ctx(kind, actor, {}, {}))

    @r.post("/new/{plural}")
    async def create_case(request: Request, plural: str) -> Response:
        actor = _signed_in(request)
        kind = _kind(plural)
        form = await _form(request)
        spec = get_spec(kind)
        model = command_model(spec.commands, spec.creation)
        assert model is not None
        fields = inputs(model)
        body = body_from_form(spec.creation, fields, form)
        errors, refusal = await _attach(request, fields, body)
        if not errors:
            errors, refusal = _validate(kind, body, _lang(request))
        if not errors:
            body.pop("type", None)
            svc = await case_service(request)
            try:
                result, _ = await svc.create(kind, body, actor, form.get("idem") or None)
                return RedirectResponse(f"/cases/{plural}/{result.case['id']}", status_code=303)
            except DomainError as e:
                errors, refusal = _refusal(e, _lang(request))
        return render(request, "new.html", _new_ctx(kind, actor, form, errors, refusal), status=422)

    @r.get("/cases/{plural}/{case_id}")
    async def case_page(request: Request, plural: str, case_id: str) -> Response:
        actor = _signed_in(request)
        lang = _lang(request)
        try:
            ctx = await _case_ctx(request, _kind(plural), case_id, actor)
        except NotFound:
            return render(request, "error.html", {"message": i18n.t(lang, "not_found")}, status=404)
        except DomainError as e:  # not in the reader's jurisdiction or enterprise
            message = i18n.refusal_message(e.code, e.detail, e.extra, lang)
            return render(request, "error.html", {"message": message}, status=e.http_status)
        return render(request, "case.html", ctx)

    @r.post("/cases/{plural}/{case_id}/commands/{ctype}")
    async def command(request: Request, plural: str, case_id: str, ctype: str) -> Response:
        actor = _signed_in(request)
        kind = _kind(plural)
        form = await _form(request)
        spec = get_spec(kind)
        model = command_model(spec.commands, ctype)
        errors: dict[str, str] = {}
        refusal = ""
        if model is None:
            refusal = i18n.refusal_message("invalid_command", f"unknown command {ctype}", {}, _lang(request))
        else:
            fields = inputs(model)
            body = body_from_form(ctype, fields, form)
            errors, refusal = await _attach(request, fields, body)
            if not errors:
                errors, refusal = _validate(kind, body, _lang(request))
            if not errors and not refusal:
                svc = await case_service(request)
                try:
                    await svc.command(kind, case_id, body, actor, form.get("idem") or None)
                    return RedirectResponse(f"/cases/{plural}/{case_id}", status_code=303)
                except DomainError as e:
                    errors, refusal = _refusal(e, _lang(request))
        ctx = await _case_ctx(request, kind, case_id, actor)
        ctx.update(open_form=ctype, errors=errors, refusal=refusal, values=form)
        return render(request, "case.html", ctx, status=422)

    @r.get("/evidence/{sha256}")
    async def evidence(request: Request, sha256: str) -> Response:
        """A stored photo or document, fetched as the signed-in user (the blob endpoint checks the case's
        jurisdiction)."""
        _signed_in(request)
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise NotFound("evidence", sha256[:64])
        suffix = "/thumbnail" if request.query_params.get("thumbnail") else ""
        answer = await _api(
            request,
            "GET",
            f"/v1/blobs/{sha256}{suffix}",
            headers=_as_user(request),
        )
        keep = {
            k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "content-disposition")
        }
        return Response(answer.content, status_code=answer.status_code, headers=keep)

    @r.get("/list/{plural}")
    async def ledger(request: Request, plural: str) -> Response:
        actor = _signed_in(request)
        kind = _kind(plural)
        q = request.query_params
        filters: dict[str, Any] = {
            k: q.get(k) or None for k in ("region", "status", "level", "enterprise_id")
        }
        if q.get("overdue") in ("true", "false"):
            filters["overdue"] = q.get("overdue") == "true"
        svc = await case_service(request)
        items, _ = await svc.list_cases(kind, actor, limit=200, **filters)
        since, until = q.get("from") or "", q.get("to") or ""
        if since or until:
            items = [i for i in items if _in_range(i.get("created_at"), since, until)]
        qs = urlencode({k: v for k, v in q.items() if v})
        return render(
            request,
            "list.html",
            {"kind": kind, "plural": plural, "items": items, "q": q, "qs": qs},
        )

    @r.get("/reports")
    async def reports_page(request: Request, period: str = "daily") -> Response:
        actor = _signed_in(request)
        lang = _lang(request)
        period = period if period in ("daily", "quarterly", "annual") else "daily"
        svc = await case_service(request)
        charts = []
        report: dict[str, Any] | None = None
        if (
            actor.role in REPORT_READERS
        ):  # the period's figures, from the event store, as the report API has them
            start, end = period_bounds(period, datetime.now(CN))
            async with svc.engine.connect() as conn:
                report = scoped_report(await compute_report(conn, period, start, end), actor)
            rows = [{"region": r["region"], "count": r["new"]} for r in report.get("by_region", [])]
            charts.append({"title": "new_by_region", "svg": bar_chart(rows, "region", lang)})
            since, unit = trend_span(period, datetime.now(CN))
            async with svc.engine.connect() as conn:
                series = await trend(conn, since, end, unit, actor.covers)
            charts.insert(0, {"title": "trend", "svg": trend_chart(series, lang)})
        for group in ("level", "status"):  # the hazards as they stand now
            rows = await svc.stats("hazard", actor, [group])
            charts.append({"title": f"by_{group}", "svg": bar_chart(rows, group, lang)})
        totals = (report or {}).get("totals") or {}
        return render(
            request,
            "reports.html",
            {
                "period": period,
                "charts": charts,
                "report": report,
                "totals": totals,
                "counts": [f for f in REPORT_COUNTS if f in totals],  # inspections, officers, campaigns
                "rectified": _pct(totals.get("rectification_rate")),
                "overdue": _pct(totals.get("overdue_rate")),
            },
        )

    # ---- public tip pages (no sign-in) ----------------------------------------------------------------

    @r.get("/tip")
    async def tip_page(request: Request) -> Response:
        return render(request, "tip.html", {"values": {}, "errors": {}})

    @r.post("/tip")
    async def tip_submit(request: Request) -> Response:
        form = await _form(request)
        body: dict[str, Any] = {
            "channel": "web",
            "region": form.get("region", "").strip(),
            "content": form.get("content", "").strip(),
        }
        if form.get("enterprise_id", "").strip():
            body["enterprise_id"] = form["enterprise_id"].strip()
        try:
            TipIntake.model_validate(body)
        except ValidationError as e:
            lang = _lang(request)
            errors = {str(err["loc"][0]): i18n.validation_message(dict(err), lang) for err in e.errors()}
            return render(request, "tip.html", {"values": form, "errors": errors}, status=422)
        errors = await _attach_to_tip(request, body)
        if errors:
            return render(request, "tip.html", {"values": form, "errors": errors}, status=422)
        answer = await _api(request, "POST", "/v1/tips", json=body)
        if answer.status_code in (200, 201):
            attached = len(body.get("evidence", []))
            return render(request, "tip_done.html", {"tip": answer.json(), "attachments": attached})
        return render(
            request, "tip.html", {"values": form, "errors": _api_errors(answer, _lang(request))}, status=422
        )

    @r.get("/tip/status")
    async def tip_status_page(request: Request, case_id: str = "") -> Response:
        return render(request, "tip_status.html", {"result": None, "values": {"case_id": case_id[:100]}})

    @r.post("/tip/status")
    async def tip_status(request: Request) -> Response:
        form = await _form(request)
        case_id = form.get("case_id", "").strip()[:100]
        token = form.get("claim_token", "").strip()[:200]
        answer = await _api(request, "GET", f"/v1/tips/{case_id}/status", headers={"X-Claim-Token": token})
        result = answer.json() if answer.status_code == 200 else None
        return render(
            request,
            "tip_status.html",
            {"result": result, "values": form, "missing": result is None},
            status=200 if result else 404,
        )

    return r


# ---- what each role works on --------------------------------------------------------------------------

WORK: dict[Role, list[tuple[str, str, dict[str, Any]]]] = {
    Role.enterprise: [
        ("w_to_rectify", "hazard", {"status": "rectifying"}),
        ("w_overdue_explain", "hazard", {"overdue": True}),
        ("w_listed", "hazard", {"status": "listed"}),
        ("w_treating", "hazard", {"status": "treating"}),
        ("w_to_grade", "hazard", {"status": "reported"}),
    ],
    Role.inspector: [
        ("w_to_grade", "hazard", {"status": "reported"}),
        ("w_to_review", "hazard", {"status": "verifying"}),
        ("w_region_overdue", "hazard", {"overdue": True}),
        ("w_rectifying", "hazard", {"status": "rectifying"}),
    ],
    Role.supervisor: [
        ("w_to_list", "hazard", {"status": "reported_major"}),
        ("w_plans", "hazard", {"status": "plan_submitted"}),
        ("w_write_off", "hazard", {"status": "awaiting_review"}),
        ("w_overdue_escalated", "hazard", {"overdue": True}),
        ("w_incident_approval", "incident", {"status": "awaiting_approval"}),
    ],
    Role.expert: [("w_to_assess", "hazard", {"status": "assessing"})],
    Role.operator: [
        ("w_tips_received", "tip", {"status": "received"}),
        ("w_tips_verifying", "tip", {"status": "verifying"}),
    ],
    Role.auditor: [
        ("w_overdue", "hazard", {"overdue": True}),
        ("w_closed", "hazard", {"status": "closed"}),
    ],
}


# ---- helpers ----------------------------------------------------------------------------------------


def _new_ctx(
    kind: str, actor: Actor, values: dict[str, str], errors: dict[str, str], refusal: str = ""
) -> dict[str, Any]:
    spec = get_spec(kind)
    model = command_model(spec.commands, spec.creation)
    assert model is not None
    fields = inputs(model)
    defaults = {"region": actor.region if actor.role != Role.enterprise or True else "", "source": ""}
    if actor.enterprise_id:
        defaults["enterprise_id"] = actor.enterprise_id
    if actor.role == Role.enterprise:
        defaults["source"] = "self_inspection"
    hidden = {"origin.kind", "origin.case_id", "origin.ref"}
    if actor.role == Role.enterprise:
        hidden |= {"level", "deadline"}
    return {
        "kind": kind,
        "plural": spec.plural,
        "fields": [f for f in fields if f.name not in hidden],
        "values": {**defaults, **values},
        "errors": errors,
        "refusal": refusal,
    }


def _validate(kind: str, body: dict[str, Any], lang: str) -> tuple[dict[str, str], str]:
    """Field errors (Chinese) from the same model the API validates."""
    try:
        get_decider(kind).parse_command(body)
    except ValidationError as e:
        errors: dict[str, str] = {}
        for err in e.errors():
            loc = [str(p) for p in err["loc"]]
            if loc and loc[0] == body.get("type"):
                loc = loc[1:]
            where = ".".join(x for x in loc if not x.isdigit()) or "type"
            errors.setdefault(where, i18n.validation_message(dict(err), lang))
        return errors, i18n.t(lang, "refused")
    return {}, ""


async def _upload(request: Request, u: UploadFile, path: str, headers: dict[str, str]) -> httpx.Response:
    """One chosen file, stored through the API's blob endpoint `path`."""
    content = (u.filename, await u.read(), u.content_type or "application/octet-stream")
    return await _api(request, "POST", path, files={"file": content}, headers=headers)


async def _attach(request: Request, fields: list[Input], body: dict[str, Any]) -> tuple[dict[str, str], str]:
    """Photos and documents chosen in an evidence input: stored through the blob endpoint
    (`POST /v1/blobs`, as the signed-in user) and added to the command's evidence as {sha256, uri}."""
    form = await request.form()  # parsed once per request: Starlette keeps it
    lang = _lang(request)
    errors: dict[str, str] = {}
    for f in fields:
        if f.widget != "evidence":
            continue
        uploads = [u for u in form.getlist(f"{f.name}__files") if isinstance(u, UploadFile) and u.filename]
        for u in uploads:
            answer = await _upload(request, u, "/v1/blobs", _as_user(request))
            if answer.status_code not in (200, 201):
                errors[f.name] = i18n.t(
                    lang, "upload_failed", name=u.filename or "", status=answer.status_code
                )
                continue
            doc = answer.json()
            body.setdefault(f.name, []).append({"sha256": doc["sha256"], "uri": doc["uri"]})
    return errors, (i18n.t(lang, "refused") if errors else "")


async def _attach_to_tip(request: Request, body: dict[str, Any]) -> dict[str, str]:
    """A tip's photos and documents, stored through the public sealed intake (`POST /v1/tips/blobs`,
    rate-limited like the tip itself) and cited in the tip's evidence as {sha256, uri}."""
    form = await request.form()  # parsed once per request: Starlette keeps it
    uploads = [u for u in form.getlist("evidence__files") if isinstance(u, UploadFile) and u.filename]
    for u in uploads:
        answer = await _upload(request, u, "/v1/tips/blobs", {})
        if answer.status_code not in (200, 201):
            status = answer.status_code
            log.info("tip attachment refused", status=status)
            return {"evidence": i18n.t(_lang(request), "upload_failed", name=u.filename or "", status=status)}
        doc = answer.json()
        body.setdefault("evidence", []).append({"sha256": doc["sha256"], "uri": doc["uri"]})
    return {}


def _refusal(e: DomainError, lang: str) -> tuple[dict[str, str], str]:
    msg = i18n.refusal_message(e.code, e.detail, e.extra, lang)
    field = e.extra.get("field")
    return ({str(field): msg} if field else {}), msg


async def _case_ctx(request: Request, kind: str, case_id: str, actor: Actor) -> dict[str, Any]:
    svc: CaseService = await case_service(request)
    view = await svc.view(kind, case_id, actor)  # 404 / jurisdiction
    decider = get_decider(kind)
    spec = get_spec(kind)
    roles: dict[str, frozenset[Role]] = getattr(decider, "roles", {})
    mine = [c for c in view.get("allowed_commands", []) if actor.role in roles.get(c, frozenset())]
    forms = []
    for c in mine:
        model = command_model(spec.commands, c)
        if model is not None:
            forms.append({"type": c, "fields": inputs(model)})
    settings: Settings = request.app.state.settings
    async with svc.engine.connect() as conn:
        row = await get_case(conn, case_id)
        stream = await read_stream(conn, case_id)
    try:
        client = await request.app.state.clients.get()
    except Unavailable:
        client = None
    auditor = Auditor(client, svc.engine, data_converter(settings))
    trail = await auditor.trail(case_id, verify=False)
    chain = chain_findings(stream)
    future = None
    if row is not None:
        state = decider.parse_state(row.state)
        future = forecast(decider, state, _pinned(request, state), case_id)
    related = []
    origin = view.get("origin")
    if isinstance(origin, dict) and origin.get("case_id"):
        related.append(("parent", KIND_OF.get(origin.get("kind", ""), "tips"), origin["case_id"]))
    for child in view.get("children", []) or []:
        if isinstance(child, dict) and child.get("case_id"):
            related.append(("children", KIND_OF.get(child.get("kind", ""), "hazards"), child["case_id"]))
    for key in ("hazard_id", "child_id", "routed_to"):
        if isinstance(view.get(key), str) and view.get(key):
            related.append(("children", "hazards", view[key]))
    return {
        "kind": kind,
        "plural": spec.plural,
        "case": view,
        "evidence": _evidence(view),
        "forms": forms,
        "trail": trail,
        "chain": chain,
        "future": future,
        "related": related,
        "open_form": None,
        "errors": {},
        "refusal": "",
        "values": {},
    }


def _evidence(view: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(what it documents, {sha256, uri}) for every piece of evidence in the case file."""
    out = [("before", e) for e in view.get("evidence", []) or [] if isinstance(e, dict)]
    for key, value in view.items():
        if isinstance(value, list):
            for entry in value:
                data = entry.get("data") if isinstance(entry, dict) else None
                if isinstance(data, dict):
                    out += [(key, e) for e in data.get("evidence", []) or [] if isinstance(e, dict)]
    return out


def _pinned(request: Request, state: Any) -> Any:
    """The policy pack the case was opened under (its id and version, archived versions included), else
    the service's."""
    ref = getattr(state, "policy", None)
    current = request.app.state.policy
    if ref is None:
        return current
    return load_pinned(request.app.state.settings, ref, current) or current


def _in_range(at: str | None, since: str, until: str) -> bool:
    if not at:
        return False
    day = at[:10]
    return (not since or day >= since) and (not until or day <= until)


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """The period so far, in China time: today, this quarter, this year."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "daily":
        return day, now
    if period == "quarterly":
        return day.replace(month=(now.month - 1) // 3 * 3 + 1, day=1), now
    return day.replace(month=1, day=1), now


def trend_span(period: str, now: datetime) -> tuple[datetime, Literal["day", "month"]]:
    """Where the trend starts and its step: the last 30 days by day (daily), this quarter by day,
    this year by month (annual), in China time."""
    if period == "annual":
        return period_bounds("annual", now)[0], "month"
    if period == "quarterly":
        return period_bounds("quarterly", now)[0], "day"
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=29), "day"


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.0f}%"


def bar_chart(rows: list[dict[str, Any]], group: str, lang: str) -> str:
    """A horizontal bar chart as inline SVG (server-side, no script)."""
    from html import escape

    data = [(i18n.label(lang, str(r.get(group) or "—")), int(r.get("count", 0))) for r in rows]
    if not data:
        return ""
    top = max(v for _, v in data) or 1
    h = 24 * len(data) + 8
    bars = []
    for i, (name, v) in enumerate(data):
        w = int(220 * v / top)
        y = 4 + 24 * i
        bars.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(name)}</text>'
            f'<rect x="110" y="{y}" width="{max(w, 1)}" height="18" fill="#2f6fb0"></rect>'
            f'<text x="{115 + w}" y="{y + 14}" font-size="12">{v}</text>'
        )
    return (
        f'<svg role="img" viewBox="0 0 380 {h}" width="100%" xmlns="http://www.w3.org/2000/svg">'
        + "".join(bars)
        + "</svg>"
    )


def _as_user(request: Request) -> dict[str, str]:
    """The signed-in user's session, as the API's bearer token (signed alike)."""
    return {"Authorization": f"Bearer {request.cookies.get(session.SESSION, '')}"}


async def _api(request: Request, method: str, path: str, **kw: Any) -> httpx.Response:
    """Call this app's own API in process (the tip intake keeps its rate limit, sealing and claim tokens)."""
    peer = request.client.host if request.client else "127.0.0.1"
    transport = httpx.ASGITransport(app=request.app, client=(peer, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as c:
        return await c.request(method, path, **kw)


def _api_errors(answer: httpx.Response, lang: str) -> dict[str, str]:
    try:
        doc = answer.json()
    except ValueError:
        return {"content": i18n.t(lang, "refused")}
    out: dict[str, str] = {}
    for err in doc.get("errors", []) or []:
        loc = [str(p) for p in err.get("loc", err.get("field", "").split("."))]
        field = next((x for x in reversed(loc) if x not in ("body",) and not x.isdigit()), "content")
        out.setdefault(field, i18n.validation_message(err, lang))
    if not out:
        out["content"] = i18n.refusal_message(doc.get("code", ""), doc.get("detail", ""), doc, lang)
    return out


__all__ = ["Input", "install"]
