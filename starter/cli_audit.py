"""`hazardloop audit …` commands. Filled in by the audit work."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="audit: trail, replay, verify, export")
