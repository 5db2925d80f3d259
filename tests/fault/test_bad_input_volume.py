"""Bad input at volume: a few thousand generated requests against the HTTP API (wrong types, missing
and unknown fields, every command type with junk, foreign and forged tokens, odd paths and ids, bodies
that are not JSON). No 5xx, ever; no refused request changes the event store or a workflow history."""

from __future__ import annotations

import json
import os
import random
from typing import Any

from sqlalchemy import text

from tests.support.apptest import running_app

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
        history_before = len((await handle.fetch_history()).events)
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
                return int((await conn.execute(text("SELECT count(*) FROM events"))).scalar_one())

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
            hist_before = await history() if watch else 0
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
