"""Bad input at volume: a few thousand generated requests against the HTTP API (wrong types, missing
and unknown fields, every command type with junk, foreign and forged tokens, odd paths and ids, bodies
that are not JSON). No 5xx, ever; no refused request changes the event store or a workflow history."""

from __future__ import annotations

import json
import os
import random
import types
import typing
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text

from domain.decider import SYSTEM_COMMAND_TYPES
from domain.hazard.commands import HazardCommand
from domain.incident.commands import IncidentCommand
from domain.tip.commands import TipCommand
from harness.apptest import running_app
from starter.api.tips import TipIntake
from starter.service import CREATE_RENAME, CREATE_TYPE
from tests.support.poll import settled_history_length

N = int(os.environ.get("BAD_INPUT_REQUESTS", "4000"))
REGION, ENT = "500107", "ENT-FZ"
COMMANDS = [
    "grade", "regrade", "list_for_supervision", "submit_plan", "decide_plan", "report_progress",
    "request_extension", "decide_extension", "submit_explanation", "submit_rectification",
    "submit_assessment", "review", "impose_penalty", "reinspect", "order_stop_work", "lift_stop_work",
    "cancel", "report", "deadline_elapsed", "child_case_updated", "supplement", "triage", "approve_reward",
    "", "GRADE", "grade ", None, 7,
]  # fmt: skip
FIELDS = [
    "level", "deadline", "basis", "passed", "comment", "new_deadline", "amount", "decision_no", "summary",
    "evidence", "percent", "scope", "reason", "responsible", "measures", "funds", "contingency_plan",
    "authority", "requirements", "stop_work", "key", "due_at", "approved", "text", "region", "type",
]  # fmt: skip

# the events of the cases under test: an enterprise's record hears of accepted commands by signal and
# records them on its own stream a moment later, so it is left out (a refused request never reaches it)
COUNT_CASE_EVENTS = "SELECT count(*) FROM events WHERE kind <> 'enterprise'"


def junk(rng: random.Random, depth: int = 0) -> Any:
    choices: list[Any] = [
        None, True, False, 0, -1, 2**63, 1e308, float("nan") if depth else 3.5, "", " ", "general", "major",
        "2026-13-45T99:99:99", "2026-01-01T00:00:00+08:00", "P7D", "x" * rng.choice([1, 300, 20000]),
        "'; DROP TABLE events; --", "\u0000\ud7ff", "500107", "-1", "1e9999", "NaN",
    ]  # fmt: skip
    if depth < 2:
        choices += [[junk(rng, depth + 1) for _ in range(rng.randint(0, 3))], {"a": junk(rng, depth + 1)}]
    return rng.choice(choices)


