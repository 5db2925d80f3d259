"""The files of the working tree as git sees them: tracked and new ones, not the ignored ones."""

from __future__ import annotations

import subprocess

from runtime.settings import REPO_ROOT


def worktree_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return [name for name in listed if name]
