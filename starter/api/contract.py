"""The published HTTP contract (issue #20): the OpenAPI document at `/openapi.json`, typed.

The case routes parse their bodies themselves (strict numbers and dates, the storable-text check, Chinese
problem details, 413 before buffering: starter/api/text_guard.py, starter/service.py), so FastAPI only
sees an untyped object. This module changes no route and no validation: it post-processes the generated
document, once, so that it says what the routes do —

- each create and `…/commands` body is the kind's command union of `domain/<kind>/commands.py` (one
  schema per command type, discriminated by `type` with a `discriminator` mapping), without the system
  commands (`domain.decider.SYSTEM_COMMAND_TYPES`) and, on `…/commands`, without the creation command;
- the case view, the command result, the lists and the event stream have response schemas;
- every refusal a route can give is declared with the RFC 9457 problem schema (starter/api/problems.py),
  `application/problem+json`;
- operation ids are readable (`createHazard`, `hazardCommand`, `getHazard`, `listHazards`, …).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any, get_args, get_origin

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from domain.decider import SYSTEM_COMMAND_TYPES
from domain.registry import get_spec
from starter.service import PLURAL

REF = "#/components/schemas/"
PROBLEM_MEDIA = "application/problem+json"

PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem document. `title` and `detail` are Chinese unless Accept-Language "
    "prefers English; `code`, `rule` and `field` are stable English.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "https://hazardloop.dev/problems/<code>"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "stable, e.g. invalid_command, not_allowed_in_state"},
        "field": {"type": "string", "description": "the request field the refusal is about"},
        "rule": {"type": "string", "description": "the rule that refused (docs/rules.md)"},
        "allowed": {"description": "what the rule allows instead"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "problem": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}


def _object(properties: dict[str, Any], *required: str, open_: bool = False, doc: str = "") -> dict[str, Any]:
    """An object schema; `open_`: fields beyond `properties` may appear."""
    schema = {"type": "object", "required": list(required), "properties": properties}
    return {**({"description": doc} if doc else {}), **schema, "additionalProperties": open_}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


STRING: dict[str, Any] = {"type": "string"}

CASE_VIEW = _object(
    {
        "id": STRING,
        "status": STRING,
        "version": {"type": "integer", "minimum": 0, "description": "the number of the case's last event"},
        "region": STRING,
        "allowed_commands": _array(STRING),
    },
    "id",
    "status",
    open_=True,
    doc="A case as its kind's view shows it (docs/http-api.md#the-case-view); the fields beyond these "
    "depend on the kind and on the reader's role.",
)
EVENT = _object(
    {"type": STRING, "version": {"type": "integer", "minimum": 1}},
    "type",
    "version",
    open_=True,
    doc="One event of a case's stream, as stored",
)
COMMAND_RESULT = _object(
    {"case": {"$ref": REF + "CaseView"}, "events": _array({"type": "object"})}, "case", "events"
)
CASE_LIST = _object(
    {"items": _array({"$ref": REF + "CaseView"}), "next_cursor": {"anyOf": [STRING, {"type": "null"}]}},
    "items",
    "next_cursor",
)
EVENT_LIST = _object({"id": STRING, "events": _array({"$ref": REF + "Event"})}, "id", "events")

SHARED = {
    "Problem": PROBLEM,
    "CaseView": CASE_VIEW,
    "Event": EVENT,
    "CommandResult": COMMAND_RESULT,
    "CaseList": CASE_LIST,
    "EventList": EVENT_LIST,
}

REASONS = {
    400: "the body is not JSON, or not a well-formed multipart form (`http_error`)",
    401: "no valid bearer token (`unauthorized`)",
    403: "the caller's role or jurisdiction does not allow it (`forbidden`, with `rule`)",
    404: "no such case or resource (`not_found`)",
    409: "the case's state refuses it, or the Idempotency-Key was used for another request",
    413: "the body is larger than the API accepts (`payload_too_large`)",
    422: "a field or rule refuses the request (`invalid_request`, `invalid_command`; `field`, `rule`)",
    429: "too many requests from this address (`rate_limited`, with Retry-After)",
    503: "Temporal or the database is unavailable, or the workflow did not answer in time: retry "
    "with the same Idempotency-Key (`unavailable`)",
}

# refusals of routes that take no bearer token or read their body themselves: the public tip intake
# counts hits per address and takes an operator's optional token (a hotline call), a tip's status needs
# its claim token (starter/api/tips.py, starter/api/blob_routes.py); the codec reads its own JSON
# (starter/api/codec_routes.py)
ROUTE_REFUSALS = {
    "intake": {401, 403, 429},
    "upload_public": {429},
    "status": {403},
    "decode": {400, 413, 422},
    "daily_reports": {409},  # the enterprise is not in the registry (rule not_registered)
    "record": {404},  # POST /v1/inspections: no enterprise with the body's enterprise_id
}

# the case routes' names (starter/api/app.py `_case_routes`) and their operation ids
CASE_OPERATIONS: dict[str, Callable[[str, str], str]] = {
    "report": lambda kind, plural: f"create{_camel(kind)}",
    "command": lambda kind, plural: f"{kind}Command",
    "get": lambda kind, plural: f"get{_camel(kind)}",
    "list": lambda kind, plural: f"list{_camel(plural)}",
    "events": lambda kind, plural: f"{kind}Events",
}
RENAMED = {
    "intake": "createTip",
    "status": "tipStatus",
    "reveal": "revealTipReporter",
    "upload": "uploadBlob",
    "upload_public": "uploadTipBlob",
    "download": "downloadBlob",
    "download_thumbnail": "downloadThumbnail",
    "put_region": "putRegionContacts",
    "get_region": "getRegionContacts",
    "decode": "codecDecode",
}


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name) if part)


def _lower_camel(name: str) -> str:
    camel = _camel(name)
    return camel[:1].lower() + camel[1:]


def _case_route(name: str) -> tuple[str, str, str] | None:
    """(operation, kind, plural) when `name` is one of the shared case routes, else None."""
    for plural, kind in PLURAL.items():
        for op in CASE_OPERATIONS:
            if name in (f"{op}_{kind}", f"{op}_{plural}"):
                return op, kind, plural
    return None


def operation_id(name: str) -> str:
    case = _case_route(name)
    if case is not None:
        op, kind, plural = case
        return CASE_OPERATIONS[op](kind, plural)
    return RENAMED.get(name) or _lower_camel(name)


# ---- the command schemas ------------------------------------------------------------------------------


def command_models(kind: str) -> list[type[BaseModel]]:
    """The members of the kind's command union a person may send (the system's own left out)."""
    union: Any = get_spec(kind).commands
    if get_origin(union) is Annotated:
        union = get_args(union)[0]
    members = get_args(union) or (union,)
    return [m for m in members if _type_of(m) not in SYSTEM_COMMAND_TYPES]


def _type_of(model: type[BaseModel]) -> str:
    field = model.model_fields["type"]
    literal = get_args(field.annotation)
    return str(literal[0] if literal else field.default)


def _rewrite_refs(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite_refs(v, names) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            out["$ref"] = REF + names[ref.removeprefix("#/$defs/")]
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, names) for v in node]
    return node


def _add_kind_schemas(kind: str, components: dict[str, Any]) -> dict[str, str]:
    """Adds the kind's command schemas to `components`; returns {command type: component name}."""
    models = command_models(kind)
    refs, top = models_json_schema([(m, "validation") for m in models], ref_template="#/$defs/{model}")
    defs: dict[str, Any] = top.get("$defs", {})
    member = {refs[(m, "validation")]["$ref"].removeprefix("#/$defs/"): _type_of(m) for m in models}
    names = {d: _camel(kind) + _camel(member[d]) if d in member else d for d in defs}
    for d in defs:  # a nested part another kind defines differently gets the kind's prefix
        if d not in member and d in components and components[d] != _rewrite_refs(defs[d], names):
            names[d] = _camel(kind) + d
    for d, schema in defs.items():
        components[names[d]] = _rewrite_refs(schema, names)
        if d in member:  # the route refuses a command without its type (starter/service.py)
            required = components[names[d]].setdefault("required", [])
            if "type" not in required:
                required.insert(0, "type")
    return {member[d]: names[d] for d in member}


