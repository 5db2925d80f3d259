"""Console sessions: a JWT signed like API tokens in an HttpOnly, SameSite=Lax cookie, and a CSRF token
per session (an HMAC of the session cookie; before sign-in, of a random cookie of its own)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response

from domain.actors import Actor, Role
from runtime.settings import Settings
from starter.auth import AuthError, TokenVerifier, mint_token

SESSION = "hl_session"
PRE = "hl_pre"
LANG = "hl_lang"
SESSION_TTL = 8 * 3600


@dataclass(frozen=True)
class DemoUser:
    key: str
    role: str
    region: str
    name: str
    enterprise_id: str | None = None


DEMO_USERS = (
    DemoUser("enterprise", "enterprise", "500107", "演示企业安全员", "ENT-1"),
    DemoUser("inspector", "inspector", "500107", "演示执法人员"),
    DemoUser("supervisor", "supervisor", "500100", "演示监管负责人"),
    # under cn-national's jurisdiction tree a Chongqing district's next level is the municipality: the
    # authority for its escalations, its incidents' reports and 较大 investigations (domain/jurisdiction)
    DemoUser("supervisor_city", "supervisor", "500000", "演示市级监管负责人"),
    DemoUser("expert", "expert", "500107", "演示专家"),
    DemoUser("operator", "operator", "500107", "演示平台运维"),
    DemoUser("auditor", "auditor", "000000", "演示审计人员"),
)


def demo_enabled(settings: Settings) -> bool:
    """Demo users only while the generated development secret signs tokens: none configured, or the one
    generated in the data dir (`hazardloop dev` hands that one to the API it starts)."""
    if settings.jwt_jwks_url or settings.oidc_issuer:
        return False
    return not settings.jwt_secret or settings.jwt_secret == _generated_secret(settings)


def _generated_secret(settings: Settings) -> str | None:
    try:
        return (settings.data_dir / "jwt-secret").read_text().strip() or None
    except OSError:
        return None


def session_settings(settings: Settings) -> Settings:
    """Sessions are signed like the API's HS256 tokens: with the configured or generated secret (also
    where the API trusts an identity provider's keys, whose tokens the console does not mint)."""
    return settings.model_copy(update={"jwt_jwks_url": None, "jwt_algorithm": "HS256"})


def current_actor(request: Request) -> Actor | None:
    token = request.cookies.get(SESSION)
    if not token:
        return None
    verifier: TokenVerifier = request.app.state.console_verifier
    try:
        return verifier.verify(f"Bearer {token}")
    except AuthError:
        return None


def demo_actor(user: DemoUser) -> Actor:
    return Actor(
        id=f"demo-{user.key}",
        name=user.name,
        role=Role(user.role),
        region=user.region,
        enterprise_id=user.enterprise_id,
    )


def sign_in(response: Response, settings: Settings, actor: Actor, secure: bool) -> None:
    token = mint_token(
        session_settings(settings),
        sub=actor.id,
        role=actor.role.value,
        region=actor.region,
        enterprise_id=actor.enterprise_id,
        name=actor.name,
        ttl_seconds=SESSION_TTL,
    )
    response.set_cookie(
        SESSION, token, max_age=SESSION_TTL, httponly=True, samesite="lax", secure=secure, path="/"
    )


def sign_out(response: Response) -> None:
    response.delete_cookie(SESSION, path="/")


def flow_key(settings: Settings) -> str:
    """Signs the short-lived OIDC flow cookie (state, nonce, PKCE verifier)."""
    return hashlib.sha256(
        b"hazardloop console oidc\x00" + settings.resolved_jwt_secret().encode()
    ).hexdigest()


def _key(settings: Settings) -> bytes:
    return hashlib.sha256(b"hazardloop console csrf\x00" + settings.resolved_jwt_secret().encode()).digest()


def csrf_token(request: Request) -> str:
    """The token every form carries: bound to the session (or, before sign-in, to a random cookie)."""
    settings: Settings = request.app.state.settings
    basis = request.cookies.get(SESSION) or request.cookies.get(PRE)
    if not basis:
        basis = getattr(request.state, "pre", None) or secrets.token_urlsafe(24)
        request.state.pre = basis  # the page's renderer sets it as a cookie
    return hmac.new(_key(settings), basis.encode(), hashlib.sha256).hexdigest()


def keep_pre(request: Request, response: Response) -> None:
    """Set the pre-sign-in cookie a rendered form's CSRF token was bound to."""
    pre = getattr(request.state, "pre", None)
    if pre and not request.cookies.get(PRE):
        response.set_cookie(PRE, pre, httponly=True, samesite="lax", path="/")


def csrf_ok(request: Request, sent: str | None) -> bool:
    basis = request.cookies.get(SESSION) or request.cookies.get(PRE)
    if not basis or not sent:
        return False
    settings: Settings = request.app.state.settings
    want = hmac.new(_key(settings), basis.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, sent)
