"""Case kinds by name: the one place the shells look a kind up (its decider, its description)."""

from __future__ import annotations

import importlib
from typing import Any

from domain.decider import Decider, KindSpec

_KINDS: dict[str, KindSpec] = {}
_BUILTIN_LOADED = False


def register(spec: KindSpec) -> None:
    """Install a case kind by its description."""
    _KINDS[spec.name] = spec


def get_decider(kind: str) -> Decider[Any, Any, Any]:
    return get_spec(kind).decider


def get_spec(kind: str) -> KindSpec:
    if kind not in _KINDS:
        _load_builtin()
    try:
        return _KINDS[kind]
    except KeyError:
        raise KeyError(f"unknown case kind {kind!r}; known: {sorted(_KINDS)}") from None


def specs() -> list[KindSpec]:
    """The described case kinds, by name."""
    _load_builtin()
    return [_KINDS[k] for k in sorted(_KINDS)]


def kinds() -> list[str]:
    _load_builtin()
    return sorted(_KINDS)


def modules() -> list[str]:
    """The modules that define the registered deciders: importing them in another process (a rebuild's
    fold pool) registers the same kinds there."""
    _load_builtin()
    return sorted({type(spec.decider).__module__ for spec in _KINDS.values()})


def import_modules(names: list[str]) -> None:
    for name in names:
        importlib.import_module(name)


def _load_builtin() -> None:
    global _BUILTIN_LOADED
    if _BUILTIN_LOADED:
        return
    _BUILTIN_LOADED = True
    from domain.campaign import CAMPAIGN_KIND
    from domain.enterprise import ENTERPRISE_KIND
    from domain.hazard import HAZARD_KIND
    from domain.incident import INCIDENT_KIND
    from domain.tip import TIP_KIND

    for spec in (CAMPAIGN_KIND, ENTERPRISE_KIND, HAZARD_KIND, INCIDENT_KIND, TIP_KIND):
        register(spec)
