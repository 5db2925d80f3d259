"""Case kinds by name: the one place the shells look a decider up."""

from __future__ import annotations

from typing import Any

from domain.decider import Decider

_DECIDERS: dict[str, Decider[Any, Any, Any]] = {}
_BUILTIN_LOADED = False


def register(decider: Decider[Any, Any, Any]) -> None:
    _DECIDERS[decider.kind] = decider


def get_decider(kind: str) -> Decider[Any, Any, Any]:
    if kind not in _DECIDERS:
        _load_builtin()
    try:
        return _DECIDERS[kind]
    except KeyError:
        raise KeyError(f"unknown case kind {kind!r}; known: {sorted(_DECIDERS)}") from None


def kinds() -> list[str]:
    _load_builtin()
    return sorted(_DECIDERS)


def modules() -> list[str]:
    """The modules that define the registered deciders: importing them in another process (a rebuild's
    fold pool) registers the same kinds there."""
    _load_builtin()
    return sorted({type(d).__module__ for d in _DECIDERS.values()})


def import_modules(names: list[str]) -> None:
    import importlib

    for name in names:
        importlib.import_module(name)


def _load_builtin() -> None:
    global _BUILTIN_LOADED
    if _BUILTIN_LOADED:
        return
    _BUILTIN_LOADED = True
    import importlib

    for module, name in (("domain.hazard", "HAZARD"), ("domain.incident", "INCIDENT"), ("domain.tip", "TIP")):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        register(getattr(mod, name))
