"""`GET /v1/enterprises/{enterprise_id}/record`: the record of one enterprise by its own id.

The record is a case of kind `enterprise` (domain/enterprise), one per enterprise, opened by the first
of its cases that tells it a fact; the shared routes serve it by its case id (`/v1/enterprises/EN-…`)
and take the officers' commands on it. Readers: domain/access.py `check_read_record`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Path

from starter.api.app_deps import Svc, Who

EnterpriseId = Annotated[str, Path(min_length=1, max_length=100)]


def install(app: FastAPI) -> None:
    @app.get("/v1/enterprises/{enterprise_id}/record", tags=["enterprises"], name="enterprise_record")
    async def enterprise_record(enterprise_id: EnterpriseId, who: Who, svc: Svc) -> dict[str, Any]:
        return await svc.enterprise_record(enterprise_id, who)
