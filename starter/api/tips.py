"""Tip routes (docs/rules.md#tips, docs/http-api.md#tips): public intake without a token, claim-token
status, sealed identity.

The reporter's name and contact never enter the workflow: they are sealed (the service, store/sealed.py)
and the tip's command carries only `reporter_identified` and the claim token's hash.
"""

import base64
import hashlib
import hmac
import json
import math
import secrets
import time
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string
from pydantic import BaseModel, ConfigDict, Field

from domain.access import check_tip_intake
from domain.actors import Actor, Role
from domain.common import REGION, Evidence
from domain.errors import DomainError
from domain.registry import get_decider
from runtime.settings import Settings
from starter.api.app_deps import Svc, Who
from starter.api.problems import language, problem
from starter.service import Unavailable, case_id_for
from store.sealing import KeyRing

MAX_CONTENT = 10_000


class Reporter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    contact: str = Field(min_length=3, max_length=200)


class TipIntake(BaseModel):
    """A tip as the public (or an operator taking a hotline call) gives it."""

    model_config = ConfigDict(extra="forbid")
    channel: Literal["hotline_12350", "letter", "email", "web", "visit"]
    region: str = Field(pattern=REGION)
    enterprise_id: str | None = Field(default=None, max_length=100)
    content: str = Field(min_length=1, max_length=MAX_CONTENT)
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)
    reporter: Reporter | None = None


class Reveal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=5, max_length=1000)


class ClaimTokenMismatch(DomainError):
    code = "claim_token_mismatch"
    http_status = 403


class RateLimiter:
    """Per-client limit (the `limits` sliding window counter). The default in-process memory storage
    drops a client's counters once its window is over, so memory follows the clients of the last
    windows, not every client ever seen; several API replicas share one storage (`redis://…`)."""

    def __init__(self, limit: RateLimitItem, storage_uri: str = "memory://") -> None:
        self.limit = limit
        uri = storage_uri if storage_uri.startswith("async+") else f"async+{storage_uri}"
        self.storage = storage_from_string(uri, wrap_exceptions=True)
        self.strategy = SlidingWindowCounterRateLimiter(self.storage)

    async def retry_after(self, key: str) -> int | None:
        """Counts a hit from `key`: None when allowed, else how many seconds until a hit would be."""
        try:
            if await self.strategy.hit(self.limit, "tips", key):
                return None
            stats = await self.strategy.get_window_stats(self.limit, "tips", key)
        except StorageError as e:
            raise Unavailable(f"the rate-limit storage: {type(e.storage_error).__name__}") from e
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def refusal(self, key: str, what: str, request: Request) -> JSONResponse | None:
        """Counts a hit from `key`: None when allowed, else the 429 (with Retry-After) to answer."""
        wait = await self.retry_after(key)
        if wait is None:
            return None
        refused = problem(
            429,
            "rate_limited",
            f"at most {self.limit.amount} {what} a minute from one address; retry in {wait} s",
            lang=language(request),
            retry_after_seconds=wait,
        )
        refused.headers["Retry-After"] = str(wait)
        return refused


def client_address(request: Request, trusted: Sequence[IPv4Network | IPv6Network]) -> str:
    """The address a request came from: the peer, unless the peer is a trusted proxy; then X-Forwarded-For
    read from the right, each hop believed only while the one that reported it is trusted (a client
    cannot spoof its way past the limit by sending the header itself)."""
    addr = request.client.host if request.client else "unknown"
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",")]
    for hop in reversed(hops):
        try:
            if not any(ip_address(addr) in net for net in trusted):
                break
            addr = str(ip_address(hop))
        except ValueError:
            break
    return addr


