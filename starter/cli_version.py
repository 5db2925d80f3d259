"""`hazardloop --version`: the package's version and the version of each policy pack it can load (the
packs are versioned on their own, and a case records the pack version it was opened under)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from runtime.settings import Settings
from starter.policies import load_policy


def package_version() -> str:
    try:
        return version("hazardloop")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def version_lines(settings: Settings) -> list[str]:
    """`hazardloop <version>`, then one line per pack in the policy directory; the configured one marked."""
    lines = [f"hazardloop {package_version()}"]
    for path in sorted(settings.policy_dir.glob("*.toml")):
        try:
            ref = load_policy(settings, str(path)).ref
        except ValueError as e:
            lines.append(f"policy pack {path.stem}: unreadable ({e})")
            continue
        used = " (in use)" if settings.policy in (ref.id, path.stem, str(path)) else ""
        lines.append(f"policy pack {ref.id} {ref.version}{used}")
    return lines
