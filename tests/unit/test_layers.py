"""The layer contracts (pyproject.toml: [tool.importlinter], and ruff's TID251 for worker.py; README,
"Layout") hold on the tree, and `make lint` fails on an upward import: each import below is written into
a copy of the tree, and the two import checks of `make lint` run there."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
ROOTS: list[str] = PYPROJECT["tool"]["importlinter"]["root_packages"]


def import_checks(root: Path) -> tuple[int, str]:
    """`make lint`'s import checks in `root`: the contracts, and ruff (worker.py's imports)."""
    out, worst = [], 0
    for argv in (
        [str(BIN / "lint-imports"), "--no-logo", "--no-cache"],
        [str(BIN / "ruff"), "check", "--no-cache", "--select", "TID251", "."],
    ):
        done = subprocess.run(
            argv, cwd=root, capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(root)}
        )
        out.append(done.stdout + done.stderr)
        worst = max(worst, done.returncode)
    return worst, "\n".join(out)


def tree_copy(dst: Path) -> Path:
    """Every root package (less recorded histories), worker.py and pyproject.toml, as in the repository."""
    for name in ROOTS:
        shutil.copytree(
            REPO / name,
            dst / name,
            ignore=lambda d, names: [
                n
                for n in names
                if (not n.endswith(".py") and not (Path(d) / n).is_dir()) or n == "__pycache__"
            ],
        )
    for name in ("worker.py", "pyproject.toml"):
        shutil.copy2(REPO / name, dst / name)
    return dst


def test_the_tree_keeps_its_layers() -> None:
    code, out = import_checks(REPO)
    assert code == 0, out
    assert "0 broken" in out


UPWARD = [
    # (file, the import written into it, what the lint names as broken)
    ("domain/_upward.py", "from store.db import make_engine\n", "The domain imports nothing of ours"),
    ("store/_upward.py", "from workflows.case import CaseWorkflow\n", "The store imports only the domain"),
    ("activities/_upward.py", "from workflows.archiver import ArchiverWorkflow\n", "nothing imports upward"),
    ("workflows/_upward.py", "import starter.cli\n", "Workflows never import the store or the entry points"),
    ("runtime/_upward.py", "import worker\n", "worker.py sits above runtime/"),
    ("notify/_upward.py", "from starter.cli import app\n", "nothing imports upward"),
    ("worker.py", "from starter.cli import app\n", "TID251 `starter` is banned"),
    ("worker.py", "from notify.outbox import outbox_drainer\n", "TID251 `notify` is banned"),
    ("bench/_upward.py", "from tests.support.poll import poll\n", "never import each other"),
    ("tests/_upward.py", "import bench.run\n", "never import each other"),
    ("starter/_upward.py", "from harness.apptest import running_app\n", "never imports the harness"),
]


@pytest.mark.parametrize(
    ("path", "line", "broken"), UPWARD, ids=[f"{p}: {imp.strip()}" for p, imp, _ in UPWARD]
)
def test_an_upward_import_fails_the_lint(tmp_path: Path, path: str, line: str, broken: str) -> None:
    root = tree_copy(tmp_path)
    target = root / path
    target.write_text((target.read_text() if target.exists() else "") + line)
    code, out = import_checks(root)
    assert code != 0, out
    assert broken in out, out
