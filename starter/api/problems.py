"""RFC 9457 problem details for every error the API returns: `title` and `detail` in Chinese unless the
request's Accept-Language prefers English (domain/messages.py); `code` (and `rule`) stay English."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from domain.errors import DomainError
from domain.messages import Lang, detail_zh, field_problem_zh, pick_language, title
from runtime.logging import get_logger
from starter.auth import AuthError
from starter.service import NotFound, Unavailable
from store.db import sqlstate
from store.queries import BadCursor

log = get_logger(__name__)
TYPE_BASE = "https://hazardloop.dev/problems/"


def language(request: Request | None) -> Lang:
    return pick_language(None if request is None else request.headers.get("accept-language"))


def problem(
    status: int, code: str, detail: str, *, lang: Lang = "zh", zh: str | None = None, **extra: Any
) -> JSONResponse:
    """A problem document in `lang`; `zh`: the Chinese detail when the catalogue's sentence won't do."""
    kept = {k: v for k, v in extra.items() if v is not None}
    body = {
        "type": TYPE_BASE + code,
        "title": title(status, lang),
        "status": status,
        "detail": detail if lang == "en" else (zh or detail_zh(code, detail, kept)),
        "code": code,
        **kept,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, e: DomainError) -> JSONResponse:
        extra = {k: v for k, v in e.extra.items()}
        return problem(e.http_status, e.code, e.detail, lang=language(request), **extra)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, e: AuthError) -> JSONResponse:
        return problem(401, "unauthorized", str(e), lang=language(request))

    @app.exception_handler(NotFound)
    async def _nf(request: Request, e: NotFound) -> JSONResponse:
        return problem(404, "not_found", str(e), lang=language(request), case_id=e.case_id)

    @app.exception_handler(BadCursor)
    async def _cursor(request: Request, e: BadCursor) -> JSONResponse:
        return problem(422, "invalid_cursor", str(e), lang=language(request), field="cursor")

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, e: RequestValidationError) -> JSONResponse:
        raw = e.errors()
        errors = [
            {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "problem": err["msg"]}
            for err in raw
        ]
        detail = "; ".join(f"{x['field']}: {x['problem']}" for x in errors)
        zh = "请求内容不符合要求：" + "；".join(
            f"{x['field']}：{field_problem_zh(str(err.get('type')), err.get('ctx'), x['problem'])}"
            for x, err in zip(errors, raw, strict=True)
        )
        return problem(
            422,
            "invalid_request",
            detail,
            lang=language(request),
            zh=zh,
            errors=errors,
            field=errors[0]["field"] if errors else None,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}.get(
            e.status_code, "http_error"
        )
        return problem(e.status_code, code, str(e.detail), lang=language(request))

    @app.exception_handler(Unavailable)
    async def _unavailable(request: Request, e: Unavailable) -> JSONResponse:
        detail = f"a dependency is unavailable, retry later ({e})"
        return problem(503, "unavailable", detail, lang=language(request))

    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _update_timeout(request: Request, e: WorkflowUpdateRPCTimeoutOrCancelledError) -> JSONResponse:
        # the update's long poll ran out (no worker picked the workflow up in time, e.g. while one
        # restarts): the command may still be applied, so the client retries with the same key
        log.warning("update not answered in time", error=str(e)[:300])
        return problem(
            503,
            "unavailable",
            "the workflow did not answer in time; retry with the same Idempotency-Key",
            lang=language(request),
            zh="工作流未能及时响应；请用同一个 Idempotency-Key 重试",
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _db(request: Request, e: Exception) -> JSONResponse:
        lang = language(request)
        if sqlstate(e).startswith("22"):
            # SQLSTATE class 22, data exception: the database refused a value the request carried (a NUL
            # character, an out-of-range number) — the caller's input, not an outage
            return problem(
                422,
                "invalid_request",
                "a value in the request cannot be stored or compared",
                lang=lang,
                zh="请求中的某个值无法保存或比较",
            )
        log.warning("database unavailable", error=str(e)[:300])
        return problem(503, "unavailable", "the database is unavailable, retry later", lang=lang)

    @app.exception_handler(OSError)
    async def _os(request: Request, e: OSError) -> JSONResponse:
        log.warning("dependency unreachable", error=str(e)[:300])
        return problem(503, "unavailable", "a dependency is unreachable, retry later", lang=language(request))

    @app.exception_handler(Exception)
    async def _any(request: Request, e: Exception) -> JSONResponse:
        log.exception("unhandled error")
        detail = "an unexpected error occurred; it has been logged"
        return problem(500, "internal_error", detail, lang=language(request))
