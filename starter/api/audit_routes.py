"""Audit routes: `GET /v1/{plural}/{id}/audit` (trail + verification), `/audit/verify`, `/audit/replay`,
`/audit/export` (a self-contained JSON bundle). Auditors read every case's audit; anyone else as they
may read the case (domain/access.check_read)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

import structlog
from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from temporalio.client import Client

from audit.auditor import Auditor
from audit.models import CaseNotFound
from audit.trail import render_trail
from domain.registry import get_decider
from runtime.temporal_client import data_converter
from starter.api.app_deps import Who
from starter.evidence import evidence_check
from starter.service import PLURAL, NotFound, Unavailable

log = structlog.get_logger("hazardloop.api.audit")

CaseId = Annotated[str, Path(min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")]


async def _auditor(request: Request) -> Auditor:
    st = request.app.state
    client: Client | None
    try:
        client = await st.clients.get()
    except Unavailable as e:  # histories then come from the archive
        log.warning("temporal unavailable: auditing from the archive", error=str(e))
        client = None
    evidence = getattr(st, "evidence", None)
    check = None if evidence is None else evidence_check(evidence)
    return Auditor(client, st.engine, data_converter(st.settings), evidence_check=check)


def install(app: FastAPI) -> None:
    """Audit routes for every served plural whose decider is available (registered kinds included)."""
    for plural, kind in PLURAL.items():
        try:
            get_decider(kind)
        except KeyError:
            continue
        _routes(app, plural, kind)


async def _authorized(request: Request, kind: str, case_id: str, who: Any) -> Auditor:
    auditor = await _auditor(request)
    try:
        await auditor.authorize(case_id, kind, who)
    except CaseNotFound:
        raise NotFound(kind, case_id) from None
    return auditor


def _routes(app: FastAPI, plural: str, kind: str) -> None:
    tag: list[str | Enum] = [f"{plural} audit"]

    @app.get(f"/v1/{plural}/{{case_id}}/audit", tags=tag, name=f"audit_{kind}", response_model=None)
    async def audit(
        request: Request,
        case_id: CaseId,
        who: Who,
        verify: bool = True,
        format: Annotated[Literal["json", "text"], Query()] = "json",
        lang: Annotated[Literal["zh", "en"], Query()] = "zh",
    ) -> Response:
        """The trail (who, what, which rules, deadlines, notifications) with its verification."""
        auditor = await _authorized(request, kind, case_id, who)
        trail = await auditor.trail(case_id, verify=verify)
        log.info("audit trail read", case_id=case_id, actor=who.id, role=who.role.value)
        if format == "text":
            return PlainTextResponse(render_trail(trail, lang))
        return JSONResponse(trail.model_dump(mode="json"))

    @app.get(f"/v1/{plural}/{{case_id}}/audit/verify", tags=tag, name=f"audit_verify_{kind}")
    async def verify(request: Request, case_id: CaseId, who: Who) -> dict[str, Any]:
        """Chain intact, event store ⇔ history, projection ⇔ fold, archive intact, replay passes."""
        auditor = await _authorized(request, kind, case_id, who)
        return (await auditor.verify(case_id)).model_dump(mode="json")

    @app.get(f"/v1/{plural}/{{case_id}}/audit/replay", tags=tag, name=f"audit_replay_{kind}")
    async def replay(request: Request, case_id: CaseId, who: Who) -> dict[str, Any]:
        """Replay every run of the case's history against the current workflow code."""
        auditor = await _authorized(request, kind, case_id, who)
        return (await auditor.replay(case_id)).model_dump(mode="json")

    @app.get(f"/v1/{plural}/{{case_id}}/audit/export", tags=tag, name=f"audit_export_{kind}")
    async def export(request: Request, case_id: CaseId, who: Who) -> JSONResponse:
        """A self-contained bundle to verify offline (`hazardloop audit verify-bundle FILE`)."""
        auditor = await _authorized(request, kind, case_id, who)
        bundle = await auditor.export(case_id)
        log.info("audit bundle exported", case_id=case_id, actor=who.id, sha256=bundle["sha256"])
        return JSONResponse(
            bundle, headers={"Content-Disposition": f'attachment; filename="{case_id}.audit.json"'}
        )
