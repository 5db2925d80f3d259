"""Issue #15's edges of the HTTP API: statistics' `group_by` refused with a problem document, not a 500;
the traceback of any 500 in the JSON log; the public tip rate limit keyed by the real client (forwarding
headers only from configured proxies), with bounded memory and Retry-After; /metrics not open to all."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from starter.api.app import create_app
from starter.settings import Settings
from tests.support.apptest import running_app
from tests.support.servers import world_traversable_tmpdir

HAZARD = {
    "title": "配电箱未接地 distribution box not earthed",
    "description": "found in the weekly self-inspection",
    "enterprise_id": "ENT-1",
    "region": "500107",
    "industry": "manufacturing",
    "location": "workshop 2",
    "source": "self_inspection",
    "category": "unsafe_condition",
    "risk_color": "yellow",
}


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url) as a:
        yield a


def _settings(db_url: str, **kw: Any) -> Settings:
    return Settings(
        database_url=db_url,
        temporal_address="127.0.0.1:1",  # never reached by these routes
        jwt_secret="test-secret-0123456789-0123456789-abcdef",
        data_dir=world_traversable_tmpdir("hazardloop-edges-"),
        **kw,
    )


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The JSON log the service writes (the handler `configure_logging` installed), captured."""
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_hazardloop", False)]
    assert isinstance(handler, logging.StreamHandler)
    buf = io.StringIO()
    old = handler.setStream(buf)
    try:
        yield buf
    finally:
        handler.setStream(old)


async def test_group_by_repeated_or_unknown_is_422_naming_group_by_and_the_allowed_values(app) -> None:
    sup = app.token("sup-1", "supervisor", "500100")
    ent = app.token("ent-user", "enterprise", "500107", "ENT-1")
    r = await app.http.post("/v1/hazards", json=HAZARD, headers=ent)
    assert r.status_code == 201, r.text
    ok = await app.http.get("/v1/stats/hazards", params={"group_by": "region,status"}, headers=sup)
    assert ok.status_code == 200 and ok.json()["rows"][0]["count"] == 1, ok.text
    for bad in ("region,region", "status,level,status", "colour", "region,colour"):
        r = await app.http.get("/v1/stats/hazards", params={"group_by": bad}, headers=sup)
        assert r.status_code == 422, (bad, r.status_code, r.text)
        body = r.json()
        assert body["field"] == "group_by" and body["code"] == "invalid_command", body
        assert body["allowed"] == ["city", "enterprise_id", "level", "province", "region", "status"], body
        assert "group_by" in body["detail"], body


async def test_a_500_logs_its_traceback_as_text(db_url, log_lines) -> None:
    api = create_app(_settings(db_url))

    @api.get("/boom")
    async def boom() -> None:
        raise RuntimeError("deliberate failure for the log test")

    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        r = await http.get("/boom")
    assert r.status_code == 500 and r.json()["code"] == "internal_error"
    records = [json.loads(line) for line in log_lines.getvalue().splitlines() if line.startswith("{")]
    [unhandled] = [x for x in records if x.get("event") == "unhandled error"]
    assert "exc_info" not in unhandled, unhandled
    trace = unhandled["exception"]
    assert trace.startswith("Traceback (most recent call last):"), trace
    assert "RuntimeError: deliberate failure for the log test" in trace and "in boom" in trace
