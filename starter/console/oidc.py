"""Console sign-in through OpenID Connect: authorization code with PKCE (S256), against the provider's
discovery document; the ID token is verified with the provider's keys (JWKS), its claims mapped to an
Actor (role, region, enterprise) as `HAZARDLOOP_OIDC_CLAIMS` says."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from domain.actors import Actor
from runtime.settings import Settings
from starter.auth import AuthError, actor_from_claims
from starter.jwks import JwksError, shared_cache
from starter.service import Unavailable

FLOW_TTL = 600


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def claim_map(settings: Settings) -> dict[str, str]:
    pairs = (p.split("=", 1) for p in settings.oidc_claims.split(",") if "=" in p)
    return {field.strip(): claim.strip() for field, claim in pairs}


async def discovery(settings: Settings) -> dict[str, Any]:
    issuer = (settings.oidc_issuer or "").rstrip("/")
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            r = await http.get(f"{issuer}/.well-known/openid-configuration")
            r.raise_for_status()
            doc: dict[str, Any] = r.json()
    except (httpx.HTTPError, ValueError) as e:
        raise Unavailable(f"the sign-in provider {issuer}: {type(e).__name__}") from e
    if doc.get("issuer", "").rstrip("/") != issuer:
        raise AuthError("the provider's discovery document names another issuer")
    return doc


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def start(settings: Settings, doc: dict[str, Any], redirect_uri: str, key: str) -> tuple[str, str]:
    """(the provider's authorization URL, the signed flow cookie holding state, nonce and verifier)."""
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    params = {
        "response_type": "code",
        "client_id": settings.oidc_client_id,
        "redirect_uri": redirect_uri,
        "scope": settings.oidc_scopes,
        "state": state,
        "nonce": nonce,
        "code_challenge": _challenge(verifier),
        "code_challenge_method": "S256",
    }
    flow = jwt.encode(
        {"state": state, "nonce": nonce, "verifier": verifier, "exp": int(time.time()) + FLOW_TTL},
        key,
        algorithm="HS256",
    )
    return f"{doc['authorization_endpoint']}?{urlencode(params)}", flow


async def finish(
    settings: Settings,
    doc: dict[str, Any],
    flow_cookie: str,
    key: str,
    code: str,
    state: str,
    redirect_uri: str,
) -> Actor:
    """Exchange the code (with the PKCE verifier), verify the ID token, map its claims to an Actor."""
    try:
        flow = jwt.decode(flow_cookie, key, algorithms=["HS256"])
    except jwt.PyJWTError as e:
        raise AuthError(f"sign-in flow expired or forged: {e}") from e
    if not secrets.compare_digest(str(flow.get("state", "")), state):
        raise AuthError("the provider answered with another state")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": settings.oidc_client_id or "",
        "code_verifier": flow["verifier"],
    }
    if settings.oidc_client_secret:
        form["client_secret"] = settings.oidc_client_secret
    async with httpx.AsyncClient(timeout=10) as http:
        r = await http.post(doc["token_endpoint"], data=form)
        if r.status_code != 200:
            raise AuthError(f"the provider refused the code ({r.status_code})")
        id_token = r.json().get("id_token")
        if not isinstance(id_token, str):
            raise AuthError("the provider sent no ID token")
    keys = shared_cache(
        doc["jwks_uri"],
        ttl=settings.jwt_jwks_cache_seconds,
        min_refresh=settings.jwt_jwks_min_refresh_seconds,
    )
    try:
        claims = jwt.decode(
            id_token,
            await keys.key_for(id_token),
            algorithms=["RS256", "ES256", "PS256"],
            audience=settings.oidc_client_id,
            issuer=doc["issuer"],
            options={"require": ["sub", "exp", "iat"]},
        )
    except JwksError as e:
        raise AuthError(f"the ID token: {e}") from e
    except jwt.PyJWTError as e:
        raise AuthError(f"invalid ID token: {e}") from e
    if not secrets.compare_digest(str(claims.get("nonce", "")), str(flow["nonce"])):
        raise AuthError("the ID token answers another sign-in (nonce)")
    mapped = {field: claims.get(claim) for field, claim in claim_map(settings).items()}
    return actor_from_claims({"sub": claims["sub"], **{k: v for k, v in mapped.items() if v is not None}})