def _one_of(by_type: dict[str, str]) -> dict[str, Any]:
    return {
        "oneOf": [{"$ref": REF + name} for name in by_type.values()],
        "discriminator": {"propertyName": "type", "mapping": {t: REF + n for t, n in by_type.items()}},
    }


def _creation_schema(kind: str, command: dict[str, Any]) -> dict[str, Any]:
    """The creation command as POST /v1/<plural> takes it: the route sets `type` itself, and a field the
    command renames (an incident's `type` is its `incident_type`) has its body name."""
    spec = get_spec(kind)
    body = copy.deepcopy(command)
    body["title"] = f"New{_camel(kind)}"
    props: dict[str, Any] = body.get("properties", {})
    required: list[str] = [r for r in body.get("required", []) if r != "type"]
    props.pop("type", None)
    for outer, inner in spec.create_rename.items():
        if inner in props:
            props[outer] = props.pop(inner)
        required = [outer if r == inner else r for r in required]
    body["required"] = required
    if not required:
        body.pop("required")
    return body


# ---- the document -------------------------------------------------------------------------------------


def _json(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"content": {media: {"schema": schema}}}


def _operations(app: FastAPI, spec: dict[str, Any]) -> Iterator[tuple[APIRoute, dict[str, Any]]]:
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in sorted(route.methods or ()):
            op = spec["paths"].get(route.path_format, {}).get(method.lower())
            if op is not None:
                yield route, op


