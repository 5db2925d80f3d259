"""A schema-driven fuzzer over the published contract (issue #20): schemathesis generates requests for
every operation of /openapi.json (starter/api/contract.py) and sends them to the app on the real
Temporal and PostgreSQL servers, with the bearer tokens of several roles (and none), half of them aimed
at real cases. For every answer: no 5xx; the status, content type and body are the ones the operation
declares; and a refused request (4xx) changed no event stream.

Both of schemathesis's modes: positive (requests the schema allows: they meet the rules and the cases'
states) and negative (requests it forbids: each must be refused as declared). Bounded, with a fixed
seed: `SCHEMA_FUZZ_EXAMPLES` requests per operation and mode (default 2); `SCHEMA_FUZZ_MODES`
(default `positive,negative`). A deeper run: SCHEMA_FUZZ_EXAMPLES=20."""

from __future__ import annotations

import os
import random
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CheckFunction, not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from harness.apptest import App, running_app

EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "2"))
MODES = [GenerationMode(m) for m in os.environ.get("SCHEMA_FUZZ_MODES", "positive,negative").split(",")]
REGION, ENT = "500107", "ENT-SF"
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# the events a person's request records, before it is answered: what follows asynchronously (a child case,
# its updates to the parent, a clock) is the system's, and an enterprise's record hears of accepted
# commands by signal and records them a moment later; neither can race a later refused request
COUNT_CASE_EVENTS = "SELECT count(*) FROM events WHERE kind <> 'enterprise' AND actor->>'role' <> 'system'"


def cases_of(operation: Any, mode: GenerationMode) -> list[Any]:
    found: list[Any] = []

    @settings(
        max_examples=EXAMPLES,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        found.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing of the operation can be wrong (no parameter, no body): no negative case
        assert mode is GenerationMode.NEGATIVE, operation.label
    return found[:EXAMPLES]


def _files(parts: list[tuple[str, tuple[Any, Any]]] | None) -> list[tuple[str, tuple[Any, Any]]] | None:
    """A multipart body as httpx takes it: the generator also makes numbers and booleans of parts."""
    if parts is None:
        return None
    return [(k, (f, v if isinstance(v, str | bytes) else str(v))) for k, (f, v) in parts]


async def _events(app: App) -> int:
    async with app.engine.connect() as conn:
        return int((await conn.execute(text(COUNT_CASE_EVENTS))).scalar_one())


async def _seed_cases(app: App) -> dict[str, str]:
    """One case of each kind for the fuzzed paths to name: {plural: case id}."""
    where = {"enterprise_id": ENT, "region": REGION}
    seeds: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
        "hazards": (
            app.token("ent-1", "enterprise", REGION, ENT),
            {**where, "title": "blocked exit", "source": "self_inspection", "category": "unsafe_condition"},
        ),
        "incidents": (
            app.token("insp-1", "inspector", REGION),
            {
                **where,
                "occurred_at": "2026-01-05T08:00:00+08:00",
                "type": "other",
                "deaths": 0,
                "serious_injuries": 1,
                "direct_loss": "1000",
                "description": "fell",
            },
        ),
        "tips": ({}, {"channel": "web", "region": REGION, "content": "leaking tank"}),
    }
    real = {"enterprises": ENT}
    for plural, (token, body) in seeds.items():
        r = await app.http.post(f"/v1/{plural}", json=body, headers=token)
        assert r.status_code == 201, r.text
        real[plural] = r.json()["id"]
    return real


async def test_fuzzed_requests_never_5xx_conform_and_refusals_change_nothing(dev_env, db_url) -> None:
    rng = random.Random(20261203)
    # the national pack: no clock fires during the run, so any change to a stream is a request's doing
    async with running_app(dev_env.client, db_url, policy="cn-national") as app:
        tokens = [
            app.token("ent-1", "enterprise", REGION, ENT),
            app.token("insp-1", "inspector", REGION),
            app.token("sup-1", "supervisor", "500100"),
            app.token("aud-1", "auditor", "000000"),
            {},
        ]
        real = await _seed_cases(app)
        assert await _events(app) >= 2  # the count sees people's events (the hazard's, the incident's)
        spec = (await app.http.get("/openapi.json")).json()
        schema = schemathesis.openapi.from_dict(spec)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 40
        failures: list[str] = []
        statuses: dict[int, int] = {}
        for operation in operations:
            for case in [c for mode in MODES for c in cases_of(operation, mode)]:
                plural = case.path.split("/")[2] if case.path.startswith("/v1/") else ""
                if "case_id" in (case.path_parameters or {}) and plural in real and rng.random() < 0.75:
                    case.path_parameters["case_id"] = real[plural]
                if "enterprise_id" in (case.path_parameters or {}) and rng.random() < 0.5:
                    case.path_parameters["enterprise_id"] = ENT
                sent = case.as_transport_kwargs(base_url="http://api", headers=rng.choice(tokens))
                before = await _events(app)
                response = await app.http.request(
                    sent["method"],
                    sent["url"],
                    params=sent.get("params"),
                    headers=sent.get("headers"),
                    json=sent.get("json"),
                    content=sent.get("data") if isinstance(sent.get("data"), bytes) else None,
                    files=_files(sent.get("files")),
                    data=sent.get("data") if isinstance(sent.get("data"), dict) else None,
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                label = (
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
                )
                response.request.read()  # a multipart body was streamed: the checks read what was sent
                try:
                    case.validate_response(response, checks=CHECKS)
                except FailureGroup as e:
                    failures.append(f"{label}\n{str(e)[:600]}")
                if 400 <= response.status_code < 500 and await _events(app) != before:
                    failures.append(f"refused, yet an event was recorded: {label}")
        assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures[:40])
        assert sum(statuses.values()) >= len(operations) * 2, statuses
        assert statuses.get(200, 0) > 0 and statuses.get(401, 0) > 0 and statuses.get(403, 0) > 0, statuses
        assert statuses.get(409, 0) + statuses.get(422, 0) > 0, statuses  # bodies reached the rules
