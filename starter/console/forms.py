"""Forms generated from the same pydantic command models the API validates.

A model's fields become inputs (text, textarea, number, select, datetime, nested parts as dotted names);
what the browser posts back becomes the command body the API would take, so the one validation (the
decider's `parse_command`, then its rules) judges both.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel
from pydantic.fields import FieldInfo

from domain.common import Evidence

CN = timezone(timedelta(hours=8))  # what a datetime-local input means: China Standard Time
SKIP = frozenset({"type"})


@dataclass
class Input:
    name: str  # dotted for nested parts: basis.standard
    widget: Literal["text", "textarea", "number", "decimal", "select", "datetime", "lines", "evidence"]
    required: bool
    options: list[str] = field(default_factory=list)
    default: str = ""
    max_length: int | None = None


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None` (and Annotated), and whether None was allowed."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            inner, _ = _unwrap(args[0])
            return inner, optional
    return annotation, optional


def _max_length(info: FieldInfo) -> int | None:
    for m in info.metadata:
        v = getattr(m, "max_length", None)
        if isinstance(v, int):
            return v
    return None


def inputs(model: type[BaseModel], prefix: str = "") -> list[Input]:
    """The inputs of a command model (its `type` tag left out)."""
    out: list[Input] = []
    for name, info in model.model_fields.items():
        if name in SKIP and not prefix:
            continue
        ann, optional = _unwrap(info.annotation)
        required = info.is_required() and not optional
        full = f"{prefix}{name}"
        default = "" if info.default in (None, ...) or info.is_required() else info.default
        default_text = default.value if isinstance(default, Enum) else str(default)
        if isinstance(default, bool | list):
            default_text = "" if isinstance(default, list) else ("true" if default else "false")
        origin = typing.get_origin(ann)
        if isinstance(ann, type) and issubclass(ann, Evidence):
            out.append(Input(full, "evidence", required))
        elif origin is list:
            (item,) = typing.get_args(ann)
            item, _ = _unwrap(item)
            widget: Literal["evidence", "lines"] = (
                "evidence" if isinstance(item, type) and issubclass(item, Evidence) else "lines"
            )
            out.append(Input(full, widget, required))
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            sub = inputs(ann, prefix=f"{full}.")
            if not required:
                for s in sub:
                    s.required = False
            out.extend(sub)
        elif origin is Literal:
            opts = [str(a) for a in typing.get_args(ann)]
            out.append(Input(full, "select", required, opts, default_text))
        elif isinstance(ann, type) and issubclass(ann, Enum):
            out.append(Input(full, "select", required, [str(m.value) for m in ann], default_text))
        elif ann is bool:
            out.append(Input(full, "select", required, ["true", "false"], default_text))
        elif ann is int:
            out.append(Input(full, "number", required, default=default_text))
        elif ann is Decimal:
            out.append(Input(full, "decimal", required))
        elif ann in (datetime, AwareDatetime) or (isinstance(ann, type) and issubclass(ann, datetime)):
            out.append(Input(full, "datetime", required))
        else:
            ml = _max_length(info)
            widget2: Literal["text", "textarea"] = "textarea" if (ml or 0) > 500 else "text"
            out.append(Input(full, widget2, required, default=default_text, max_length=ml))
    return out


def _value(inp: Input, raw: str) -> Any:
    raw = raw.strip()
    if inp.widget == "lines":
        return [x.strip() for x in raw.splitlines() if x.strip()]
    if inp.widget == "evidence":
        items = []
        for line in raw.splitlines():
            parts = line.split()
            if len(parts) == 2:
                items.append({"sha256": parts[0], "uri": parts[1]})
            elif parts:
                items.append({"sha256": "", "uri": line.strip()})
        return items
    if inp.widget == "select" and inp.options == ["true", "false"]:
        return {"true": True, "false": False}.get(raw, raw)
    if inp.widget == "number":
        try:
            return int(raw)
        except ValueError:
            return raw
    if inp.widget == "datetime":
        try:
            return datetime.fromisoformat(raw).replace(tzinfo=CN).isoformat()
        except ValueError:
            return raw
    return raw


def body_from_form(ctype: str, fields: list[Input], form: typing.Mapping[str, str]) -> dict[str, Any]:
    """The command body the API would take: empty optional inputs left out, dotted names nested."""
    body: dict[str, Any] = {"type": ctype}
    for inp in fields:
        raw = form.get(inp.name, "")
        if not raw.strip() and not inp.required:
            continue
        if not raw.strip() and inp.widget in ("lines", "evidence"):
            continue
        target = body
        *parents, leaf = inp.name.split(".")
        for p in parents:
            target = target.setdefault(p, {})
        target[leaf] = _value(inp, raw) if raw.strip() else ""
        if target[leaf] == "" and inp.required and inp.widget != "text" and inp.widget != "textarea":
            del target[leaf]  # a missing choice is reported as missing, not as a bad value
    return body


def command_model(commands: object, ctype: str) -> type[BaseModel] | None:
    """The model of command `ctype` in a kind's discriminated command union."""
    union = typing.get_args(commands)[0] if typing.get_origin(commands) is typing.Annotated else commands
    for m in typing.get_args(union):
        if isinstance(m, type) and issubclass(m, BaseModel) and "type" in m.model_fields:
            if m.model_fields["type"].default == ctype:
                return m
    return None
