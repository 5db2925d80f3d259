"""Evidence files: type by magic bytes (JPEG, PNG, WebP, HEIC, PDF), a size limit, thumbnails of images
(Pillow), content addressing by SHA-256, tip attachments sealed with the key ring like a reporter's
identity, and the storage the settings choose (store/blob_storage.py)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import structlog
from PIL import Image, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.errors import InvalidCommand
from runtime.settings import Settings
from store.blob_storage import BlobStorage, FileBlobStorage, S3BlobStorage
from store.blobs import get_blob, record_blob
from store.sealing import KeyRing, SealedBox, SealError

log = structlog.get_logger("hazardloop.evidence")

ALLOWED = ("image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf")
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
THUMB_SIZE = (320, 320)
MAX_PIXELS = 40_000_000  # a larger picture gets no thumbnail (decoding it would take too much memory)
THUMB_SUFFIX = ".thumb"


def sniff(data: bytes) -> str | None:
    """The content type by the file's magic bytes (the client's header is not believed), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "image/heic"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def thumbnail(data: bytes) -> bytes | None:
    """A JPEG at most 320×320 of an image Pillow reads (not HEIC without a plugin, not PDF)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                return None
            img.draft("RGB", THUMB_SIZE)  # JPEG: decode at a reduced scale
            img.thumbnail(THUMB_SIZE)
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def storage_for(settings: Settings) -> BlobStorage:
    if settings.blob_s3_endpoint:
        return S3BlobStorage(
            settings.blob_s3_endpoint,
            settings.blob_s3_bucket,
            settings.blob_s3_access_key or "",
            settings.blob_s3_secret_key or "",
            region=settings.blob_s3_region,
        )
    return FileBlobStorage(settings.ensure_data_dir() / "blobs")


def _associated(sha256: str) -> bytes:
    return b"hazardloop/blob/" + sha256.encode()


@dataclass
class Evidence:
    storage: BlobStorage
    engine: AsyncEngine
    ring: KeyRing
    max_bytes: int

    def uri(self, sha256: str) -> str:
        return f"/v1/blobs/{sha256}"

    async def put(self, data: bytes, uploader: str, *, sealed: bool = False) -> dict[str, Any]:
        if len(data) > self.max_bytes:
            raise InvalidCommand(
                f"the file has {len(data)} bytes; at most {self.max_bytes} are accepted",
                field="file",
                rule="blob_size",
                max_bytes=self.max_bytes,
            )
        ctype = sniff(data)
        if ctype is None:
            raise InvalidCommand(
                "the file is none of the accepted types (by its content, not its name or header)",
                field="file",
                rule="blob_type",
                allowed=list(ALLOWED),
            )
        sha = hashlib.sha256(data).hexdigest()
        async with self.engine.connect() as conn:
            known = await get_blob(conn, sha)
        if known is not None:  # the same content is stored already (sealed or not, as first uploaded)
            return self.answer(known)
        thumb = await asyncio.to_thread(thumbnail, data) if ctype.startswith("image/") else None
        key_id = None
        stored, stored_thumb = data, thumb
        if sealed:
            box = self.ring.seal(data, _associated(sha))
            key_id, stored = box.key_id, box.ciphertext
            if thumb is not None:
                stored_thumb = self.ring.seal(thumb, _associated(sha + THUMB_SUFFIX)).ciphertext
        await self.storage.put(sha, stored)
        if stored_thumb is not None:
            await self.storage.put(sha + THUMB_SUFFIX, stored_thumb)
        async with self.engine.begin() as conn:
            await record_blob(
                conn,
                sha256=sha,
                content_type=ctype,
                size=len(data),
                sealed=sealed,
                key_id=key_id,
                thumbnail=thumb is not None,
                uploaded_by=uploader,
            )
            row = await get_blob(conn, sha)
        log.info("blob stored", sha256=sha, content_type=ctype, size=len(data), sealed=sealed)
        return self.answer(row)

    def answer(self, row: Any) -> dict[str, Any]:
        uri = self.uri(row.sha256)
        return {
            "sha256": row.sha256,
            "uri": uri,
            "content_type": row.content_type,
            "size": row.size,
            "thumbnail": f"{uri}/thumbnail" if row.thumbnail else None,
        }

    async def read(self, row: Any, *, thumb: bool = False) -> bytes | None:
        key = row.sha256 + (THUMB_SUFFIX if thumb else "")
        data = await self.storage.get(key)
        if data is None or not row.sealed:
            return data
        return self.ring.open(SealedBox(row.key_id, data), _associated(key))


async def check_stored(evidence: Evidence, cited: Iterable[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(version, sha256, problem) for each cited hash of the blob index whose stored file is missing or no
    longer hashes to it. Hashes the index does not know are evidence held elsewhere: not checked.
    The audit's evidence check (audit/auditor.py `Auditor(evidence_check=…)`)."""
    cited = list(cited)
    out: list[tuple[int, str, str]] = []
    async with evidence.engine.connect() as conn:
        rows = {sha: await get_blob(conn, sha) for sha in {sha for _, sha in cited}}
    for version, sha in cited:
        row = rows[sha]
        if row is None:
            continue
        try:
            data = await evidence.read(row)
        except SealError:
            out.append((version, sha, "the stored evidence file does not open with the key ring"))
            continue
        if data is None:
            out.append((version, sha, "the stored evidence file is missing"))
        elif hashlib.sha256(data).hexdigest() != sha:
            out.append((version, sha, "the stored evidence file does not match the hash the event records"))
    return out


def evidence_check(
    evidence: Evidence,
) -> Callable[[Iterable[tuple[int, str]]], Awaitable[list[tuple[int, str, str]]]]:
    """The audit's evidence check over this store (the auditor sits below the shells: it gets a function)."""
    return functools.partial(check_stored, evidence)


def evidence_for(settings: Settings, engine: AsyncEngine) -> Evidence:
    return Evidence(
        storage_for(settings), engine, KeyRing(settings.resolved_seal_key()), settings.blob_max_bytes
    )
