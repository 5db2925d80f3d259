"""Request dependencies shared by the route modules: the authenticated actor and the service facade."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.actors import Actor
from starter.auth import TokenVerifier
from starter.service import CaseService

# declares the OpenAPI security scheme `bearer` on every route that needs an actor ("Try it out" sends the
# token); the verifier reads the header itself, so a missing or malformed one is its 401, not FastAPI's
BEARER = HTTPBearer(
    scheme_name="bearer", auto_error=False, description="a JWT: Authorization: Bearer <token>"
)


async def current_actor(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
) -> Actor:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(request.headers.get("authorization"))


SessionActor = Callable[[Request], Actor | None]


async def bearer_or_session_actor(
    request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
) -> Actor:
    """The bearer token's actor, else the signed-in browser session's (the console sets
    `app.state.session_actor`, reading its session cookie): the Temporal Web UI sends either, the access
    token it passes through or, with "include cross-origin credentials", the console's cookie."""
    session: SessionActor | None = getattr(request.app.state, "session_actor", None)
    if not request.headers.get("authorization") and session is not None:
        actor = session(request)
        if actor is not None:
            return actor
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(request.headers.get("authorization"))


async def case_service(request: Request) -> CaseService:
    st = request.app.state
    return CaseService(await st.clients.get(), st.engine, st.settings.temporal_task_queue, st.policy)


Who = Annotated[Actor, Depends(current_actor)]
WhoOrSession = Annotated[Actor, Depends(bearer_or_session_actor)]
Svc = Annotated[CaseService, Depends(case_service)]
