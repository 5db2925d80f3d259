"""Encryption at rest for what must stay sealed (a tip reporter's identity; every Temporal payload).

A key ring from configuration: `HAZARDLOOP_SEAL_KEY` holds one or more base64 32-byte keys separated by
commas, newest first. New data is sealed with the newest key; older keys still open what they sealed,
so a key is rotated by prepending a new one and re-sealing (`hazardloop seal rotate`, store/reseal.py).
AES-256-GCM with a random 96-bit nonce; the key id (first 16 hex of the key's SHA-256) travels along.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SealError(Exception):
    pass


@dataclass(frozen=True)
class SealedBox:
    key_id: str
    ciphertext: bytes


class KeyRing:
    def __init__(self, keys: str) -> None:
        self._keys: dict[str, AESGCM] = {}
        self.current_id = ""
        for i, raw in enumerate(k.strip() for k in keys.split(",") if k.strip()):
            try:
                key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
            except ValueError as e:
                raise SealError(f"seal key #{i + 1} is not base64") from e
            if len(key) != 32:
                raise SealError(f"seal key #{i + 1} must be 32 bytes (AES-256), got {len(key)}")
            kid = hashlib.sha256(key).hexdigest()[:16]
            self._keys[kid] = AESGCM(key)
            if i == 0:
                self.current_id = kid
        if not self._keys:
            raise SealError("no seal key configured (HAZARDLOOP_SEAL_KEY)")

    @property
    def key_ids(self) -> list[str]:
        """The ids (SHA-256 prefixes, stored beside every sealed value) of the ring's keys, newest first."""
        return list(self._keys)

    def seal(self, plaintext: bytes, associated: bytes = b"") -> SealedBox:
        nonce = os.urandom(12)
        ct = self._keys[self.current_id].encrypt(nonce, plaintext, associated or None)
        return SealedBox(self.current_id, nonce + ct)

    def open(self, box: SealedBox, associated: bytes = b"") -> bytes:
        aes = self._keys.get(box.key_id)
        if aes is None:
            raise SealError(f"no key {box.key_id} in the key ring: was it removed before re-sealing?")
        try:
            return aes.decrypt(box.ciphertext[:12], box.ciphertext[12:], associated or None)
        except Exception as e:
            raise SealError("sealed data does not open with its key (tampered or wrong key)") from e


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()
