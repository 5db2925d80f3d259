"""Remote codec endpoint for the Temporal Web UI (its "codec server" protocol): authorised people see
decoded payloads in the UI; everyone else sees ciphertext.

Who may decode: an auditor or supervisor, and only payloads of cases within their jurisdiction — each
payload's case comes from its label (runtime/codec.py), checked against the case's region in the
projection. Payloads without a label, or labelled with a workflow that is no case (older histories,
schedules, the archiver), are decoded only for national jurisdiction (000000). One request is decoded
whole or not at all. Every decode, and every refusal, is logged with who asked, which cases and how
many payloads. A sealed reporter identity never opens here: it is sealed under other associated data."""

from typing import Any

import structlog
from fastapi import FastAPI, Request
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload

from domain.access import check_read
from domain.actors import Actor, Role
from domain.errors import Forbidden, InvalidCommand
from runtime.codec import EncryptionCodec, is_encrypted, label_of
from runtime.settings import Settings
from starter.api.app_deps import WhoOrSession
from store.queries import get_case_head
from store.sealing import KeyRing, SealError

log = structlog.get_logger("hazardloop.codec")
DECODERS = (Role.auditor, Role.supervisor)
NATIONAL = "000000"


def _not_malformed(e: Exception) -> InvalidCommand:
    return InvalidCommand(
        f"not a codec request ({{payloads: [Payload…]}}) this server can decode: {type(e).__name__}",
        field="payloads",
        rule="codec_protocol",
    )


async def _check_jurisdiction(request: Request, who: Actor, labels: set[str | None]) -> None:
    """Refuses unless `who` may read the case behind every label (no case: national jurisdiction only)."""
    async with request.app.state.engine.connect() as conn:
        for label in sorted(labels, key=str):
            row = None if label is None else await get_case_head(conn, label)
            if row is not None:
                check_read(who, row.region, row.enterprise_id)
            elif who.region != NATIONAL:
                raise Forbidden(
                    f"payloads {'of ' + label if label else 'without a case label'} belong to no case "
                    f"(older histories, schedules); they are decoded only for jurisdiction {NATIONAL}, "
                    f"not {who.region}",
                    rule="jurisdiction",
                )


class CodecCors:
    """CORS for the codec routes only: the Temporal Web UI (another origin) calls them from the browser,
    with credentials (the console's session cookie) when its "include cross-origin credentials" is on.
    Only the configured UI origins (HAZARDLOOP_CODEC_CORS_ORIGINS) get CORS headers."""

    PREFIX = "/codec/"

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        on_codec = scope["type"] == "http" and str(scope.get("path", "")).startswith(self.PREFIX)
        await (self.cors if on_codec else self.app)(scope, receive, send)


def install(app: FastAPI, settings: Settings) -> None:
    codec = EncryptionCodec(KeyRing(settings.resolved_seal_key()))
    app.add_middleware(CodecCors, origins=settings.resolved_codec_cors_origins)

    @app.post(
        "/codec/decode",
        tags=["ops"],
        summary="Decode payloads for the Temporal Web UI (auditor, supervisor; cases in their jurisdiction)",
    )
    async def decode(request: Request, who: WhoOrSession) -> dict[str, Any]:
        if who.role not in DECODERS:
            raise Forbidden(
                f"decoding workflow payloads needs role {' or '.join(r.value for r in DECODERS)}",
                rule="role",
            )
        try:
            body = await request.json()
            payloads = [json_format.ParseDict(p, Payload()) for p in body.get("payloads", [])]
        except (ValueError, TypeError, AttributeError, json_format.ParseError, DecodeError) as e:
            raise _not_malformed(e) from None
        labels = {label_of(p) for p in payloads if is_encrypted(p)}
        cases = sorted(str(label) for label in labels)
        who_asked = {"actor": who.id, "role": who.role.value, "region": who.region}
        try:
            await _check_jurisdiction(request, who, labels)
        except Forbidden as e:
            log.warning(
                "payload decoding refused", **who_asked, cases=cases, count=len(payloads), why=e.detail
            )
            raise
        try:
            decoded = await codec.decode(payloads)
        except (ValueError, DecodeError, SealError) as e:
            log.warning("payload decoding failed", **who_asked, cases=cases, error=type(e).__name__)
            raise _not_malformed(e) from None
        log.info("payloads decoded", **who_asked, cases=cases, count=len(decoded))
        return {"payloads": [json_format.MessageToDict(p) for p in decoded]}
