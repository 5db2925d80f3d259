"""Console sign-in through OpenID Connect against a tiny provider served on loopback in the test:
authorization code with PKCE (S256), the ID token verified with the provider's JWKS, claims mapped to the
actor; a forged state or a wrong verifier signs nobody in."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from harness.apptest import running_app

CLIENT, SECRET = "hazardloop-console", "client-secret-0123456789"


def provider_app(issuer: str) -> FastAPI:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "use": "sig"}
    grants: dict[str, dict[str, str]] = {}
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "jwks_uri": f"{issuer}/jwks",
        }

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return {"keys": [jwk]}

    @app.get("/authorize")
    async def authorize(request: Request) -> RedirectResponse:
        q = dict(request.query_params)
        assert q["client_id"] == CLIENT and q["code_challenge_method"] == "S256" and "openid" in q["scope"]
        code = secrets.token_urlsafe(16)
        grants[code] = q
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}", 302)

    @app.post("/token")
    async def token(
        code: str = Form(),
        code_verifier: str = Form(),
        client_id: str = Form(),
        client_secret: str = Form(),
        redirect_uri: str = Form(),
    ) -> JSONResponse:
        q = grants.pop(code, None)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=")
        if (
            q is None
            or client_id != CLIENT
            or client_secret != SECRET
            or redirect_uri != q["redirect_uri"]
            or challenge.decode() != q["code_challenge"]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": CLIENT,
            "sub": "oidc-insp-7",
            "iat": now,
            "exp": now + 300,
            "nonce": q["nonce"],
            "name": "王检查",
            "hl_role": "inspector",
            "hl_region": "500107",
        }
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
        return JSONResponse({"id_token": id_token, "access_token": "opaque", "token_type": "Bearer"})

    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def provider() -> AsyncIterator[str]:
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(provider_app(issuer), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    yield issuer
    server.should_exit = True
    await task


async def test_oidc_sign_in_with_pkce_maps_the_claims_to_the_actor(dev_env, db_url, provider: str) -> None:
    overrides = {
        "oidc_issuer": provider,
        "oidc_client_id": CLIENT,
        "oidc_client_secret": SECRET,
        "oidc_claims": "role=hl_role,region=hl_region,name=name",
    }
    async with running_app(dev_env.client, db_url, settings_overrides=overrides) as app:
        page = await app.http.get("/signin")
        assert 'href="/auth/login"' in page.text and "data-user=" not in page.text  # no demo users
        start = await app.http.get("/auth/login")
        assert start.status_code == 303
        authorize = start.headers["location"]
        assert authorize.startswith(f"{provider}/authorize?")
        assert parse_qs(urlsplit(authorize).query)["code_challenge_method"] == ["S256"]
        async with httpx.AsyncClient() as browser:
            back = await browser.get(authorize)
        assert back.status_code == 302
        callback = urlsplit(back.headers["location"])
        assert callback.path == "/auth/callback"

        forged = await app.http.get(f"/auth/callback?code=x&state={'A' * 43}")
        assert forged.status_code == 401 and "hl_session=" not in forged.headers.get("set-cookie", "")

        done = await app.http.get(f"{callback.path}?{callback.query}")
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/work"
        work = await app.http.get("/work")
        assert work.status_code == 200 and "王检查" in work.text and "执法人员" in work.text
        # the code is spent: a replay of the callback signs nobody in again
        app.http.cookies.clear()
        again = await app.http.get(f"{callback.path}?{callback.query}")
        assert again.status_code == 401
