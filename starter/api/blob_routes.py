"""Evidence upload and download (photos before and after rectification, documents).

`POST /v1/blobs` (authenticated) and `POST /v1/tips/blobs` (the public tip intake, rate-limited, stored
sealed) answer `{sha256, uri, content_type, size, thumbnail}`; commands then cite `{uri, sha256}`.
`GET /v1/blobs/{sha256}` and `/thumbnail`: for whoever may read a case whose events cite the hash, or,
before any case cites it, for its uploader. A sealed (tip) attachment never opens for an enterprise."""

from __future__ import annotations

from typing import Annotated, Any

import structlog
from fastapi import FastAPI, File, Path, Request, UploadFile
from fastapi.responses import Response
from limits import RateLimitItemPerMinute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.access import check_read
from domain.actors import Actor, Role
from domain.errors import DomainError, Forbidden
from domain.messages import pick_language
from runtime.settings import Settings
from starter.api.app_deps import Who
from starter.api.problems import problem
from starter.api.tips import RateLimiter, client_address
from starter.evidence import Evidence, evidence_for
from starter.service import NotFound
from store.blobs import get_blob, referencing_cases

log = structlog.get_logger("hazardloop.evidence")

Sha = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the content, lowercase hex")]
PUBLIC_UPLOADER = "public-intake"
UPLOAD_PATHS = ("/v1/blobs", "/v1/tips/blobs")
MULTIPART_SLACK = 64 * 1024  # the form's boundaries and part headers around the file


class UploadSizeLimit:
    """Refuses an upload larger than the limit before its body is read (413 by Content-Length), and cuts
    a chunked one off once it has sent more (the rest of the stack buffers request bodies)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.limit = max_bytes + MULTIPART_SLACK
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in UPLOAD_PATHS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"").decode("latin-1")
        if declared.isdigit() and int(declared) > self.limit:
            lang = pick_language(headers.get(b"accept-language", b"").decode("latin-1"))
            refused = problem(
                413,
                "payload_too_large",
                f"the upload has {declared} bytes; a file may have at most {self.max_bytes}",
                lang=lang,
                field="file",
                rule="blob_size",
                max_bytes=self.max_bytes,
            )
            await refused(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            return {"type": "http.disconnect"} if seen > self.limit else message

        await self.app(scope, counted, send)


async def _upload(evidence: Evidence, file: UploadFile, uploader: str, *, sealed: bool) -> dict[str, Any]:
    data = await file.read(evidence.max_bytes + 1)
    return await evidence.put(data, uploader, sealed=sealed)


async def _readable(evidence: Evidence, sha256: str, who: Actor) -> Any:
    """The blob's row, if `who` may read it (else 404 for what they may not know exists, 403 otherwise)."""
    async with evidence.engine.connect() as conn:
        row = await get_blob(conn, sha256)
        refs = [] if row is None else await referencing_cases(conn, sha256)
    if row is None or (not refs and row.uploaded_by != who.id):
        raise NotFound("blob", sha256)
    if row.sealed and who.role == Role.enterprise:
        raise Forbidden("a tip's attachment is sealed: it never opens for an enterprise", rule="role")
    refused: DomainError | None = None
    for ref in refs:
        try:
            check_read(who, ref.region, ref.enterprise_id)
            refused = None
            break
        except DomainError as e:
            refused = e
    if refused is not None:
        raise refused
    if row.sealed:
        log.info("sealed evidence opened", sha256=sha256, actor=who.id, role=who.role.value)
    return row


def install(app: FastAPI, settings: Settings) -> None:
    evidence = evidence_for(settings, app.state.engine)
    app.add_middleware(UploadSizeLimit, max_bytes=settings.blob_max_bytes)
    app.state.evidence = evidence
    limiter = RateLimiter(
        RateLimitItemPerMinute(settings.blob_public_rate_limit_per_minute), settings.rate_limit_storage
    )

    @app.post("/v1/blobs", status_code=201, tags=["evidence"])
    async def upload(who: Who, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
        """Upload evidence (JPEG, PNG, WebP, HEIC, PDF, by content; at most HAZARDLOOP_BLOB_MAX_BYTES)."""
        return await _upload(evidence, file, who.id, sealed=False)

    @app.post("/v1/tips/blobs", status_code=201, tags=["tips"], response_model=None)
    async def upload_public(request: Request, file: Annotated[UploadFile, File()]) -> Any:
        """A tip's attachment from the public intake (no token): rate-limited, stored sealed."""
        key = "blob:" + client_address(request, settings.trusted_proxies)
        refused = await limiter.refusal(key, "uploads", request)
        if refused is not None:
            return refused
        return await _upload(evidence, file, PUBLIC_UPLOADER, sealed=True)

    async def _serve(sha256: str, who: Actor, *, thumb: bool) -> Response:
        row = await _readable(evidence, sha256, who)
        if thumb and not row.thumbnail:
            raise NotFound("thumbnail", sha256)
        data = await evidence.read(row, thumb=thumb)
        if data is None:
            raise NotFound("blob", sha256)
        headers = {
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "inline" if row.content_type.startswith("image/") else "attachment",
        }
        return Response(data, media_type="image/jpeg" if thumb else row.content_type, headers=headers)

    @app.get("/v1/blobs/{sha256}", tags=["evidence"], response_class=Response)
    async def download(sha256: Sha, who: Who) -> Response:
        return await _serve(sha256, who, thumb=False)

    @app.get("/v1/blobs/{sha256}/thumbnail", tags=["evidence"], response_class=Response)
    async def download_thumbnail(sha256: Sha, who: Who) -> Response:
        return await _serve(sha256, who, thumb=True)
