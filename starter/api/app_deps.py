"""Request dependencies shared by the route modules: the authenticated actor and the service facade."""

from typing import Annotated

from fastapi import Depends, Header, Request

from domain.actors import Actor
from starter.auth import TokenVerifier
from starter.service import CaseService


async def current_actor(request: Request, authorization: Annotated[str | None, Header()] = None) -> Actor:
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(authorization)


async def case_service(request: Request) -> CaseService:
    st = request.app.state
    return CaseService(await st.clients.get(), st.engine, st.settings.temporal_task_queue, st.policy)


Who = Annotated[Actor, Depends(current_actor)]
Svc = Annotated[CaseService, Depends(case_service)]
