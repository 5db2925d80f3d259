"""Request dependencies shared by the route modules: the authenticated actor and the service facade."""

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


async def case_service(request: Request) -> CaseService:
    st = request.app.state
    return CaseService(await st.clients.get(), st.engine, st.settings.temporal_task_queue, st.policy)


Who = Annotated[Actor, Depends(current_actor)]
Svc = Annotated[CaseService, Depends(case_service)]
