"""Resolve the policy pack for new cases (HAZARDLOOP_POLICY: an id in policies/ or a path)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from domain.policy import PolicyPack, PolicyRef, parse_pack
from runtime.settings import Settings


@lru_cache(maxsize=16)
def _load(path: str) -> PolicyPack:
    return parse_pack(Path(path).read_text(encoding="utf-8"))


def pack_path(settings: Settings, name: str | None = None) -> Path:
    name = name or settings.policy
    p = Path(name)
    if p.suffix == ".toml" or p.exists():
        return p
    candidate = settings.policy_dir / f"{name}.toml"
    if not candidate.exists():
        known = sorted(x.stem for x in settings.policy_dir.glob("*.toml"))
        raise ValueError(
            f"policy pack {name!r} not found; known packs: {known}, or give a path to a .toml file"
        )
    return candidate


def load_policy(settings: Settings, name: str | None = None) -> PolicyPack:
    return _load(str(pack_path(settings, name).resolve()))


ARCHIVE = "archive"


def load_pinned(settings: Settings, ref: PolicyRef, current: PolicyPack) -> PolicyPack | None:
    """The pack a case pinned: `current` when it is that version, else the pack of that id in the pack
    directory if its version matches, else the archived version (policies/archive/<id>-<version>.toml).
    None when no such version is at hand (the case itself carries its pack; only views need this)."""
    if ref == current.ref:
        return current
    candidates = [
        settings.policy_dir / f"{ref.id}.toml",
        settings.policy_dir / ARCHIVE / f"{ref.id}-{ref.version}.toml",
    ]
    for path in candidates:
        if path.is_file():
            pack = _load(str(path.resolve()))
            if pack.ref == ref:
                return pack
    return None
