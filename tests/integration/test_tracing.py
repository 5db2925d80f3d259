"""Tracing spans API → workflow → activity → database with one trace id (issue #20, Observability:
"OpenTelemetry through the SDK's interceptor and the FastAPI, SQLAlchemy and httpx instrumentations, as an
optional extra"). An in-memory exporter stands in for the OTLP collector; the API, the worker, the dev
server and PostgreSQL are real."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.worker import Replayer

from harness.apptest import App, running_app
from harness.servers import TEST_SEAL_KEY
from runtime import tracing
from runtime.settings import Settings
from runtime.temporal_client import data_converter
from tests.e2e.test_hazard_api import REPORT
from tests.replay.test_replay import HISTORIES, PASSTHROUGH, current_workflows, load
from worker import workflow_runner

TRACED = Settings(otel_enabled=True)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    tracing.setup(TRACED, provider)
    try:
        yield spans
    finally:
        tracing.teardown()


@pytest.fixture
async def app(dev_env: Any, db_url: str, exporter: InMemorySpanExporter) -> AsyncIterator[App]:
    config = dev_env.client.config()
    config["interceptors"] = tracing.client_interceptors(TRACED)
    traced = Client(**config)  # the worker inherits the client's interceptors, as in worker.py
    async with running_app(traced, db_url, settings_overrides={"otel_enabled": True}) as a:
        tracing.instrument_engine(a.engine, TRACED)  # the worker's engine, as run_worker does
        yield a


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    parent = span.parent
    while parent is not None and parent.span_id in by_id:
        up = by_id[parent.span_id]
        names.append(up.name)
        parent = up.parent
    return names


def root(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name and s.parent is None]
    assert len(found) == 1, sorted({s.name for s in spans})
    return found[0]


def statements_in(trace: Sequence[ReadableSpan], activity: ReadableSpan) -> list[ReadableSpan]:
    """The SQL spans under `activity`."""
    by_id = {s.context.span_id: s for s in trace}
    out = []
    for s in trace:
        if (s.attributes or {}).get("db.system") != "postgresql":
            continue
        parent = s.parent
        while parent is not None and parent.span_id in by_id and parent.span_id != activity.context.span_id:
            parent = by_id[parent.span_id].parent
        if parent is not None and parent.span_id == activity.context.span_id:
            out.append(s)
    return out


def writes_the_events(span: ReadableSpan) -> bool:
    """The statement that writes a command's events, row and outbox (store/record.py)."""
    return "hl_record_events" in str((span.attributes or {}).get("db.statement", ""))


async def test_a_case_is_one_trace_from_the_request_to_its_sql_and_a_command_links_into_it(
    app: App, exporter: InMemorySpanExporter
) -> None:
    insp = app.token("insp-1", "inspector", "500107")
    created = await app.http.post("/v1/hazards", json={**REPORT, "source": "inspection"}, headers=insp)
    assert created.status_code == 201, created.text
    hid = created.json()["id"]

    # creation: request → start of the workflow → the workflow → record_events → its SQL, one trace
    spans = exporter.get_finished_spans()
    request = root(spans, "POST /v1/hazards")
    case_trace = [s for s in spans if s.context.trace_id == request.context.trace_id]
    by_id = {s.context.span_id: s for s in case_trace}
    names = {s.name for s in case_trace}
    assert {"RunWorkflow:HazardWorkflow", "StartActivity:record_events"} <= names, sorted(names)
    first = [s for s in case_trace if s.name == "RunActivity:record_events"]
    assert first, sorted(names)
    inserts = statements_in(case_trace, first[0])
    assert any(writes_the_events(s) for s in inserts), [s.name for s in inserts]
    assert ancestors(inserts[0], by_id)[-1] == "POST /v1/hazards"
    seen = {s.context.span_id for s in spans}

    # a command: its request's trace starts the update; the workflow handles it in the case's trace,
    # linked to the request's update span, and records its events there (the SDK's TracingInterceptor
    # keeps a long-lived workflow's spans in one trace, the one that started it)
    graded = await app.http.post(
        f"/v1/hazards/{hid}/commands", json={"type": "grade", "level": "general"}, headers=insp
    )
    assert graded.status_code == 200, graded.text
    spans = exporter.get_finished_spans()
    command = root(spans, "POST /v1/hazards/{case_id}/commands")
    command_trace = [s for s in spans if s.context.trace_id == command.context.trace_id]
    update = [s for s in command_trace if s.name == "StartWorkflowUpdate:execute"]
    assert len(update) == 1 and update[0].parent is not None
    assert update[0].parent.span_id == command.context.span_id
    assert any((s.attributes or {}).get("db.system") == "postgresql" for s in command_trace)  # its reads
    new = [s for s in spans if s.context.span_id not in seen]
    handled = [s for s in new if s.name == "HandleUpdate:execute"]
    assert len(handled) == 1 and handled[0].context.trace_id == request.context.trace_id
    assert [link.context.span_id for link in handled[0].links] == [update[0].context.span_id]
    workflow_id = handled[0].attributes["temporalWorkflowID"] if handled[0].attributes else None
    recorded = [
        s
        for s in new
        if s.name == "RunActivity:record_events"
        and (s.attributes or {}).get("temporalWorkflowID") == workflow_id
    ]
    assert len(recorded) == 1 and recorded[0].context.trace_id == request.context.trace_id
    case_trace = [s for s in spans if s.context.trace_id == request.context.trace_id]
    assert any(writes_the_events(s) for s in statements_in(case_trace, recorded[0]))


async def test_stored_histories_replay_with_the_interceptor_and_emit_no_spans(
    exporter: InMemorySpanExporter,
) -> None:
    """The interceptor adds headers, not events: every stored history still replays with it in the
    sandbox, and a replay creates no workflow spans."""
    replayer = Replayer(
        workflows=current_workflows(),
        data_converter=data_converter(Settings(seal_key=TEST_SEAL_KEY)),
        workflow_runner=workflow_runner(PASSTHROUGH),
        interceptors=tracing.client_interceptors(TRACED),
    )
    assert HISTORIES
    for path in HISTORIES:
        await replayer.replay_workflow(load(path).history)  # raises on nondeterminism
    assert exporter.get_finished_spans() == ()


def test_off_by_default_and_a_clear_error_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    assert tracing.client_interceptors(Settings()) == []
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)  # as if the extra were missing
    with pytest.raises(tracing.TracingUnavailable, match=r"hazardloop\[otel\]"):
        tracing.setup(TRACED)


def test_the_service_is_named_by_the_environment_or_hazardloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    assert tracing.resource().attributes["service.name"] == "hazardloop"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "hazardloop-worker")
    assert tracing.resource().attributes["service.name"] == "hazardloop-worker"
