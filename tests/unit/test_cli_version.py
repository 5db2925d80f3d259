"""`hazardloop --version` (issue #20): the installed package's version, then each policy pack's id and
version as its file says (the one configured marked), and nothing else runs."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runtime.settings import REPO_ROOT, get_settings
from starter.cli import app


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """The CLI reads the (cached) settings: each test's environment, and none left behind."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _packs(directory: Path) -> dict[str, str]:
    packs = {}
    for path in sorted(directory.glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        packs[doc["id"]] = str(doc["version"])
    return packs


def test_version_prints_the_package_and_every_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAZARDLOOP_POLICY", "test-fast")
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"hazardloop {version('hazardloop')}"
    packs = _packs(REPO_ROOT / "policies")
    assert {"cn-national", "test-fast"} <= set(packs)
    expected = [f"policy pack {i} {v}" + (" (in use)" if i == "test-fast" else "") for i, v in packs.items()]
    assert lines[1:] == expected


def test_version_names_an_unreadable_pack_and_still_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shutil.copy(REPO_ROOT / "policies" / "cn-national.toml", tmp_path / "cn-national.toml")
    (tmp_path / "broken.toml").write_text('id = "broken"\nversion = ', encoding="utf-8")
    monkeypatch.setenv("HAZARDLOOP_POLICY_DIR", str(tmp_path))
    monkeypatch.setenv("HAZARDLOOP_POLICY", "cn-national")
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].startswith("policy pack broken: unreadable (")
    assert lines[2] == f"policy pack cn-national {_packs(REPO_ROOT / 'policies')['cn-national']} (in use)"
    assert len(lines) == 3


def test_commands_still_run_under_the_root_callback() -> None:
    result = CliRunner().invoke(app, ["token", "--help"])
    assert result.exit_code == 0 and "--role" in result.output
