"""`hazardloop daily file | show | region`: the daily self-inspection report (docs/rules.md#daily-report)
from the command line, over the HTTP API with a token (the same rules and permissions as integrators)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer

from starter.cli_cases import ApiOpt, JsonOpt, TokenOpt, _client, _out

app = typer.Typer(no_args_is_help=True, help="Daily self-inspection reports (隐患排查日报告), due by 15:00.")


@app.command("file")
def file(
    enterprise_id: Annotated[str, typer.Argument(help="the enterprise filing (its own token)")],
    nothing_found: Annotated[bool, typer.Option("--nothing-found", help="nothing found today")] = False,
    hazard: Annotated[
        list[str] | None, typer.Option("--hazard", help="a hazard found, as TITLE or TITLE|CATEGORY (repeat)")
    ] = None,
    day: Annotated[str | None, typer.Option(help="the day reported on (YYYY-MM-DD); default today")] = None,
    note: Annotated[str, typer.Option(help="a note")] = "",
    key: Annotated[str | None, typer.Option("--idempotency-key", help="default: a fresh one")] = None,
    token: TokenOpt = None,
    api_url: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File today's report: --nothing-found, or one --hazard per hazard found (each becomes a case)."""
    hazards = []
    for h in hazard or []:
        title, _, category = h.partition("|")
        hazards.append({"title": title, "category": category or "unsafe_condition"})
    body: dict[str, Any] = {
        "note": note,
        **({"nothing_found": True} if nothing_found else {"hazards": hazards}),
    }
    if day:
        body["day"] = day
    with _client(api_url, token) as c:
        r = c.post(
            f"/v1/enterprises/{enterprise_id}/daily-reports",
            json=body,
            headers={"Idempotency-Key": key or uuid.uuid4().hex},
        )

    def human(d: dict[str, Any]) -> None:
        late = " LATE (missed)" if d["late"] else ""
        typer.echo(
            f"{d['enterprise_id']} {d['day']} filed{late}; hazards: {', '.join(d['hazard_ids']) or 'none'}"
        )

    _out(r, as_json, human)


@app.command("show")
def show(
    enterprise_id: str, token: TokenOpt = None, api_url: ApiOpt = None, as_json: JsonOpt = False
) -> None:
    """An enterprise's report owed today, its missed marks and its latest days."""
    with _client(api_url, token) as c:
        r = c.get(f"/v1/enterprises/{enterprise_id}/daily-reports")

    def human(d: dict[str, Any]) -> None:
        t = d["today"]
        state = "filed" if t["filed"] else "MISSED" if t["missed"] else "owed" if t["owed"] else "not owed"
        typer.echo(
            f"{enterprise_id} today {t['day']}: {state} (due {t['due_at']}); "
            f"missed on record: {d['missed_total']}"
        )
        for i in d["items"]:
            typer.echo(f"  {i['day']}  {'filed' if i['filed'] else '-':<6} {'MISSED' if i['missed'] else ''}")

    _out(r, as_json, human)


@app.command("region")
def region(
    code: str,
    day: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default today")] = None,
    token: TokenOpt = None,
    api_url: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A region's reports of a day: counts, then the enterprises that missed."""
    with _client(api_url, token) as c:
        r = c.get(f"/v1/regions/{code}/daily-reports", params={"day": day} if day else None)

    def human(d: dict[str, Any]) -> None:
        typer.echo(f"{d['region']} {d['day']}: {d['counts']}")
        for m in d["missed"]:
            typer.echo(f"  MISSED {m['enterprise_id']}{' (filed late)' if m['filed'] else ''}")

    _out(r, as_json, human)
