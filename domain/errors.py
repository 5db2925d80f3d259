"""Domain errors: a refused move says which rule refused it and what would be allowed.

Each error has a stable `code` that the shells map to HTTP statuses (docs/http-api.md#problem-documents)
and to Temporal `ApplicationError` types (non-retryable).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A move the rules forbid. `code` is stable; `detail` is for people."""

    code = "domain_error"
    http_status = 422

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra: dict[str, Any] = extra

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class InvalidCommand(DomainError):
    """The command is well-formed but breaks a rule about its content (e.g. a plan missing 资金)."""

    code = "invalid_command"
    http_status = 422

    def __init__(self, detail: str, *, field: str | None = None, rule: str | None = None, **extra: Any):
        super().__init__(detail, field=field, rule=rule, **extra)


class Forbidden(DomainError):
    """The actor's role, jurisdiction, enterprise or a separation-of-duties rule does not allow it."""

    code = "forbidden"
    http_status = 403

    def __init__(self, detail: str, *, rule: str, **extra: Any) -> None:
        super().__init__(detail, rule=rule, **extra)


class NotAllowedInState(DomainError):
    """The move is not allowed in the case's current state."""

    code = "not_allowed_in_state"
    http_status = 409

    def __init__(self, detail: str, *, status: str, allowed: list[str], **extra: Any) -> None:
        # `case_status`: a problem document's own `status` is the HTTP status (RFC 9457)
        super().__init__(detail, case_status=status, allowed=sorted(allowed), **extra)


class Conflict(DomainError):
    """Something already happened that makes this move meaningless (e.g. an extension already pending)."""

    code = "conflict"
    http_status = 409


class IdempotencyMismatch(DomainError):
    """An Idempotency-Key already used for another request (another body, or another user's)."""

    code = "idempotency_key_reused"
    http_status = 409


ERROR_TYPES: dict[str, type[DomainError]] = {
    c.code: c
    for c in (DomainError, InvalidCommand, Forbidden, NotAllowedInState, Conflict, IdempotencyMismatch)
}


def rebuild_error(code: str, detail: str, extra: dict[str, Any]) -> DomainError:
    """Turn a serialised error back into its class (used by the shells across process boundaries)."""
    cls = ERROR_TYPES.get(code, DomainError)
    err = DomainError.__new__(cls)
    DomainError.__init__(err, detail, **extra)
    return err


def from_validation(err: Any, tag: object = None) -> InvalidCommand:
    """A pydantic ValidationError as an InvalidCommand naming each field (the union's tag left out)."""
    problems: list[dict[str, str]] = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        if tag is not None and loc and loc[0] == str(tag):
            loc = loc[1:]
        problems.append({"field": ".".join(loc) or "type", "problem": str(e["msg"])})
    detail = "; ".join(f"{p['field']}: {p['problem']}" for p in problems) or "invalid body"
    return InvalidCommand(
        detail, field=problems[0]["field"] if problems else None, rule="schema", errors=problems
    )