async def test_thousands_of_bad_requests_never_5xx_and_change_nothing(dev_env, db_url) -> None:
    rng = random.Random(20261122)
    # the national pack: the target hazard's first clock (grading, 3 days) cannot fire during the run, so
    # any change to its history is a refused request's doing (the test pack's 30-second clock once fired
    # mid-run and grew the history under a refused request)
    async with running_app(dev_env.client, db_url, policy="cn-national") as app:
        tokens = {
            "enterprise": app.token("ent-1", "enterprise", REGION, ENT),
            "other_enterprise": app.token("ent-2", "enterprise", REGION, "ENT-OTHER"),
            "inspector": app.token("insp-1", "inspector", REGION),
            "far_inspector": app.token("insp-9", "inspector", "510100"),
            "supervisor": app.token("sup-1", "supervisor", "500100"),
            "auditor": app.token("aud-1", "auditor", "000000"),
            "forged": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged"},
            "none": {},
            "garbage": {"Authorization": "Basic dXNlcjpwYXNz"},
        }
        r = await app.http.post(
            "/v1/hazards",
            json={
                "title": "t",
                "enterprise_id": ENT,
                "region": REGION,
                "source": "self_inspection",
                "category": "unsafe_act",
            },
            headers=tokens["enterprise"],
        )
        assert r.status_code == 201, r.text
        hid = r.json()["id"]
        handle = app.client.get_workflow_handle(hid)
        # the enterprise's first case: behind the 201 it signals the record, finds none, starts it and
        # signals again; what a refused request adds is counted once that has settled
        history_before = await settled_history_length(handle)
        paths = [
            f"/v1/hazards/{hid}/commands", f"/v1/hazards/{hid}/commands", f"/v1/hazards/{hid}/commands",
            "/v1/hazards", "/v1/incidents", "/v1/tips", f"/v1/tips/{hid}/commands",
            f"/v1/incidents/{hid}/commands",
            "/v1/hazards/..%2F..%2Fetc/commands", "/v1/hazards/%00/commands", "/v1/hazards/NOPE-1/commands",
            f"/v1/tips/{hid}/reveal", f"/v1/regions/{REGION}/contacts", f"/v1/enterprises/{ENT}/responsible",
        ]  # fmt: skip
        statuses: dict[int, int] = {}

        async def events() -> int:
            async with app.engine.connect() as conn:
                return int((await conn.execute(text(COUNT_CASE_EVENTS))).scalar_one())

        async def history() -> int:
            return len((await handle.fetch_history()).events)

        for i in range(N):
            path = rng.choice(paths)
            body: Any = {"type": rng.choice(COMMANDS)}
            for f in rng.sample(FIELDS, rng.randint(0, 6)):
                body[f] = junk(rng)
            if rng.random() < 0.05:
                body = junk(rng)
            headers = dict(rng.choice(list(tokens.values())))
            before = await events()
            watch = path.startswith(f"/v1/hazards/{hid}")
            hist_before = await settled_history_length(handle) if watch else 0  # an accepted one's telling
            method = "PUT" if "contacts" in path or "responsible" in path else "POST"
            if rng.random() < 0.05:
                content = rng.choice([b"{", b"[]", b"null", b"\xff\xfe", b'{"type": "grade"' * 50])
                headers["Content-Type"] = "application/json"
                r = await app.http.request(method, path, content=content, headers=headers)
            else:
                try:
                    content = json.dumps(body, allow_nan=True).encode()
                except (ValueError, UnicodeEncodeError):
                    continue
                headers["Content-Type"] = "application/json"
                if rng.random() < 0.1:
                    headers["Idempotency-Key"] = rng.choice(["k", "x" * 500, ""])
                r = await app.http.request(method, path, content=content, headers=headers)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
            assert r.status_code < 500, (i, method, path, body, r.status_code, r.text[:300])
            if r.status_code >= 400:
                assert (
                    r.headers["content-type"].startswith("application/problem+json") or r.status_code == 405
                ), r.text
                assert await events() == before, (i, body, r.status_code)  # refused: nothing recorded
                if watch:
                    assert await history() == hist_before, (i, body)  # and nothing reached the history
        assert sum(statuses.values()) >= N * 0.9 and statuses.get(422, 0) > N // 4
        assert len((await handle.fetch_history()).events) >= history_before


async def test_odd_values_that_only_the_database_or_codec_would_choke_on_are_422(dev_env, db_url) -> None:
    async with running_app(dev_env.client, db_url) as app:
        sup = app.token("sup-1", "supervisor", "500100")
        r = await app.http.get("/v1/hazards", params={"enterprise_id": "E\x00-1"}, headers=sup)
        assert r.status_code == 422 and r.json()["code"] == "invalid_request", r.text
        for body in (b"not json", b'{"payloads": [{"metadata": 5}]}', b'{"payloads": "x"}'):
            r = await app.http.post(
                "/codec/decode", content=body, headers={**sup, "Content-Type": "application/json"}
            )
            assert r.status_code == 422, (body, r.status_code, r.text)


# ---- every field of every body, with the values hostile clients send ------------------------------------

NUL, LONG = "a\x00b", "x" * 1_000_000
RAW_INF = "__1e400__"  # spliced into the JSON text verbatim: 1e400 has no Python float
Path = tuple[str | int, ...]


