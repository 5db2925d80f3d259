"""The S3 client's request signing (AWS Signature Version 4) against AWS's published example
("Example: GET Object" of the S3 API reference), and the file store's content addressing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from store.blob_storage import EMPTY_SHA256, FileBlobStorage, sign_v4


def test_sign_v4_matches_the_aws_example():
    headers = sign_v4(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        {"Range": "bytes=0-9"},
        EMPTY_SHA256,
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
    assert headers["x-amz-date"] == "20130524T000000Z"


async def test_file_storage_round_trip(tmp_path: Path):
    store = FileBlobStorage(tmp_path)
    key = "ab" * 32
    assert await store.get(key) is None
    await store.put(key, b"photo")
    assert await store.get(key) == b"photo"
    assert store.path(key) == tmp_path / "ab" / "ab" / key
