"""FastAPI application: /v1 case endpoints, health, readiness, metrics."""

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import structlog
from fastapi import Body, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.service import RPCError

from runtime.keys import shared_keys_check
from runtime.settings import Settings
from runtime.temporal_client import connect
from runtime.tracing import instrument_app, instrument_engine
from starter.api import export_routes, problems
from starter.api.app_deps import BEARER, REGION_Q, Filters, Svc, Who
from starter.api.text_guard import RefuseUnstorableText
from starter.auth import TokenVerifier
from starter.policies import load_policy
from starter.service import PLURAL, Unavailable
from store.db import make_engine, ping

log = structlog.get_logger("hazardloop.api")

CaseId = Annotated[str, Path(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]


class ClientHolder:
    """Connects to Temporal lazily so the API starts (and /readyz answers 503) while Temporal is down."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Client:
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    try:
                        self._client = await connect(self.settings)
                    except RuntimeError as e:
                        raise Unavailable(
                            f"Temporal at {self.settings.resolved_temporal_address}: {e}"
                        ) from e
        return self._client


class Observe:
    """Request id, metrics and one log line per request, as a plain ASGI wrapper: Starlette's
    `BaseHTTPMiddleware` runs every request through extra tasks and memory streams, a measurable share of
    a command's CPU (bench/RESULTS.md)."""

    def __init__(self, app: ASGIApp, *, requests_total: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests_total = requests_total
        self.latency = latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1") or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=rid)
        start = time.perf_counter()
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            elapsed = time.perf_counter() - start
            method = scope["method"]
            self.requests_total.labels(method, path, str(status)).inc()
            self.latency.labels(method, path).observe(elapsed)
            log.info("request", method=method, route=path, status=status, ms=round(elapsed * 1000, 2))
            structlog.contextvars.unbind_contextvars("request_id")


def create_app(settings: Settings) -> FastAPI:
    engine = make_engine(settings.resolved_database_url, **settings.database_options())
    instrument_engine(engine, settings)
    holder = ClientHolder(settings)
    verifier = TokenVerifier(settings)
    policy = load_policy(settings)
    registry = CollectorRegistry()
    requests_total = Counter(
        "hazardloop_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry
    )
    latency = Histogram(
        "hazardloop_http_request_seconds",
        "HTTP request latency",
        ["method", "route"],
        registry=registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info("api starting", temporal=settings.resolved_temporal_address, policy=policy.ref.model_dump())
        metrics_server = None
        if settings.metrics_port is not None:  # its own port, for the scraper's network only
            metrics_server = start_http_server(settings.metrics_port, settings.api_host, registry)[0]
        yield
        if metrics_server is not None:
            metrics_server.shutdown()
            metrics_server.server_close()
        await engine.dispose()
        log.info("api stopped")

    app = FastAPI(
        title="hazardloop",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served from vendored assets (starter/api/docs_routes.py)
        redoc_url=None,
        description="隐患整改闭环 — hazard, incident and tip closed loops on Temporal. "
        "Errors are RFC 9457 problem details.",
    )
    problems.install(app)
    app.state.settings = settings
    app.state.engine = engine
    app.state.clients = holder

    @app.exception_handler(RPCError)
    async def _rpc(request: Request, e: RPCError) -> JSONResponse:
        log.warning("temporal error", status=str(e.status), error=e.message[:300])
        detail = "the workflow service is unavailable, retry later"
        return problems.problem(503, "unavailable", detail, lang=problems.language(request))

    # inside Observe: refused requests are logged and counted
    app.add_middleware(
        RefuseUnstorableText,
        max_body=settings.max_body_bytes,
        # evidence uploads bound their own size (blob_routes.UploadSizeLimit); a console form carries a
        # few photos at most
        streamed_prefixes=("/v1/blobs", "/v1/tips/blobs"),
        max_form=4 * settings.blob_max_bytes + settings.max_body_bytes,
    )
    app.add_middleware(Observe, requests_total=requests_total, latency=latency)
    instrument_app(app, settings)  # outermost: a request's span covers the middlewares too

    app.state.verifier = verifier
    app.state.policy = policy

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    async def readyz() -> JSONResponse:
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(3):
                await ping(engine)
            checks["postgres"] = "ok"
        except Exception as e:
            checks["postgres"] = f"unavailable: {type(e).__name__}"
        try:
            async with asyncio.timeout(3):
                client = await holder.get()
                await client.workflow_service.get_system_info(GetSystemInfoRequest())
            checks["temporal"] = "ok"
        except Exception as e:
            checks["temporal"] = f"unavailable: {type(e).__name__}"
        checks["keys"] = await shared_keys_check(engine, settings)
        ok = all(v == "ok" for v in checks.values())
        if ok:
            return JSONResponse({"status": "ready", "checks": checks})
        return problems.problem(503, "not_ready", "a dependency is unavailable", checks=checks)

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=PlainTextResponse,
        include_in_schema=settings.metrics_token is not None,
        summary="Prometheus metrics (Authorization: Bearer HAZARDLOOP_METRICS_TOKEN)",
    )
    async def metrics(
        _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Response:
        if settings.metrics_token is None:
            return problems.problem(404, "not_found", "metrics are not served on this port")
        expected = f"Bearer {settings.metrics_token}".encode()
        if not secrets.compare_digest((authorization or "").encode("utf-8", "replace"), expected):
            return problems.problem(401, "unauthorized", "metrics need Authorization: Bearer <metrics token>")
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    for plural, kind in PLURAL.items():
        if kind != "enterprise":  # an enterprise's record is no ledger row
            export_routes.install(app, plural, kind, max_rows=settings.export_max_rows)
        # tips have their own public intake (starter/api/tips.py); officers use the shared routes
        _case_routes(app, plural, kind, with_create=kind != "tip")

    from starter.api import (
        audit_routes,
        blob_routes,
        campaign_routes,
        codec_routes,
        daily_routes,
        docs_routes,
        enterprise_routes,
        registry_routes,
        report_routes,
        tips,
    )

    docs_routes.install(app)
    blob_routes.install(app, settings)
    tips.install(app, settings)
    enterprise_routes.install(app)
    audit_routes.install(app)
    registry_routes.install(app)
    report_routes.install(app)
    campaign_routes.install(app)
    daily_routes.install(app)
    codec_routes.install(app, settings)
    from starter.api import duty_routes

    duty_routes.install(app)

    from starter import console

    console.install(app, settings)

    @app.get("/v1/stats/{plural}", tags=["stats"])
    async def case_stats(
        plural: Annotated[str, Path(pattern="^[a-z]+$")],
        who: Who,
        svc: Svc,
        group_by: Annotated[str, Query(pattern=r"^[a-z_]+(,[a-z_]+)*$")] = "status",
        region: Annotated[str | None, REGION_Q] = None,
    ) -> dict[str, Any]:
        groups = group_by.split(",")
        from store.queries import GROUPABLE

        if plural not in PLURAL:
            from starter.service import NotFound

            raise NotFound(plural, "*")
        unknown = [g for g in groups if g not in GROUPABLE]
        repeated = sorted({g for g in groups if groups.count(g) > 1})
        if unknown or repeated:
            from domain.errors import InvalidCommand

            why = f"cannot group by {', '.join(unknown)}" if unknown else f"{', '.join(repeated)} repeated"
            raise InvalidCommand(
                f"group_by: {why}; name each of {', '.join(sorted(GROUPABLE))} at most once, comma-separated",
                field="group_by",
                rule="groupable",
                allowed=sorted(GROUPABLE),
            )
        return {
            "kind": PLURAL[plural],
            "group_by": groups,
            "rows": await svc.stats(PLURAL[plural], who, groups, region=region),
        }

    from starter.api import contract

    contract.install(app)  # the typed /openapi.json (routes parse their bodies themselves)
    return app


def _case_routes(app: FastAPI, plural: str, kind: str, *, with_create: bool = True) -> None:
    tag: list[str | Enum] = [plural]

    if with_create:

        @app.post(
            f"/v1/{plural}",
            status_code=201,
            tags=tag,
            name=f"report_{kind}",
            summary=f"Report a {kind}: starts its workflow",
        )
        async def report(
            body: Annotated[dict[str, Any], Body()],
            who: Who,
            svc: Svc,
            response: Response,
            idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
        ) -> dict[str, Any]:
            result, created = await svc.create(kind, body, who, idempotency_key)
            if not created:
                response.status_code = 200
            response.headers["Location"] = f"/v1/{plural}/{result.case['id']}"
            return result.case

    @app.get(f"/v1/{plural}/{{case_id}}", tags=tag, name=f"get_{kind}")
    async def get_case(
        case_id: CaseId, who: Who, svc: Svc, consistent: bool = False, as_of: datetime | None = None
    ) -> dict[str, Any]:
        return await svc.view(kind, case_id, who, consistent=consistent, as_of=as_of)

    @app.post(f"/v1/{plural}/{{case_id}}/commands", tags=tag, name=f"command_{kind}")
    async def command(
        case_id: CaseId,
        body: Annotated[dict[str, Any], Body()],
        who: Who,
        svc: Svc,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> dict[str, Any]:
        result = await svc.command(kind, case_id, body, who, idempotency_key)
        return {"case": result.case, "events": [e.model_dump() for e in result.events]}

    @app.get(f"/v1/{plural}", tags=tag, name=f"list_{kind}s")
    async def list_cases(
        who: Who,
        svc: Svc,
        filters: Filters,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, Query(max_length=500)] = None,
    ) -> dict[str, Any]:
        items, nxt = await svc.list_cases(kind, who, limit=limit, cursor=cursor, **filters)
        return {"items": items, "next_cursor": nxt}

    @app.get(f"/v1/{plural}/{{case_id}}/events", tags=tag, name=f"events_{kind}")
    async def events(case_id: CaseId, who: Who, svc: Svc) -> dict[str, Any]:
        return {"id": case_id, "events": await svc.events(kind, case_id, who)}