def command_models(kind: str) -> list[type[BaseModel]]:
    """The kind's command bodies, from its pydantic command union (system commands left out)."""
    union = {"hazard": HazardCommand, "incident": IncidentCommand, "tip": TipCommand}[kind]
    found: list[type[BaseModel]] = []

    def walk(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            found.append(tp)
        for arg in typing.get_args(tp):
            walk(arg)

    walk(union)
    return [m for m in found if m.model_fields["type"].default not in SYSTEM_COMMAND_TYPES]


def _unwrap(tp: Any) -> tuple[Any, bool]:
    """The type inside Optional and list, and whether a list held it."""
    if typing.get_origin(tp) is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(args) == 1:
        return _unwrap(args[0])
    if typing.get_origin(tp) is list:
        return _unwrap(args[0])[0], True
    return tp, False


def hostile_values(tp: Any) -> list[Any]:
    """Values a field of type `tp` must refuse: booleans and strings where numbers go, non-ASCII digits,
    1e400, year 1, a 1 MB string."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [True, "３", LONG]
    if tp is bool:
        return ["３", "١", 3, LONG]
    if tp is int:
        return [True, "3", "３", "١٢٣", 2.5, RAW_INF, LONG]
    if tp is Decimal:
        return [True, "３", "١٢٣", RAW_INF, LONG]
    if tp is datetime:
        return [True, 1_700_000_000, "0001-01-01T00:00:00Z", "２０２６-01-01T00:00:00Z", LONG]
    if tp is str:
        return [True, 3, LONG]
    return [True, 3, "３", LONG]  # a choice (enum, literal)


def probes(model: type[BaseModel], at: Path = ()) -> Iterator[tuple[Path, Any, bool]]:
    """(where, what, must_name_the_field) for every field of `model` and of the bodies inside it: each
    hostile value the field's type refuses, and NUL in every string (refused at the edge once NUL is: a
    4xx that changes nothing, whichever field it names)."""
    for name, info in model.model_fields.items():
        if name == "type" and not at:
            continue
        tp, many = _unwrap(info.annotation)
        here: Path = (*at, name, 0) if many else (*at, name)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            yield from probes(tp, here)
        for v in hostile_values(tp):
            yield here, v, True
        if tp is str:
            yield here, NUL, False


def nest(path: Path, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    return [nest(rest, value)] if isinstance(head, int) else {head: nest(rest, value)}


def encoded(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).replace(f'"{RAW_INF}"', "1e400").encode()


def targets(
    kind: str, case_ids: dict[str, str]
) -> Iterator[tuple[str, str, type[BaseModel], dict[str, str]]]:
    """(url, the body's `type` or "" for the intake, its model, renames) for every body of a kind."""
    for model in command_models(kind):
        ctype = model.model_fields["type"].default
        if ctype == CREATE_TYPE[kind]:
            if kind == "tip":
                yield "/v1/tips", "", TipIntake, {}
            else:
                renames = {v: k for k, v in CREATE_RENAME.get(kind, {}).items()}
                yield f"/v1/{kind}s", "", model, renames
        else:
            yield f"/v1/{kind}s/{case_ids[kind]}/commands", ctype, model, {}


async def test_every_field_of_every_body_refuses_hostile_values_and_changes_nothing(dev_env, db_url) -> None:
    async with running_app(dev_env.client, db_url, policy="cn-national") as app:
        ent = app.token("ent-1", "enterprise", REGION, ENT)
        operator = app.token("op-1", "operator", REGION)
        bodies = {
            "hazard": ("/v1/hazards", ent, {"title": "t", "enterprise_id": ENT, "region": REGION,
                                           "source": "self_inspection", "category": "unsafe_act"}),
            "incident": ("/v1/incidents", ent, {"enterprise_id": ENT, "region": REGION, "type": "other",
                                               "deaths": 0, "serious_injuries": 0, "direct_loss": 0,
                                               "occurred_at": "2026-01-01T08:00:00+08:00",
                                               "description": "d"}),
            "tip": ("/v1/tips", operator, {"channel": "visit", "region": REGION, "content": "c"}),
        }  # fmt: skip
        case_ids: dict[str, str] = {}
        for kind, (url, who, body) in bodies.items():
            r = await app.http.post(url, json=body, headers=who)
            assert r.status_code == 201, r.text
            case_ids[kind] = r.json()["id"]
        # an auditor reads everything and may do nothing: a probe the schema let through is still refused
        auditor = {**app.token("aud-1", "auditor", REGION), "Content-Type": "application/json"}

        async def snapshot() -> tuple[int, list[int]]:
            async with app.engine.connect() as conn:
                n = int((await conn.execute(text(COUNT_CASE_EVENTS))).scalar_one())
            lengths = [
                len((await app.client.get_workflow_handle(c).fetch_history()).events)
                for c in case_ids.values()
            ]
            return n, lengths

        before = await snapshot()
        sent = 0
        for kind in bodies:
            for url, ctype, model, renames in targets(kind, case_ids):
                for path, value, names_field in probes(model):
                    body = nest((renames.get(str(path[0]), str(path[0])), *path[1:]), value)
                    if ctype:
                        body["type"] = ctype
                    r = await app.http.post(url, content=encoded(body), headers=auditor)
                    sent += 1
                    where = ".".join(str(p) for p in path)
                    assert r.status_code < 500, (url, where, repr(value)[:40], r.text[:300])
                    assert 400 <= r.status_code < 500, (url, where, repr(value)[:40], r.status_code)
                    assert r.headers["content-type"].startswith("application/problem+json"), r.text[:300]
                    if names_field and r.status_code == 422:
                        named = {e["field"] for e in r.json().get("errors", [])} | {r.json().get("field")}
                        assert where in named, (url, where, repr(value)[:40], sorted(map(str, named)))
                    elif names_field:
                        assert r.status_code == 413, (
                            url,
                            where,
                            repr(value)[:40],
                            r.status_code,
                            r.text[:300],
                        )
        assert sent > 500
        assert await snapshot() == before  # no probe recorded an event or reached a history
