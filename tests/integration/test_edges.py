"""Issue #15's edges of the HTTP API: statistics' `group_by` refused with a problem document, not a 500;
the traceback of any 500 in the JSON log; the public tip rate limit keyed by the real client (forwarding
headers only from configured proxies), with bounded memory and Retry-After; /metrics not open to all."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.apptest import running_app
from harness.servers import world_traversable_tmpdir
from runtime.settings import Settings
from starter.api.app import create_app
from tests.support.poll import eventually

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


TIP = {"channel": "web", "region": "500107", "content": "消防通道堵塞 fire exit blocked"}
LIMITED = {"tip_rate_limit_per_minute": 3, "trusted_proxies": ["10.0.0.0/8"]}


@pytest.fixture
async def limited(dev_env, db_url):
    async with running_app(dev_env.client, db_url, settings_overrides=LIMITED) as a:
        yield a


async def _exhaust(http: httpx.AsyncClient, headers: dict[str, str] | None = None) -> None:
    for _ in range(3):
        r = await http.post("/v1/tips", json=TIP, headers=headers or {})
        assert r.status_code == 201, r.text


def _refused(r: httpx.Response) -> int:
    """The seconds a 429 asks to wait: in Retry-After and in the problem document."""
    assert r.status_code == 429 and r.json()["code"] == "rate_limited", r.text
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 120 and r.json()["retry_after_seconds"] == wait, r.headers
    return wait


async def test_a_spoofed_forwarded_for_from_the_served_port_does_not_reset_the_limit(limited) -> None:
    """Through the HTTP server as `hazardloop api` runs it, from 127.0.0.1, which is no configured proxy:
    the peer's own X-Forwarded-For changes nothing (uvicorn would have believed it)."""
    from starter.cli import api_server

    server = api_server(limited.settings.model_copy(update={"api_port": 0}), limited.asgi)
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _true(server.started), "the API server to listen")
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            await _exhaust(http)
            _refused(await http.post("/v1/tips", json=TIP))
            for i in range(5):
                spoof = {"X-Forwarded-For": f"198.51.100.{i}"}
                _refused(await http.post("/v1/tips", json=TIP, headers=spoof))
    finally:
        server.should_exit = True
        await serving


async def _true(value: bool) -> bool:
    return value


async def test_forwarded_for_counts_only_from_a_configured_proxy(limited) -> None:
    async with limited.http_from("203.0.113.5") as direct, limited.http_from("10.1.2.3") as proxy:
        await _exhaust(direct)
        _refused(await direct.post("/v1/tips", json=TIP))
        _refused(await direct.post("/v1/tips", json=TIP, headers={"X-Forwarded-For": "198.51.100.9"}))
        # through the proxy, each client is its own: the one above is limited, another is not
        _refused(await proxy.post("/v1/tips", json=TIP, headers={"X-Forwarded-For": "203.0.113.5"}))
        await _exhaust(proxy, {"X-Forwarded-For": "203.0.113.7"})
        _refused(await proxy.post("/v1/tips", json=TIP, headers={"X-Forwarded-For": "203.0.113.7"}))
        # what the client put before the proxy's entry is not believed; nor is garbage
        spoofed = {"X-Forwarded-For": "192.0.2.44, 203.0.113.7"}
        _refused(await proxy.post("/v1/tips", json=TIP, headers=spoofed))
        r = await proxy.post("/v1/tips", json=TIP, headers={"X-Forwarded-For": "203.0.113.8"})
        assert r.status_code == 201, r.text
        # officers taking calls are not limited
        op = limited.token("op-1", "operator", "500107")
        r = await direct.post("/v1/tips", json=TIP, headers=op)
        assert r.status_code == 201, r.text


async def test_the_limiter_forgets_clients_whose_window_is_over() -> None:
    from limits import RateLimitItemPerSecond

    from starter.api.tips import RateLimiter

    limiter = RateLimiter(RateLimitItemPerSecond(1, 5))  # one request per 5 seconds
    assert await limiter.retry_after("198.51.100.1") is None
    assert (await limiter.retry_after("198.51.100.1") or 0) >= 1  # at once again: limited, with a wait
    for i in range(2000):
        assert await limiter.retry_after(f"198.51.{i // 256}.{i % 256}") is None
    kept = limiter.storage.storage  # type: ignore[union-attr]
    assert len(kept) >= 1000  # the clients are counted (a slow machine may have dropped the first few)

    async def forgotten() -> bool:
        await limiter.retry_after("192.0.2.1")  # a hit sweeps what has expired
        return len(kept) <= 2

    await eventually(forgotten, "the expired clients' counters to be dropped", within=30)


def test_trusted_proxies_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("HAZARDLOOP_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
    assert [str(n) for n in Settings().trusted_proxies] == ["10.0.0.0/8", "192.0.2.1/32"]
    monkeypatch.setenv("HAZARDLOOP_TRUSTED_PROXIES", "")
    assert Settings().trusted_proxies == []
    monkeypatch.setenv("HAZARDLOOP_TRUSTED_PROXIES", "10.0.0.0/8,not-an-address")
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings()


async def test_metrics_need_the_token_on_the_api_port_and_are_off_without_one(db_url) -> None:
    async def get(api: Any, headers: dict[str, str]) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://api") as http:
            return await http.get("/metrics", headers=headers)

    open_app = create_app(_settings(db_url))
    r = await get(open_app, {})
    assert r.status_code == 404 and r.json()["code"] == "not_found", r.text
    assert "hazardloop_http" not in r.text

    guarded = create_app(_settings(db_url, metrics_token="scrape-token-0123456789"))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-token-0123456789"}):
        r = await get(guarded, headers)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized", (headers, r.text)
        assert "hazardloop_http" not in r.text
    r = await get(guarded, {"Authorization": "Bearer scrape-token-0123456789"})
    assert r.status_code == 200 and 'route="/metrics",status="401"' in r.text, r.text


async def test_metrics_on_their_own_port(db_url) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = create_app(_settings(db_url, metrics_port=port))
    async with api.router.lifespan_context(api):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://api") as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/metrics")).status_code == 404
        async with httpx.AsyncClient(trust_env=False) as plain:
            r = await plain.get(f"http://127.0.0.1:{port}/metrics")
    assert r.status_code == 200 and 'route="/healthz",status="200"' in r.text, r.text
    async with httpx.AsyncClient(trust_env=False) as plain:  # and it stops with the API
        with pytest.raises(httpx.ConnectError):
            await plain.get(f"http://127.0.0.1:{port}/metrics")
