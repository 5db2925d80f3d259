"""Progress bars of the long CLI jobs (rich), on standard error and only on a terminal: a pipe, a file,
a CI log or `--json` output get none, so machine output stays clean."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


@dataclass
class Bar:
    """What a job tells its bar: the total when known, and each step done."""

    enabled: bool
    _progress: Progress | None = None
    _task: TaskID | None = None

    def total(self, n: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=n)

    def advance(self, n: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)


def on_terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, *, enabled: bool = True) -> Iterator[Bar]:
    """A bar for `description` when `enabled` and standard error is a terminal, else one that does
    nothing."""
    if not (enabled and on_terminal()):
        yield Bar(enabled=False)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        yield Bar(enabled=True, _progress=progress, _task=progress.add_task(description, total=None))
