"""OpenTelemetry tracing, an optional extra (issue #20, Observability: "Tracing: OpenTelemetry through the
SDK's interceptor and the FastAPI, SQLAlchemy and httpx instrumentations, as an optional extra, spanning
API → workflow → activity → database").

Off unless HAZARDLOOP_OTEL_ENABLED=true, and then the extra must be installed (`pip install
'hazardloop[otel]'`); nothing here imports OpenTelemetry while it is off. When on, the process gets one
TracerProvider that exports over OTLP/HTTP, configured by the SDK's standard environment
(`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
…), and:

- the Temporal client (and so every worker built on it) carries `temporalio.contrib.opentelemetry`'s
  TracingInterceptor: a command's update, the workflow's handling of it and the activities it runs are
  spans of the caller's trace (the context travels in Temporal headers, not in the history's events);
- the FastAPI app, each SQLAlchemy engine the service builds, and httpx (webhooks, JWKS) are instrumented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine
    from temporalio.client import Interceptor

MISSING_EXTRA = (
    "HAZARDLOOP_OTEL_ENABLED is set but OpenTelemetry is not installed: pip install 'hazardloop[otel]'"
)

_provider: TracerProvider | None = None


class TracingUnavailable(RuntimeError):
    """Tracing was enabled without the `otel` extra."""


def setup(settings: Settings, provider: TracerProvider | None = None) -> TracerProvider | None:
    """The process's tracer provider, built on first use when tracing is enabled (None when it is off).

    `provider`: use this one instead of an OTLP exporting one, left as the process's global untouched (a
    test's in-memory exporter)."""
    global _provider
    if not settings.otel_enabled:
        return None
    if _provider is not None:
        return _provider
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as e:
        raise TracingUnavailable(MISSING_EXTRA) from e
    if provider is None:
        provider = TracerProvider(resource=resource())
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _provider = provider
    return provider


def resource() -> Resource:
    """The SDK's resource from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES; named `hazardloop` where
    they name no service."""
    from opentelemetry.sdk.resources import Resource

    detected = Resource.create()
    if str(detected.attributes.get("service.name", "")).startswith("unknown_service"):
        return detected.merge(Resource({"service.name": "hazardloop"}))
    return detected


def teardown() -> None:
    """Undo `setup` (httpx's instrumentation, the engines' listeners) and flush the provider's spans."""
    global _provider
    if _provider is None:
        return
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    HTTPXClientInstrumentor().uninstrument()
    EngineTracer.remove_all_event_listeners()  # type: ignore[no-untyped-call]
    _provider.force_flush()
    _provider = None


def client_interceptors(settings: Settings) -> list[Interceptor]:
    """The Temporal client's interceptors: the TracingInterceptor when tracing is on (a worker built on
    the client inherits it, workflow and activity parts included)."""
    provider = setup(settings)
    if provider is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(provider.get_tracer("hazardloop.temporal"))]


def instrument_app(app: FastAPI, settings: Settings) -> None:
    provider = setup(settings)
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics")


def instrument_engine(engine: AsyncEngine, settings: Settings) -> None:
    """Spans for the engine's statements (one engine at a time: the instrumentor's own `instrument` runs
    once a process, and the API and a worker in one process each build theirs)."""
    provider = setup(settings)
    if provider is None:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.instrumentation.sqlalchemy.version import __version__
    from opentelemetry.metrics import get_meter

    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy", __version__)
    usage: Any = get_meter("opentelemetry.instrumentation.sqlalchemy", __version__).create_up_down_counter(
        name="db.client.connections.usage", unit="connections"
    )
    EngineTracer(tracer, engine.sync_engine, usage, False, {}, False)  # type: ignore[no-untyped-call]
