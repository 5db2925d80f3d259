"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError

from domain.errors import DomainError
from runtime.logging import get_logger
from starter.auth import AuthError
from starter.service import NotFound, Unavailable
from store.db import sqlstate
from store.queries import BadCursor

log = get_logger(__name__)
TYPE_BASE = "https://hazardloop.dev/problems/"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **{k: v for k, v in extra.items() if v is not None},
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, e: DomainError) -> JSONResponse:
        extra = {k: v for k, v in e.extra.items()}
        return problem(e.http_status, e.code, e.detail, **extra)

    @app.exception_handler(AuthError)
    async def _auth(_: Request, e: AuthError) -> JSONResponse:
        return problem(401, "unauthorized", str(e))

    @app.exception_handler(NotFound)
    async def _nf(_: Request, e: NotFound) -> JSONResponse:
        return problem(404, "not_found", str(e), case_id=e.case_id)

    @app.exception_handler(BadCursor)
    async def _cursor(_: Request, e: BadCursor) -> JSONResponse:
        return problem(422, "invalid_cursor", str(e), field="cursor")

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, e: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "problem": err["msg"]}
            for err in e.errors()
        ]
        detail = "; ".join(f"{x['field']}: {x['problem']}" for x in errors)
        return problem(
            422, "invalid_request", detail, errors=errors, field=errors[0]["field"] if errors else None
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 429: "rate_limited"}.get(
            e.status_code, "http_error"
        )
        return problem(e.status_code, code, str(e.detail))

    @app.exception_handler(Unavailable)
    async def _unavailable(_: Request, e: Unavailable) -> JSONResponse:
        return problem(503, "unavailable", f"a dependency is unavailable, retry later ({e})")

    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _update_timeout(_: Request, e: WorkflowUpdateRPCTimeoutOrCancelledError) -> JSONResponse:
        # the update's long poll ran out (no worker picked the workflow up in time, e.g. while one
        # restarts): the command may still be applied, so the client retries with the same key
        log.warning("update not answered in time", error=str(e)[:300])
        return problem(
            503,
            "unavailable",
            "the workflow did not answer in time; retry with the same Idempotency-Key",
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def _db(_: Request, e: Exception) -> JSONResponse:
        if sqlstate(e).startswith("22"):
            # SQLSTATE class 22, data exception: the database refused a value the request carried (a NUL
            # character, an out-of-range number) — the caller's input, not an outage
            return problem(422, "invalid_request", "a value in the request cannot be stored or compared")
        log.warning("database unavailable", error=str(e)[:300])
        return problem(503, "unavailable", "the database is unavailable, retry later")

    @app.exception_handler(OSError)
    async def _os(_: Request, e: OSError) -> JSONResponse:
        log.warning("dependency unreachable", error=str(e)[:300])
        return problem(503, "unavailable", "a dependency is unreachable, retry later")

    @app.exception_handler(Exception)
    async def _any(_: Request, e: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(500, "internal_error", "an unexpected error occurred; it has been logged")
