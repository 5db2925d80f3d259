"""/docs and /redoc work offline: their HTML references only assets the API serves itself, and the spec
declares the HTTP bearer scheme on every authenticated operation (the public tip intake stays open)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from runtime.settings import Settings
from starter.api.app import create_app


@pytest.fixture
async def http(tmp_path: Path):
    settings = Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        temporal_address="127.0.0.1:1",
        jwt_secret="test-secret-0123456789-0123456789-abcdef",
        metrics_token="test-metrics-token-0123456789",
        data_dir=tmp_path,
    )
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as c:
        yield c


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_reference_only_local_assets_and_they_are_served(http: httpx.AsyncClient, page: str):
    r = await http.get(page)
    assert r.status_code == 200
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", r.text)
    refs += re.findall(r"""url:\s*'([^']+)'""", r.text)
    assert refs, r.text
    assert not [u for u in refs if "://" in u or u.startswith("//")], refs
    assert "googleapis" not in r.text and "cdn." not in r.text
    for ref in refs:
        asset = await http.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 100, ref


async def test_spec_declares_bearer_on_authenticated_operations(http: httpx.AsyncClient):
    spec = (await http.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "a JWT: Authorization: Bearer <token>",
    }
    ops = spec["paths"]
    assert ops["/v1/hazards"]["post"]["security"] == [{"bearer": []}]
    assert ops["/v1/hazards/{case_id}/commands"]["post"]["security"] == [{"bearer": []}]
    assert ops["/codec/decode"]["post"]["security"] == [{"bearer": []}]
    assert ops["/metrics"]["get"]["security"] == [{"bearer": []}]  # the metrics token
    assert ops["/v1/blobs"]["post"]["security"] == [{"bearer": []}]
    assert ops["/v1/hazards/export"]["get"]["security"] == [{"bearer": []}]
    # "Authorization" is no plain header parameter any more (Swagger UI drops those)
    params = ops["/v1/hazards"]["post"].get("parameters", [])
    assert "authorization" not in {p["name"].lower() for p in params}
    # the anonymous tip intake and the health checks stay public
    assert "security" not in ops["/v1/tips"]["post"]
    assert "security" not in ops["/healthz"]["get"]
