"""The payload codec compresses before it seals when that saves bytes (issue #21: history bytes), and
still opens what was sealed before it compressed; a compressed payload that would inflate without bound
is refused, not inflated."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from temporalio.api.common.v1 import Payload

from runtime.codec import (
    ENCODING_V2,
    MAX_PLAIN,
    ZLIB_MARK,
    EncryptionCodec,
    _associated,
    envelope,
    label_of,
    open_envelope,
)
from store.sealing import KeyRing, SealedBox, SealError

RING = KeyRing(base64.urlsafe_b64encode(bytes(range(32))).decode())
CASE = "HZ-0123456789ABCDEF0123"


def json_payload(value: object) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())


# a case input's shape: a policy pack of many alike keys
BIG = json_payload({"policy": {f"rule_{i}": {"days": i % 7, "level": "general"} for i in range(200)}})
SMALL = json_payload(1)


def sealed_as_before(inside: bytes) -> Payload:
    """A payload sealed by hand, labelled for CASE as the codec did before its metadata keys were
    shortened (and before it compressed)."""
    box = RING.seal(inside, _associated(CASE))
    metadata = {"encoding": b"binary/encrypted", "encryption-key-id": box.key_id.encode()}
    return Payload(metadata={**metadata, "hazardloop-workflow-id": CASE.encode()}, data=box.ciphertext)


def opened(p: Payload) -> bytes:
    """The sealed bytes of an encoded payload, opened without the codec."""
    kid, label, sealed = open_envelope(p.data)
    return RING.open(SealedBox(kid, sealed), _associated(label))


async def test_a_large_payload_is_sealed_compressed_and_opens_as_it_was() -> None:
    codec = EncryptionCodec(RING, CASE)
    (sealed,) = await codec.encode([BIG])
    raw = BIG.SerializeToString()
    assert opened(sealed).startswith(ZLIB_MARK)
    assert len(sealed.data) < len(raw) / 3  # nonce and tag included
    assert await codec.decode([sealed]) == [BIG]


async def test_a_payload_compression_would_not_shrink_is_sealed_as_it_was() -> None:
    codec = EncryptionCodec(RING, CASE)
    (sealed,) = await codec.encode([SMALL])
    assert opened(sealed) == SMALL.SerializeToString()
    assert await codec.decode([sealed]) == [SMALL]


async def test_a_payload_sealed_before_compression_existed_still_opens() -> None:
    old = sealed_as_before(BIG.SerializeToString())
    assert await EncryptionCodec(RING).decode([old]) == [BIG]


@pytest.mark.parametrize(
    "inside",
    [
        ZLIB_MARK + zlib.compress(b"\0" * (MAX_PLAIN + 1)),  # inflates beyond the bound
        ZLIB_MARK + zlib.compress(BIG.SerializeToString())[:-9],  # truncated
        ZLIB_MARK + b"not zlib at all",
    ],
    ids=["bomb", "truncated", "garbage"],
)
async def test_a_compressed_payload_that_does_not_inflate_within_bounds_is_refused(inside: bytes) -> None:
    with pytest.raises(ValueError, match="compressed payload"):
        await EncryptionCodec(RING).decode([sealed_as_before(inside)])


async def test_a_payload_names_its_case_and_key_in_a_clear_header_under_one_metadata_entry() -> None:
    (sealed,) = await EncryptionCodec(RING, CASE).encode([BIG])
    assert dict(sealed.metadata) == {"encoding": ENCODING_V2}
    kid, label, _ = open_envelope(sealed.data)
    assert (kid, label) == (RING.current_id, CASE)
    assert label_of(sealed) == label_of(sealed_as_before(b"")) == CASE
    (unlabelled,) = await EncryptionCodec(RING).encode([SMALL])
    assert label_of(unlabelled) is None
    assert await EncryptionCodec(RING).decode([unlabelled]) == [SMALL]


async def test_a_payload_is_shorter_than_under_the_three_metadata_entries() -> None:
    """SMALL does not compress: both seal the same bytes, and differ only in where key id and label sit."""
    (sealed,) = await EncryptionCodec(RING, CASE).encode([SMALL])
    before = sealed_as_before(SMALL.SerializeToString())  # under the short keys, as the codec did since
    before.metadata["hl-wf"] = before.metadata.pop("hazardloop-workflow-id")
    before.metadata["hl-key"] = before.metadata.pop("encryption-key-id")
    assert sealed.ByteSize() < before.ByteSize() - 20
    assert await EncryptionCodec(RING).decode([before]) == [SMALL]


async def test_a_relabelled_or_truncated_envelope_does_not_open() -> None:
    (sealed,) = await EncryptionCodec(RING, CASE).encode([BIG])
    kid, _, inside = open_envelope(sealed.data)
    for label in ("HZ-SOMEONE-ELSES", None):
        moved = Payload(metadata=dict(sealed.metadata), data=envelope(kid, label, inside))
        assert label_of(moved) == label
        with pytest.raises(SealError, match="does not open"):
            await EncryptionCodec(RING).decode([moved])
    for cut in (0, 2, 1 + len(kid) + 1, 1 + len(kid) + 2 + len(CASE) - 1):
        short = Payload(metadata=dict(sealed.metadata), data=sealed.data[:cut])
        assert label_of(short) is None or cut > 1 + len(kid) + 2
        with pytest.raises(ValueError):
            await EncryptionCodec(RING).decode([short])