def claim_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def claim_token(secret: bytes, case_id: str, idempotency_key: str | None) -> str:
    """A new tip's claim token: random, or with an Idempotency-Key derived from the key, the tip's id and
    a server secret, so that a retry of the same request gets the same token (and the same body hash)."""
    if not idempotency_key:
        return secrets.token_urlsafe(24)
    mac = hmac.new(secret, f"claim-token\x00{case_id}\x00{idempotency_key}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode()


def reporter_digest(secret: bytes, reporter: Reporter | None) -> str:
    """A keyed digest of the reporter (sealed, outside the command): a retry naming another reporter is
    refused. Keyed, so that the memo it lands in says nothing about who reported."""
    if reporter is None:
        return ""
    doc = json.dumps(reporter.model_dump(), sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(secret, b"reporter\x00" + doc, hashlib.sha256).hexdigest()


def install(app: FastAPI, settings: Settings) -> None:
    decider: Any = get_decider("tip")
    limiter = RateLimiter(
        RateLimitItemPerMinute(settings.tip_rate_limit_per_minute), settings.rate_limit_storage
    )
    ring = KeyRing(settings.resolved_seal_key())
    secret = hashlib.sha256(b"hazardloop tips\x00" + settings.resolved_seal_key().encode()).digest()

    @app.post(
        "/v1/tips", status_code=201, tags=["tips"], summary="Report a tip (no token needed; rate-limited)"
    )
    async def intake(
        request: Request,
        body: TipIntake,
        response: Response,
        authorization: Annotated[str | None, Header()] = None,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> Any:
        client = client_address(request, settings.trusted_proxies)
        if authorization:
            actor: Actor = await request.app.state.verifier.authenticate(authorization)
            check_tip_intake(actor)
            via = "operator"
        else:
            refused = await limiter.refusal(client, "tips", request)
            if refused is not None:
                return refused
            actor = Actor(id="public-intake", name="public", role=Role.operator, region=body.region)
            via = "public"
        from starter.api.app_deps import case_service

        svc = await case_service(request)
        case_id = case_id_for(
            "tip", actor if via == "operator" else actor.model_copy(update={"id": client}), idempotency_key
        )
        token = claim_token(secret, case_id, idempotency_key) if via == "public" else None
        command = {
            "channel": body.channel,
            "region": body.region,
            "enterprise_id": body.enterprise_id,
            "content": body.content,
            "evidence": [e.model_dump() for e in body.evidence],
            "reporter_identified": body.reporter is not None,
            "claim_token_hash": claim_hash(token) if token else None,
            "received_via": via,
        }
        also = reporter_digest(secret, body.reporter)
        if body.reporter is not None:
            if idempotency_key:  # a retry naming another reporter is refused before anything is sealed
                await svc.refuse_reused_key("tip", case_id, command, also)
            await svc.seal_reporter(ring, case_id, body.reporter.model_dump())
        result, created = await svc.create("tip", command, actor, None, case_id=case_id, also_hashed=also)
        if not created:
            response.status_code = 200  # a retry: the same id and, for the public, the same claim token
        out: dict[str, Any] = {"id": result.case["id"], "status": result.case["status"]}
        if token:
            out["claim_token"] = token
            out["note"] = "keep this token: it is the only way to follow this tip anonymously"
        return out

    @app.get(
        "/v1/tips/{case_id}/status", tags=["tips"], summary="A reporter follows a tip with the claim token"
    )
    async def status(case_id: str, svc: Svc, x_claim_token: Annotated[str, Header(min_length=10)]) -> Any:
        row = await svc.find("tip", case_id)
        if row is None:
            raise ClaimTokenMismatch("no tip matches this id and claim token")
        state = decider.parse_state(row.state)
        if not state.claim_token_hash or not secrets.compare_digest(
            state.claim_token_hash, claim_hash(x_claim_token)
        ):
            raise ClaimTokenMismatch("no tip matches this id and claim token")
        return decider.public_status(state)

    @app.post(
        "/v1/tips/{case_id}/reveal",
        tags=["tips"],
        summary="Reveal the sealed reporter identity (intake/reward officers; logged)",
    )
    async def reveal(case_id: str, body: Reveal, who: Who, svc: Svc) -> Any:
        identity = await svc.reveal_reporter(ring, case_id, who, body.reason)
        return {"id": case_id, "reporter": identity, "anonymous": identity is None}
