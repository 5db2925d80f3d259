"""`hazardloop campaign …`: the case commands every kind has (`report` launches one, `command` signs a
report or files an explanation, `show`, `list`, `events`) and `lists`, the campaign's three lists
(隐患问题清单、整改清单、责任清单) as JSON or written to a CSV / XLSX file, through the HTTP API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from starter.cli_cases import ApiOpt, TokenOpt, _client, _out, make_case_app


def make_campaign_app() -> typer.Typer:
    app = make_case_app("campaigns", "campaign")

    @app.command("lists")
    def lists(
        case_id: str,
        output: Annotated[
            Path | None, typer.Option("-o", "--output", help="write CSV (.csv) or XLSX (.xlsx) here")
        ] = None,
        which: Annotated[
            str, typer.Option("--list", help="the CSV's list: hazards|rectification|responsibility")
        ] = "hazards",
        token: TokenOpt = None,
        api_url: ApiOpt = None,
    ) -> None:
        """The campaign's three lists: JSON on stdout, or a file (CSV: one list; XLSX: the three)."""
        fmt = "json" if output is None else ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")
        with _client(api_url, token) as c:
            r = c.get(f"/v1/campaigns/{case_id}/lists", params={"format": fmt, "list": which})
        if output is None or r.status_code >= 400:
            _out(r, True)
            return
        output.write_bytes(r.content)
        typer.echo(json.dumps({"written": str(output), "bytes": len(r.content)}))

    return app
