"""Remote codec endpoint for the Temporal Web UI (its "codec server" protocol): authorised people see
decoded payloads in the UI; everyone else sees ciphertext. Decoding is logged with who asked."""

from typing import Any

import structlog
from fastapi import FastAPI, Request
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload

from domain.actors import Role
from domain.errors import Forbidden, InvalidCommand
from starter.api.app_deps import Who
from starter.codec import EncryptionCodec
from starter.settings import Settings
from store.sealing import KeyRing, SealError

log = structlog.get_logger("hazardloop.codec")
DECODERS = (Role.auditor, Role.supervisor)


def install(app: FastAPI, settings: Settings) -> None:
    codec = EncryptionCodec(KeyRing(settings.resolved_seal_key()))

    @app.post(
        "/codec/decode", tags=["ops"], summary="Decode payloads for the Temporal Web UI (auditor, supervisor)"
    )
    async def decode(request: Request, who: Who) -> dict[str, Any]:
        if who.role not in DECODERS:
            raise Forbidden(
                f"decoding workflow payloads needs role {' or '.join(r.value for r in DECODERS)}",
                rule="role",
            )
        try:
            body = await request.json()
            payloads = [json_format.ParseDict(p, Payload()) for p in body.get("payloads", [])]
            decoded = await codec.decode(payloads)
        except (ValueError, TypeError, AttributeError, json_format.ParseError, DecodeError, SealError) as e:
            raise InvalidCommand(
                f"not a codec request ({{payloads: [Payload…]}}) this server can decode: {type(e).__name__}",
                field="payloads",
                rule="codec_protocol",
            ) from None
        log.info("payloads decoded", actor=who.id, role=who.role.value, count=len(decoded))
        return {"payloads": [json_format.MessageToDict(p) for p in decoded]}
