"""JWT bearer authentication: HS256 with a configured (or generated dev) secret; RS256 with a JWKS URL,
whose keys are fetched without blocking the event loop and cached (starter/jwks.py)."""

from __future__ import annotations

import time
from typing import Any

import jwt
from pydantic import ValidationError

from domain.actors import Actor, Role
from runtime.settings import Settings
from starter.jwks import JwksCache, JwksError

ASSIGNABLE_ROLES = tuple(r.value for r in Role if r is not Role.system)


class AuthError(Exception):
    """401: no, malformed, expired or forged token."""


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jwks: JwksCache | None = None
        if settings.jwt_jwks_url:
            self._jwks = JwksCache(
                settings.jwt_jwks_url,
                ttl=settings.jwt_jwks_cache_seconds,
                min_refresh=settings.jwt_jwks_min_refresh_seconds,
            )
            self._key: Any = None
            self._alg = "RS256"
        else:
            self._key = settings.resolved_jwt_secret()
            self._alg = settings.jwt_algorithm

    async def authenticate(self, authorization: str | None) -> Actor:
        """The actor of a bearer token; with a JWKS URL the key comes from the cache (refetched without
        blocking the event loop when stale or when the token names a new key)."""
        token = _bearer(authorization)
        if self._jwks is None:
            return self._decode(token, self._key)
        try:
            key = await self._jwks.key_for(token)
        except JwksError as e:
            raise AuthError(f"invalid token: {e}") from e
        return self._decode(token, key)

    def verify(self, authorization: str | None) -> Actor:
        """The actor of a bearer token signed with the secret (HS256: no key to fetch)."""
        if self._jwks is not None:
            raise RuntimeError("a JWKS-verified token needs `await authenticate(...)`")
        return self._decode(_bearer(authorization), self._key)

    def _decode(self, token: str, key: Any) -> Actor:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[self._alg],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                options={
                    "require": ["sub", "role", "region", "exp"],
                    "verify_aud": self.settings.jwt_audience is not None,
                },
            )
        except jwt.ExpiredSignatureError as e:
            raise AuthError("token expired") from e
        except jwt.PyJWTError as e:
            raise AuthError(f"invalid token: {e}") from e
        return actor_from_claims(claims)


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing Authorization header: send 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthError("the Authorization header must be 'Bearer <token>'")
    return token


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    role = claims.get("role")
    if role not in ASSIGNABLE_ROLES:
        raise AuthError(f"token role {role!r} is not one of {', '.join(ASSIGNABLE_ROLES)}")
    if role == Role.enterprise and not claims.get("enterprise_id"):
        raise AuthError("an enterprise token needs the enterprise_id claim")
    try:
        return Actor(
            id=str(claims["sub"]),
            name=str(claims.get("name", "")),
            role=Role(role),
            region=str(claims["region"]),
            enterprise_id=claims.get("enterprise_id"),
        )
    except ValidationError as e:
        raise AuthError(f"invalid token claims: {e.errors()[0]['msg']}") from e


def mint_token(
    settings: Settings,
    *,
    sub: str,
    role: str,
    region: str,
    enterprise_id: str | None = None,
    name: str = "",
    ttl_seconds: int = 8 * 3600,
) -> str:
    """A development token (HS256). Validates the claims the API will check."""
    if settings.jwt_jwks_url:
        raise ValueError("tokens are issued by your identity provider when a JWKS URL is configured")
    claims: dict[str, Any] = {
        "sub": sub,
        "name": name,
        "role": role,
        "region": region,
        "iat": int(time.time()),
        "exp": int(time.time()) + ttl_seconds,
    }
    if enterprise_id:
        claims["enterprise_id"] = enterprise_id
    if settings.jwt_audience:
        claims["aud"] = settings.jwt_audience
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    try:
        actor_from_claims(claims)
    except AuthError as e:
        raise ValueError(str(e)) from e
    return jwt.encode(claims, settings.resolved_jwt_secret(), algorithm="HS256")