def _refusals(route: APIRoute, op: dict[str, Any]) -> list[int]:
    statuses = {422} if op.get("parameters") or "requestBody" in op else set()
    api = route.path_format.startswith("/v1/")  # the case API: Temporal and the database behind it
    if op.get("security"):
        statuses |= {401, 403}
    if "{" in route.path_format:
        statuses.add(404)
    if "requestBody" in op:
        statuses |= {400, 413}
    if (route.methods or set()) & {"POST", "PUT"} and api:
        statuses.add(409)
    statuses |= ROUTE_REFUSALS.get(route.name, set())
    if api:
        statuses.add(503)
    return sorted(statuses)


def build(app: FastAPI) -> dict[str, Any]:
    app.openapi_schema = None
    spec = copy.deepcopy(FastAPI.openapi(app))
    components: dict[str, Any] = spec.setdefault("components", {}).setdefault("schemas", {})
    for generated in ("HTTPValidationError", "ValidationError"):
        components.pop(generated, None)
    components.update(copy.deepcopy(SHARED))
    commands = {kind: _add_kind_schemas(kind, components) for kind in PLURAL.values()}
    created = {
        case[1] for r, _ in _operations(app, spec) if (case := _case_route(r.name)) and case[0] == "report"
    }
    for kind, by_type in commands.items():
        creation = get_spec(kind).creation
        if creation in by_type and kind in created:
            name = by_type[creation]
            components[f"New{_camel(kind)}"] = _creation_schema(kind, components.pop(name))
        components.pop(by_type[creation], None)  # a kind without the route: its own intake
        acting = {t: n for t, n in by_type.items() if t != creation}
        components[f"{_camel(kind)}Command"] = {"title": f"{_camel(kind)}Command", **_one_of(acting)}

    for route, op in _operations(app, spec):
        op["operationId"] = operation_id(route.name)
        responses: dict[str, Any] = op.setdefault("responses", {})
        responses.pop("422", None)
        case = _case_route(route.name)
        if case is not None:
            _type_case_operation(op, *case)
        if route.name.startswith("audit_") and route.name.removeprefix("audit_") in PLURAL.values():
            # ?format=text: the trail rendered for reading (starter/api/audit_routes.py)
            responses["200"]["content"]["text/plain"] = {"schema": STRING}
        for status in _refusals(route, op):
            responses.setdefault(
                str(status),
                {"description": REASONS[status], **_json({"$ref": REF + "Problem"}, PROBLEM_MEDIA)},
            )
    return spec


def _type_case_operation(op: dict[str, Any], name: str, kind: str, plural: str) -> None:
    responses = op["responses"]
    camel = _camel(kind)
    if name == "report":
        op["requestBody"] = {"required": True, **_json({"$ref": REF + f"New{camel}"})}
        view = {"$ref": REF + "CaseView"}
        responses["201"] = {"description": f"the new {kind}'s view", **_json(view)}
        responses["200"] = {"description": "an idempotent retry: the case it created", **_json(view)}
    elif name == "command":
        op["requestBody"] = {"required": True, **_json({"$ref": REF + f"{camel}Command"})}
        responses["200"] = {
            "description": "the case after the command, and its events",
            **_json({"$ref": REF + "CommandResult"}),
        }
    else:
        schema = {"get": "CaseView", "list": "CaseList", "events": "EventList"}[name]
        responses["200"] = {"description": "Successful Response", **_json({"$ref": REF + schema})}


def install(app: FastAPI) -> None:
    """Serve the typed document at /openapi.json (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
