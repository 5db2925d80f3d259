"""Evidence blobs: upload by content type (magic bytes) within the size limit, thumbnails of images,
downloads for the uploader before a case cites the hash and then by the citing case's jurisdiction, tip
attachments from the public intake stored sealed and never opened for an enterprise."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from harness.apptest import App, running_app
from store.blob_storage import FileBlobStorage
from store.blobs import get_blob, referencing_cases
from tests.e2e.test_hazard_api import REPORT

REGION, ENT = REPORT["region"], REPORT["enterprise_id"]


def png(color: str = "red", size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
async def app(dev_env, db_url, tmp_path: Path):
    async with running_app(
        dev_env.client,
        db_url,
        data_dir=tmp_path,
        settings_overrides={"blob_max_bytes": 200_000, "blob_public_rate_limit_per_minute": 3},
    ) as a:
        yield a


async def _upload(
    app: App, data: bytes, who: dict[str, str] | None, *, name: str = "x.jpg", path: str = "/v1/blobs"
) -> Any:
    files = {"file": (name, data, "image/jpeg")}
    return await app.http.post(path, files=files, headers=who or {})


async def test_upload_thumbnail_and_jurisdiction(app: App):
    ent = app.token("ent-user", "enterprise", REGION, ENT)
    insp = app.token("insp-1", "inspector", REGION)
    far = app.token("insp-9", "inspector", "110101")
    photo = png()
    r = await _upload(app, photo, ent, name="before.heic")  # the name and header are not believed
    assert r.status_code == 201, r.text
    blob = r.json()
    sha = hashlib.sha256(photo).hexdigest()
    assert blob == {
        "sha256": sha,
        "uri": f"/v1/blobs/{sha}",
        "content_type": "image/png",
        "size": len(photo),
        "thumbnail": f"/v1/blobs/{sha}/thumbnail",
    }
    # the uploader reads their unattached blob; nobody else knows it exists yet
    got = await app.http.get(blob["uri"], headers=ent)
    assert got.status_code == 200 and got.content == photo and got.headers["content-type"] == "image/png"
    thumb = await app.http.get(blob["thumbnail"], headers=ent)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320
    assert (await app.http.get(blob["uri"], headers=insp)).status_code == 404

    # cited by a hazard: the region's inspector reads it, another region's does not, nor another enterprise
    body = {**REPORT, "evidence": [{"uri": blob["uri"], "sha256": sha}]}
    r = await app.http.post("/v1/hazards", json=body, headers=ent)
    assert r.status_code == 201, r.text
    got = await app.http.get(blob["uri"], headers=insp)
    assert got.status_code == 200 and got.content == photo
    assert (await app.http.get(blob["uri"], headers=far)).status_code == 403
    other = app.token("ent-2", "enterprise", REGION, "ENT-OTHER")
    assert (await app.http.get(blob["uri"], headers=other)).status_code == 403
    assert (await app.http.get(blob["uri"])).status_code == 401
    assert (await app.http.get("/v1/blobs/" + "0" * 64, headers=insp)).status_code == 404
    assert (await app.http.get("/v1/blobs/not-a-hash", headers=insp)).status_code == 422

    # the audit verification checks the stored file against the hash the event records
    case_id = r.json()["id"]
    auditor = app.token("aud-1", "auditor", "500000")
    report = (await app.http.get(f"/v1/hazards/{case_id}/audit/verify", headers=auditor)).json()
    assert report["ok"] is True, report["findings"]
    FileBlobStorage(app.settings.data_dir / "blobs").path(sha).write_bytes(png("black"))
    report = (await app.http.get(f"/v1/hazards/{case_id}/audit/verify", headers=auditor)).json()
    assert report["ok"] is False
    assert [(f["check"], f["version"], f["expected"]) for f in report["findings"]] == [("evidence", 1, sha)]


async def test_type_and_size_refused(app: App):
    ent = app.token("ent-user", "enterprise", REGION, ENT)
    r = await _upload(app, b"<script>alert(1)</script>" * 10, ent)
    assert r.status_code == 422, r.text
    assert r.json()["rule"] == "blob_type" and r.json()["field"] == "file"
    assert "image/jpeg" in r.json()["allowed"]
    r = await _upload(app, b"%PDF-1.7\n" + b"0" * 230_000, ent, name="report.pdf")
    assert r.status_code == 422, r.text
    assert r.json()["rule"] == "blob_size" and r.json()["max_bytes"] == 200_000
    r = await _upload(app, b"%PDF-1.7\n%%EOF\n", ent, name="report.pdf")
    assert r.status_code == 201 and r.json()["content_type"] == "application/pdf"
    assert r.json()["thumbnail"] is None
    # a picture too large to decode safely (a tiny, highly compressed PNG of 8000×6000): no thumbnail
    r = await _upload(app, png("white", (8000, 6000)), ent, name="huge.png")
    assert r.status_code == 201, r.text
    assert r.json()["thumbnail"] is None
    assert (await _upload(app, png(), None)).status_code == 401
    # far over the limit: refused by its Content-Length before the body is read
    r = await app.http.post(
        "/v1/blobs",
        content=b"0" * 400_000,
        headers={**ent, "Content-Type": "multipart/form-data; boundary=x", "Accept-Language": "en"},
    )
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "payload_too_large" and r.json()["rule"] == "blob_size"


async def test_public_tip_attachment_is_sealed(app: App):
    photo = png("blue", (64, 64))
    r = await _upload(app, photo, None, path="/v1/tips/blobs")
    assert r.status_code == 201, r.text
    blob = r.json()
    stored = FileBlobStorage(app.settings.data_dir / "blobs").path(blob["sha256"]).read_bytes()
    assert stored != photo and photo[16:64] not in stored  # encrypted at rest
    tip = {
        "channel": "web",
        "region": REGION,
        "enterprise_id": ENT,
        "content": "仓库消防通道被堵，附照片",
        "evidence": [{"uri": blob["uri"], "sha256": blob["sha256"]}],
    }
    r = await app.http.post("/v1/tips", json=tip)
    assert r.status_code == 201, r.text
    insp = app.token("insp-1", "inspector", REGION)
    got = await app.http.get(blob["uri"], headers=insp)
    assert got.status_code == 200 and got.content == photo
    assert (await app.http.get(blob["thumbnail"], headers=insp)).status_code == 200
    ent = app.token("ent-user", "enterprise", REGION, ENT)
    r = await app.http.get(blob["uri"], headers=ent)
    assert r.status_code == 403 and r.json()["rule"] == "role"


async def test_the_console_tip_form_files_its_attachment_sealed_and_cites_it(app: App):
    page = await app.http.get("/tip")
    assert 'enctype="multipart/form-data"' in page.text and 'capture="environment"' in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf
    photo = png("green", (48, 48))
    form = {"csrf": csrf.group(1), "region": REGION, "content": "夜间违规动火作业,附现场照片"}
    files = {"evidence__files": ("现场.png", photo, "image/png")}
    r = await app.http.post("/tip", data=form, files=files)
    assert r.status_code == 200, r.text
    tip_id = re.search(r'id="tip-id">([^<]+)<', r.text)
    assert tip_id and 'id="claim-token"' in r.text and 'id="tip-attachments">1<' in r.text
    sha = hashlib.sha256(photo).hexdigest()
    async with app.engine.connect() as conn:
        row = await get_blob(conn, sha)
        refs = await referencing_cases(conn, sha)
    assert row is not None and row.sealed and row.uploaded_by == "public-intake"
    assert [ref.id for ref in refs] == [tip_id.group(1)]  # the tip's command carries it as evidence
    stored = FileBlobStorage(app.settings.data_dir / "blobs").path(sha).read_bytes()
    assert stored != photo and photo[16:40] not in stored  # encrypted at rest
    ent = app.token("ent-user", "enterprise", REGION, ENT)
    assert (await app.http.get(f"/v1/blobs/{sha}", headers=ent)).status_code == 403


async def test_public_uploads_are_rate_limited_per_address(app: App):
    async with app.http_from("203.0.113.9") as http:
        answers = []
        for i in range(4):
            files = {"file": ("p.png", png("green", (8 + i, 8)), "image/png")}
            answers.append(await http.post("/v1/tips/blobs", files=files))
    assert [r.status_code for r in answers] == [201, 201, 201, 429]
    assert answers[-1].json()["code"] == "rate_limited" and int(answers[-1].headers["Retry-After"]) >= 1
