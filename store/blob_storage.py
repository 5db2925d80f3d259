"""Where evidence files live, content-addressed by SHA-256: a directory under the data dir (the embedded
default) or an S3-compatible bucket (MinIO, OSS, COS, S3) when HAZARDLOOP_BLOB_S3_* is configured.

The S3 client is a few signed HTTP requests (AWS Signature Version 4, path-style URLs) over httpx, so no
SDK is needed; `sign_v4` is a pure function, tested against AWS's published example."""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlsplit

import httpx

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class BlobStorage(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...

    async def get(self, key: str) -> bytes | None: ...


class FileBlobStorage:
    """Files under `root/ab/cd/<key>`, written to a temporary file and renamed (never half a file)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key[:2] / key[2:4] / key

    async def put(self, key: str, data: bytes) -> None:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    async def get(self, key: str) -> bytes | None:
        path = self.path(key)
        return path.read_bytes() if path.is_file() else None


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign_v4(
    method: str,
    url: str,
    headers: Mapping[str, str],
    payload_sha256: str,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    now: datetime,
    service: str = "s3",
) -> dict[str, str]:
    """The headers of a request signed with AWS Signature Version 4 (`headers` plus x-amz-date,
    x-amz-content-sha256 and Authorization). Every header given is signed."""
    amz_date = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    parts = urlsplit(url)
    signed = {k.lower(): " ".join(v.strip().split()) for k, v in headers.items()}
    signed.setdefault("host", parts.netloc)
    signed["x-amz-date"] = amz_date
    signed["x-amz-content-sha256"] = payload_sha256
    names = sorted(signed)
    query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted(p.partition("=")[::2] for p in parts.query.split("&") if p)
    )
    canonical = "\n".join(
        [
            method.upper(),
            quote(parts.path or "/", safe="/-_.~"),
            query,
            "".join(f"{n}:{signed[n]}\n" for n in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), day), region), service), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out = dict(headers)
    out["x-amz-date"] = amz_date
    out["x-amz-content-sha256"] = payload_sha256
    out["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, "
        f"Signature={signature}"
    )
    return out


class S3BlobStorage:
    """An S3-compatible bucket, path-style: `<endpoint>/<bucket>/<prefix><key>`."""

    def __init__(
        self,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        *,
        region: str = "us-east-1",
        prefix: str = "evidence/",
        timeout: float = 30.0,
    ) -> None:
        self.base = endpoint.rstrip("/")
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.prefix = prefix
        self.timeout = timeout

    def url(self, key: str) -> str:
        return f"{self.base}/{self.bucket}/{self.prefix}{key}"

    def _signed(self, method: str, url: str, payload_sha256: str, extra: Mapping[str, str]) -> dict[str, str]:
        return sign_v4(
            method,
            url,
            extra,
            payload_sha256,
            access_key=self.access_key,
            secret_key=self.secret_key,
            region=self.region,
            now=datetime.now(UTC),
        )

    async def put(self, key: str, data: bytes) -> None:
        url = self.url(key)
        headers = self._signed(
            "PUT", url, hashlib.sha256(data).hexdigest(), {"content-type": "application/octet-stream"}
        )
        async with httpx.AsyncClient(timeout=self.timeout, trust_env=False) as http:
            r = await http.put(url, content=data, headers=headers)
        if r.status_code >= 300:
            raise OSError(f"blob storage PUT answered {r.status_code}")

    async def get(self, key: str) -> bytes | None:
        url = self.url(key)
        headers = self._signed("GET", url, EMPTY_SHA256, {})
        async with httpx.AsyncClient(timeout=self.timeout, trust_env=False) as http:
            r = await http.get(url, headers=headers)
        if r.status_code == 404:
            return None
        if r.status_code >= 300:
            raise OSError(f"blob storage GET answered {r.status_code}")
        return r.content
