"""Request dependencies shared by the route modules: the authenticated actor and the service facade."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.actors import Actor
from domain.common import REGION
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
    return await verifier.authenticate(request.headers.get("authorization"))


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
    return await verifier.authenticate(request.headers.get("authorization"))


async def case_service(request: Request) -> CaseService:
    st = request.app.state
    return CaseService(await st.clients.get(), st.engine, st.settings.temporal_task_queue, st.policy)


REGION_Q = Query(pattern=REGION, description="6-digit region code; covers every code below it")


async def list_filters(
    status: Annotated[str | None, Query(max_length=40)] = None,
    level: Annotated[str | None, Query(max_length=40)] = None,
    grade: Annotated[
        str | None, Query(max_length=40, description="incidents: the grade (same as level)")
    ] = None,
    region: Annotated[str | None, REGION_Q] = None,
    enterprise_id: Annotated[str | None, Query(max_length=100)] = None,
    overdue: bool | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """The case list's filters (the list and the ledger export), as CaseService.list_cases keywords."""
    return {
        "region": region,
        "status": status,
        "level": level or grade,
        "enterprise_id": enterprise_id,
        "overdue": overdue,
        "as_of": as_of,
    }


Who = Annotated[Actor, Depends(current_actor)]
Filters = Annotated[dict[str, Any], Depends(list_filters)]
WhoOrSession = Annotated[Actor, Depends(bearer_or_session_actor)]
Svc = Annotated[CaseService, Depends(case_service)]
