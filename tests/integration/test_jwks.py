"""The JWKS behind RS256 tokens is fetched without blocking the event loop and cached: a rotated key is
accepted after one refetch, unknown key ids refetch at most once per interval, and while the provider is
slow the API serves other requests (issue #20). A local JWKS endpoint; no network."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from temporalio.testing import WorkflowEnvironment

from harness.apptest import running_app
from runtime.settings import Settings
from starter.auth import AuthError, TokenVerifier
from starter.jwks import JwksCache, JwksError


def _key(kid: str) -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": kid, "use": "sig"}
    return key, jwk


def _token(key: rsa.RSAPrivateKey, kid: str) -> str:
    claims = {"sub": "insp-1", "role": "inspector", "region": "500107", "exp": int(time.time()) + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@dataclass
class Provider:
    """A JWKS endpoint on loopback: serves `keys`, after `delay` seconds; counts its requests."""

    keys: list[dict[str, Any]]
    delay: float = 0.0
    requests: int = 0
    url: str = ""
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.requests += 1
        self.started.set()
        await asyncio.sleep(self.delay)  # the provider answering slowly
        body = json.dumps({"keys": self.keys}).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"Connection: close\r\n\r\n" + body)
        await writer.drain()
        writer.close()


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    p = Provider(keys=[])
    server = await asyncio.start_server(p.handle, "127.0.0.1", 0)
    p.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/jwks"
    yield p
    server.close()


def _verifier(url: str, **values: Any) -> TokenVerifier:
    return TokenVerifier(Settings(_env_file=None, jwt_jwks_url=url, **values))  # type: ignore[call-arg]


async def test_keys_are_cached_and_a_rotated_key_is_accepted_after_a_refetch(provider: Provider) -> None:
    old, old_jwk = _key("k1")
    new, new_jwk = _key("k2")
    provider.keys = [old_jwk]
    verifier = _verifier(provider.url, jwt_jwks_min_refresh_seconds=0)
    for _ in range(3):
        assert (await verifier.authenticate(f"Bearer {_token(old, 'k1')}")).id == "insp-1"
    assert provider.requests == 1  # cached

    provider.keys = [old_jwk, new_jwk]  # the provider rotates
    assert (await verifier.authenticate(f"Bearer {_token(new, 'k2')}")).id == "insp-1"
    assert provider.requests == 2
    assert (await verifier.authenticate(f"Bearer {_token(old, 'k1')}")).id == "insp-1"
    assert provider.requests == 2

    forged, _ = _key("k2")  # the right kid, another key
    with pytest.raises(AuthError, match="invalid token"):
        await verifier.authenticate(f"Bearer {_token(forged, 'k2')}")


async def test_unknown_key_ids_refetch_at_most_once_per_interval(provider: Provider) -> None:
    key, jwk = _key("k1")
    provider.keys = [jwk]
    now = [1000.0]
    cache = JwksCache(provider.url, ttl=300, min_refresh=10, clock=lambda: now[0])
    await cache.key_for(_token(key, "k1"))
    stranger, _ = _key("kX")
    with pytest.raises(JwksError, match="does not publish"):
        await cache.key_for(_token(stranger, "kX"))
    assert provider.requests == 1  # just fetched: no refetch yet
    now[0] += 11
    for _ in range(5):
        with pytest.raises(JwksError, match="does not publish"):
            await cache.key_for(_token(stranger, "kX"))
    assert provider.requests == 2  # one refetch for the unknown kid, then none within the interval
    now[0] += 11
    with pytest.raises(JwksError):
        await cache.key_for(_token(stranger, "kX"))
    assert provider.requests == 3
    now[0] += 300  # stale: refetched whatever the token
    await cache.key_for(_token(key, "k1"))
    assert provider.requests == 4


async def test_concurrent_requests_share_one_fetch(provider: Provider) -> None:
    key, jwk = _key("k1")
    provider.keys, provider.delay = [jwk], 0.3
    verifier = _verifier(provider.url)
    token = f"Bearer {_token(key, 'k1')}"
    actors = await asyncio.gather(*(verifier.authenticate(token) for _ in range(10)))
    assert {a.id for a in actors} == {"insp-1"} and provider.requests == 1


async def test_the_api_serves_other_requests_while_the_jwks_endpoint_is_slow(
    provider: Provider, dev_env: WorkflowEnvironment, db_url: str
) -> None:
    key, jwk = _key("k1")
    provider.keys, provider.delay = [jwk], 2.0
    overrides = {"jwt_jwks_url": provider.url, "jwt_algorithm": "RS256"}
    async with running_app(dev_env.client, db_url, with_worker=False, settings_overrides=overrides) as app:
        headers = {"Authorization": f"Bearer {_token(key, 'k1')}"}
        authed = asyncio.create_task(app.http.get("/v1/hazards", headers=headers))
        await asyncio.wait_for(provider.started.wait(), 10)
        health = await app.http.get("/healthz")
        assert health.status_code == 200
        assert not authed.done(), "the health check waited for the JWKS fetch"
        assert (await authed).status_code == 200
    assert provider.requests == 1
