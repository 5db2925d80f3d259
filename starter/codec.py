"""Payload codec: every payload is encrypted before it leaves the process, so no workflow history holds
plain text (a tip's content can identify its reporter). The Temporal Web UI decodes through the API's
codec endpoint (`POST /codec/decode`) for authorised people."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from store.sealing import KeyRing, SealedBox

ENCODING = b"binary/encrypted"


class EncryptionCodec(PayloadCodec):
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            box = self.ring.seal(p.SerializeToString())
            out.append(
                Payload(
                    metadata={"encoding": ENCODING, "encryption-key-id": box.key_id.encode()},
                    data=box.ciphertext,
                )
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCODING:
                out.append(p)
                continue
            kid = p.metadata.get("encryption-key-id", b"").decode()
            out.append(Payload.FromString(self.ring.open(SealedBox(kid, p.data))))
        return out
