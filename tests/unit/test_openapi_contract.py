"""The published contract (starter/api/contract.py, issue #20): /openapi.json validates as OpenAPI 3.1,
publishes every command type of every kind with its fields behind a `type` discriminator, types the case
responses, declares each operation's refusals with the problem schema, and names operations readably."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from domain.decider import SYSTEM_COMMAND_TYPES
from domain.registry import get_spec
from runtime.settings import Settings
from starter.api.app import create_app
from starter.api.contract import command_models
from starter.service import PLURAL

REF = "#/components/schemas/"
KINDS = ["hazard", "incident", "tip", "enterprise"]


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        temporal_address="127.0.0.1:1",
        jwt_secret="test-secret-0123456789-0123456789-abcdef",
        data_dir=Path(tmp_path_factory.mktemp("contract")),
    )
    app = create_app(settings)
    return app.openapi()


async def test_served_document_is_the_typed_one(tmp_path: Path, spec: dict[str, Any]) -> None:
    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        temporal_address="127.0.0.1:1",
        jwt_secret="test-secret-0123456789-0123456789-abcdef",
        data_dir=tmp_path,
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        served = (await http.get("/openapi.json")).json()
    assert served == spec


def test_spec_validates(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def _schema(spec: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith(REF), ref
    found: dict[str, Any] = spec["components"]["schemas"][ref.removeprefix(REF)]
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_every_command_type_is_published_with_its_fields(spec: dict[str, Any], kind: str) -> None:
    plural = get_spec(kind).plural
    body = spec["paths"][f"/v1/{plural}/{{case_id}}/commands"]["post"]["requestBody"]
    union = _schema(spec, body["content"]["application/json"]["schema"]["$ref"])
    mapping = union["discriminator"]["mapping"]
    assert union["discriminator"]["propertyName"] == "type"
    assert sorted(union["oneOf"], key=str) == sorted(({"$ref": r} for r in mapping.values()), key=str)
    expected = {
        m.model_fields["type"].default: m for m in command_models(kind) if m.model_fields["type"].default
    }
    expected.pop(get_spec(kind).creation)
    assert set(mapping) == set(expected), kind
    assert not set(mapping) & set(SYSTEM_COMMAND_TYPES)
    for ctype, model in expected.items():
        schema = _schema(spec, mapping[ctype])
        assert set(schema["properties"]) == set(model.model_fields), ctype
        assert schema["properties"]["type"]["const"] == ctype
        assert "type" in schema["required"]
        assert schema["additionalProperties"] is False  # extra="forbid": an unknown field is refused
        required = {n for n, f in model.model_fields.items() if f.is_required()}
        assert required <= set(schema["required"]), ctype


def test_every_reference_resolves(spec: dict[str, Any]) -> None:
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    assert refs
    names = spec["components"]["schemas"]
    assert [r for r in refs if r.removeprefix(REF) not in names] == []
    assert "HTTPValidationError" not in names  # FastAPI's shape: the API answers problem documents


def test_creation_bodies_are_what_the_routes_take(spec: dict[str, Any]) -> None:
    hazard = _schema(
        spec,
        spec["paths"]["/v1/hazards"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
    )
    assert "type" not in hazard["properties"]  # the route sets it (report)
    assert {"title", "region", "enterprise_id", "source", "category"} <= set(hazard["properties"])
    assert {"title", "region"} <= set(hazard["required"])
    incident = _schema(spec, REF + "NewIncident")
    # the body's `type` is the accident type (the command's incident_type)
    assert "incident_type" not in incident["properties"] and "type" in incident["required"]
    assert incident["properties"]["type"]["$ref"].startswith(REF)
    tip = spec["paths"]["/v1/tips"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert tip == {"$ref": REF + "TipIntake"}


def test_case_responses_are_typed(spec: dict[str, Any]) -> None:
    for plural, kind in PLURAL.items():
        paths = spec["paths"]
        ok = {
            (f"/v1/{plural}/{{case_id}}", "get"): "CaseView",
            (f"/v1/{plural}", "get"): "CaseList",
            (f"/v1/{plural}/{{case_id}}/commands", "post"): "CommandResult",
            (f"/v1/{plural}/{{case_id}}/events", "get"): "EventList",
        }
        for (path, method), schema in ok.items():
            got = paths[path][method]["responses"]["200"]["content"]["application/json"]["schema"]
            assert got == {"$ref": REF + schema}, (kind, path)
    audit = spec["paths"]["/v1/hazards/{case_id}/audit"]["get"]["responses"]["200"]["content"]
    assert audit["text/plain"] == {"schema": {"type": "string"}}  # ?format=text
    created = spec["paths"]["/v1/hazards"]["post"]["responses"]
    assert created["201"]["content"]["application/json"]["schema"] == {"$ref": REF + "CaseView"}
    assert created["200"]["content"]["application/json"]["schema"] == {"$ref": REF + "CaseView"}


def test_refusals_are_declared_as_problem_documents(spec: dict[str, Any]) -> None:
    problem = {"$ref": REF + "Problem"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    assert answer["content"] == {"application/problem+json": {"schema": problem}}, (
                        path,
                        method,
                        status,
                    )
    command = spec["paths"]["/v1/hazards/{case_id}/commands"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "422", "503"} <= set(command)
    intake = spec["paths"]["/v1/tips"]["post"]["responses"]
    # public, but an operator taking a call may send a token, refused when bad; hits are counted
    assert {"401", "403", "413", "422", "429", "503"} <= set(intake)
    assert "security" not in spec["paths"]["/v1/tips"]["post"]
    assert "403" in spec["paths"]["/v1/tips/{case_id}/status"]["get"]["responses"]  # the claim token
    codec = spec["paths"]["/codec/decode"]["post"]["responses"]  # reads its own body
    assert {"400", "401", "403", "413", "422"} <= set(codec)
    assert set(spec["paths"]["/healthz"]["get"]["responses"]) == {"200"}
    assert _schema(spec, REF + "Problem")["required"] == ["type", "title", "status", "detail", "code"]


def test_operation_ids_are_readable_and_unique(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not re.fullmatch(r"[a-z][A-Za-z0-9]*", i)] == []
    by_path = {(p, m): op["operationId"] for p, ops in spec["paths"].items() for m, op in ops.items()}
    assert by_path[("/v1/hazards", "post")] == "createHazard"
    assert by_path[("/v1/hazards/{case_id}/commands", "post")] == "hazardCommand"
    assert by_path[("/v1/hazards/{case_id}", "get")] == "getHazard"
    assert by_path[("/v1/hazards", "get")] == "listHazards"
    assert by_path[("/v1/incidents/{case_id}/events", "get")] == "incidentEvents"
    assert by_path[("/v1/tips", "post")] == "createTip"
    assert by_path[("/v1/enterprises/{case_id}/commands", "post")] == "enterpriseCommand"
