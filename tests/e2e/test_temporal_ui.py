"""The Temporal Web UI made readable for authorised people: CORS on the codec route for the UI's origin
(and no other), a session-carried actor for the codec route, and a short human summary on each case's
workflow — a payload, encrypted and labelled with the case like every other."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Request
from google.protobuf import json_format

from domain.actors import Actor, Role
from harness.apptest import App, running_app
from runtime.codec import is_encrypted, label_of
from runtime.settings import get_settings
from tests.e2e.test_hazard_api import REPORT

UI = "http://127.0.0.1:8233"


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(
        dev_env.client,
        db_url,
        settings_overrides={"seal_key": get_settings().resolved_seal_key(), "temporal_port": 7233},
    ) as a:
        yield a


async def _hazard(app: App) -> dict[str, Any]:
    who = app.token("ent-user", "enterprise", REPORT["region"], REPORT["enterprise_id"])
    r = await app.http.post("/v1/hazards", json=REPORT, headers=who)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_codec_preflight_and_answer_carry_cors_for_the_ui_origin_only(app: App):
    pre = {"Origin": UI, "Access-Control-Request-Method": "POST"}
    r = await app.http.options(
        "/codec/decode", headers={**pre, "Access-Control-Request-Headers": "content-type"}
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == UI
    assert r.headers["access-control-allow-credentials"] == "true"
    assert "POST" in r.headers["access-control-allow-methods"]
    sup = app.token("sup-1", "supervisor", "000000")
    r = await app.http.post("/codec/decode", json={"payloads": []}, headers={**sup, "Origin": UI})
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == UI
    # another origin gets no CORS grant; the rest of the API has none at all
    r = await app.http.options("/codec/decode", headers={**pre, "Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    r = await app.http.get("/healthz", headers={"Origin": UI})
    assert "access-control-allow-origin" not in r.headers


async def test_codec_accepts_the_console_session_actor(app: App):
    r = await app.http.post("/codec/decode", json={"payloads": []}, headers={"Origin": UI})
    assert r.status_code == 401

    def session(request: Request) -> Actor | None:
        if request.cookies.get("test-session") != "sup":
            return None
        return Actor(id="sup-1", role=Role.supervisor, region="000000")

    app.asgi.state.session_actor = session
    r = await app.http.post(
        "/codec/decode", json={"payloads": []}, headers={"Origin": UI, "Cookie": "test-session=sup"}
    )
    assert r.status_code == 200, r.text
    r = await app.http.post("/codec/decode", json={"payloads": []}, headers={"Cookie": "test-session=x"})
    assert r.status_code == 401


async def test_workflow_has_an_encrypted_human_summary(app: App):
    case = await _hazard(app)
    desc = await app.client.get_workflow_handle(case["id"]).describe()
    summary = await desc.static_summary()
    assert summary is not None
    assert summary.startswith("隐患 · 配电箱未接地")
    assert REPORT["region"] in summary and REPORT["enterprise_id"] in summary
    details = await desc.static_details()
    assert details is not None and case["id"] in details
    raw = desc.raw_description.execution_config.user_metadata.summary
    assert is_encrypted(raw) and label_of(raw) == case["id"]
    assert "配电箱".encode() not in raw.data
    # the UI's codec request decodes it for a supervisor of the region
    sup = app.token("sup-1", "supervisor", REPORT["region"])
    body = {"payloads": [json_format.MessageToDict(raw)]}
    r = await app.http.post("/codec/decode", json=body, headers={**sup, "Origin": UI})
    assert r.status_code == 200, r.text
