"""The identity provider's signing keys (JWKS), fetched without blocking the event loop and cached.

Keys are fetched with httpx's async client and kept for `ttl` seconds. A token signed with a key the
cache does not hold (the provider rotated its keys) triggers a refetch at once, but at most one every
`min_refresh` seconds, so tokens with made-up key ids cannot turn the API into a JWKS request flood.
Concurrent requests share one fetch. When a refetch fails the keys already held are kept (they are what
the provider published last) and the failure is logged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import structlog

log = structlog.get_logger(__name__)


class JwksError(Exception):
    """The token names no key the provider publishes, or the keys could not be had."""


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        ttl: float = 300.0,
        min_refresh: float = 10.0,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.ttl = ttl
        self.min_refresh = min_refresh
        self.timeout = timeout
        self._clock = clock
        self._keys: list[jwt.PyJWK] = []
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    def _find(self, kid: str | None) -> jwt.PyJWK | None:
        if kid is None:
            return self._keys[0] if len(self._keys) == 1 else None
        return next((k for k in self._keys if k.key_id == kid), None)

    async def key_for(self, token: str) -> Any:
        """The verification key for `token`'s `kid` (raises JwksError when there is none)."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as e:
            raise JwksError(str(e)) from e
        asked = self._clock()
        if self._fetched_at is None or asked - self._fetched_at >= self.ttl:
            await self._refresh(asked)
        elif self._find(kid) is None and asked - self._fetched_at >= self.min_refresh:
            await self._refresh(asked)
        key = self._find(kid)
        if key is None:
            raise JwksError(f"the token is signed with a key the provider does not publish (kid {kid!r})")
        return key.key

    async def _refresh(self, asked: float) -> None:
        async with self._lock:
            if self._fetched_at is not None and self._fetched_at >= asked:
                return  # another request fetched while this one waited
            self.fetches += 1
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as http:
                    r = await http.get(self.url)
                    r.raise_for_status()
                keys = jwt.PyJWKSet.from_dict(r.json()).keys
            except (httpx.HTTPError, ValueError, jwt.PyJWTError) as e:
                log.warning("jwks fetch failed", url=self.url, error=str(e), keeping=len(self._keys))
                if not self._keys:
                    raise JwksError(f"the provider's keys could not be fetched: {e}") from e
                self._fetched_at = self._clock()
                return
            self._keys = keys
            self._fetched_at = self._clock()


_SHARED: dict[str, JwksCache] = {}


def shared_cache(url: str, *, ttl: float = 300.0, min_refresh: float = 10.0) -> JwksCache:
    """One cache per JWKS URL in this process (the console's sign-ins share it)."""
    cache = _SHARED.get(url)
    if cache is None:
        cache = _SHARED[url] = JwksCache(url, ttl=ttl, min_refresh=min_refresh)
    return cache
