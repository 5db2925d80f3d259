"""The edge refuses text PostgreSQL cannot store (a NUL character, an unpaired surrogate) in any request
value — the path, a query parameter, a header, a JSON body — with 422 `invalid_request` naming where it
is, before any route runs: such a value once reached a workflow and wedged its case (issue #15).

A plain ASGI wrapper, like `Observe`: the body is read once, checked, and handed on unchanged. A body
larger than `max_body` bytes is refused with 413 `payload_too_large` as soon as it is seen to be (the
declared Content-Length, or what has arrived), so a huge body is never held in memory; paths under
`streamed_prefixes` (uploads that bound their own size) pass through unread."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.common import STORABLE_TEXT_RULE, unstorable_text
from domain.messages import pick_language
from starter.api.problems import problem

log = structlog.get_logger("hazardloop.api")

# a raw NUL byte, or a JSON escape of NUL or of a surrogate (paired ones are legal: only a parse tells):
# a body without any of these needs no parse
_SUSPECT_BODY = re.compile(rb"\x00|\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def _first_unstorable(scope: Scope, body: bytes) -> tuple[str, str, str] | None:
    """(location, field, character) of the first unstorable value of the request, or None."""
    if "\x00" in scope.get("path", ""):
        return "path", "path", "U+0000"
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        found = unstorable_text(name) or unstorable_text(value)
        if found is not None:
            return "query", name, found[1]
    for raw_name, raw_value in scope.get("headers", []):
        if b"\x00" in raw_value or b"\x00" in raw_name:
            return "header", raw_name.decode("latin-1").lower(), "U+0000"
    if body and _SUSPECT_BODY.search(body):
        try:
            doc = json.loads(body)
        except (ValueError, RecursionError):
            return None  # not JSON (a raw NUL is not JSON either): the route refuses it as such
        found = unstorable_text(doc)
        if found is not None:
            return "body", found[0], found[1]
    return None


DEFAULT_MAX_BODY = 2 * 1024 * 1024


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _is_form(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return bool(value.lower().startswith(b"multipart/form-data"))
    return False


class RefuseUnstorableText:
    def __init__(
        self,
        app: ASGIApp,
        max_body: int = DEFAULT_MAX_BODY,
        streamed_prefixes: tuple[str, ...] = (),
        max_form: int | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.streamed_prefixes = streamed_prefixes
        # a multipart form (the console's forms with photos) of a declared length up to max_form passes on
        # unread: its files are no text, and its text fields meet the rules' own storable-text check
        self.max_form = max_form

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int | None = None) -> None:
        limit = limit or self.max_body
        log.info("request refused: body too large", limit=limit)
        response = problem(
            413,
            "payload_too_large",
            f"the request body is larger than {limit} bytes, the most this API accepts",
            limit=limit,
        )
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        streamed = bool(self.streamed_prefixes) and scope.get("path", "").startswith(self.streamed_prefixes)
        if scope["type"] != "http" or streamed:
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and self.max_form is not None and _is_form(scope):
            if declared > self.max_form:
                await self._too_large(scope, receive, send, self.max_form)
            else:
                await self.app(scope, receive, send)
            return
        if declared is not None and declared > self.max_body:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        found = _first_unstorable(scope, body)
        if found is None:
            await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)
            return
        location, field, char = found
        where = {"path": "the path", "query": f"query parameter {field}", "header": f"header {field}"}.get(
            location, f"body field {field}" if field else "the body"
        )
        log.info("request refused: unstorable text", location=location, field=field, character=char)
        response = problem(
            422,
            "invalid_request",
            f"{where}: contains {char}, which cannot be stored; {STORABLE_TEXT_RULE}",
            location=location,
            field=field or None,
            lang=pick_language(dict(scope["headers"]).get(b"accept-language", b"").decode("latin-1")),
            rule="storable_text",
        )
        await response(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that first hands over `messages`, then defers to the server's (e.g. a disconnect)."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
