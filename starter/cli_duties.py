"""`hazardloop duties …`: inspection plans by risk colour and the officers' 包保 duty from the command line
(docs/rules.md#duties). Everything but `sweep` calls the HTTP API with a token (the same rules and
permissions as integrators); `sweep` runs the duty sweep on the database for an instant, as the hourly
schedule does (an operator's catch-up, or a past instant replayed: each mark is made once)."""

from __future__ import annotations

import asyncio
import csv
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from runtime.settings import get_settings
from starter.cli_cases import ApiOpt, JsonOpt, TokenOpt, _client, _out

app = typer.Typer(no_args_is_help=True, help="Inspection plans by risk colour; officers' 包保 duty.")
RegionOpt = Annotated[str, typer.Option(help="6-digit region code")]


def _plan_line(p: dict[str, Any]) -> None:
    flag = " OVERDUE" if p.get("overdue") else ""
    typer.echo(f"{p['enterprise_id']}  {p['colour']:<6} {p['region']}  due {p['due_at']}{flag}")


def _plan_lines(d: dict[str, Any]) -> None:
    for p in d["items"]:
        _plan_line(p)


def _put(call: tuple[str | None, str | None, bool], path: str, region: str, **body: Any) -> None:
    """PUT `{"region": region, **body}` with (api_url, token, as_json), and print the answer."""
    api_url, token, as_json = call
    with _client(api_url, token) as c:
        _out(c.put(path, json={"region": region, **body}), as_json, None)


@app.command("colour")
def colour(
    enterprise_id: str,
    value: Annotated[str, typer.Argument(metavar="COLOUR", help="red|orange|yellow|blue")],
    region: RegionOpt,
    token: TokenOpt = None,
    api_url: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set an enterprise's risk colour (plans its next inspection)."""
    _put((api_url, token, as_json), f"/v1/enterprises/{enterprise_id}/risk-colour", region, colour=value)


@app.command("inspect")
def inspect(
    enterprise_id: str,
    note: str = "",
    findings: Annotated[Path | None, typer.Option(help="JSON file: a list of findings")] = None,
    inspected_at: Annotated[str | None, typer.Option(help="ISO 8601 with offset; default now")] = None,
    idempotency_key: Annotated[str | None, typer.Option()] = None,
    token: TokenOpt = None,
    api_url: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record an inspection; each finding opens a hazard."""
    body: dict[str, Any] = {"enterprise_id": enterprise_id, "note": note}
    if findings is not None:
        body["findings"] = json.loads(findings.read_text(encoding="utf-8"))
    if inspected_at:
        body["inspected_at"] = inspected_at
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    with _client(api_url, token) as c:
        _out(
            c.post("/v1/inspections", json=body, headers=headers),
            as_json,
            lambda d: typer.echo(f"{d['id']}  {d['enterprise_id']}  hazards {d['hazard_ids']}"),
        )


@app.command("plans")
def plans(
    region: Annotated[str | None, typer.Option()] = None,
    overdue: Annotated[bool | None, typer.Option("--overdue/--on-time")] = None,
    token: TokenOpt = None,
    api_url: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List inspection plans, earliest deadline first."""
    params = {k: v for k, v in {"region": region, "overdue": overdue}.items() if v is not None}
    with _client(api_url, token) as c:
        _out(c.get("/v1/inspection-plans", params=params), as_json, _plan_lines)


@app.command("assign")
def assign(
    officer_id: str,
    enterprise_ids: Annotated[list[str], typer.Argument(help="the officer's 包保 enterprises")],
    region: RegionOpt,
    token: TokenOpt = None,
    api_url: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Make an officer's 包保 list these enterprises."""
    _put(
        (api_url, token, as_json),
        f"/v1/officers/{officer_id}/enterprises",
        region,
        enterprise_ids=enterprise_ids,
    )


@app.command("progress")
def progress(
    officer_id: Annotated[str | None, typer.Argument(help="one officer; default every officer")] = None,
    month: Annotated[str | None, typer.Option(help="YYYY-MM; default this month")] = None,
    region: Annotated[str | None, typer.Option()] = None,
    token: TokenOpt = None,
    api_url: ApiOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """An officer's month, or every officer's in a region (who is behind)."""
    path = f"/v1/officers/{officer_id}/progress" if officer_id else "/v1/duty-progress"
    params = {k: v for k, v in {"month": month, "region": region}.items() if v is not None}
    with _client(api_url, token) as c:
        _out(c.get(path, params=params), as_json, None)


@app.command("import-colours")
def import_colours(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV: enterprise_id,region,colour")
    ],
    as_json: JsonOpt = False,
) -> None:
    """Set risk colours from CSV on the database, as the registry import does: a first row registers the
    enterprise in its region, a row naming another region is refused, the same colour again changes
    nothing; a bad row is reported with its line and the others still go in. Exit code 1 on any refusal."""
    from domain.access import check_place
    from domain.actors import SYSTEM
    from domain.duties.inspections import Colour
    from domain.errors import DomainError
    from starter.policies import load_policy
    from store.db import make_engine
    from store.duties import set_colour
    from store.registry import bind_region, registered_region

    rows: list[tuple[int, str, str, Colour]] = []
    errors: list[dict[str, Any]] = []
    with file.open(newline="", encoding="utf-8-sig") as f:
        for line, raw in enumerate(csv.DictReader(f), start=2):
            ent, region = (raw.get("enterprise_id") or "").strip(), (raw.get("region") or "").strip()
            try:
                if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", ent):
                    raise ValueError(f"enterprise_id {ent!r} is not a valid enterprise id")
                check_place(region, "an enterprise")
                rows.append((line, ent, region, Colour((raw.get("colour") or "").strip())))
            except (ValueError, DomainError) as e:
                errors.append({"line": line, "error": getattr(e, "detail", str(e))})
    settings = get_settings()

    async def go() -> int:
        engine = make_engine(settings.resolved_database_url)
        pack, done = load_policy(settings), 0
        try:
            async with engine.begin() as conn:
                for line, ent, region, value in rows:
                    registered = await registered_region(conn, ent, lock=True)
                    if registered not in (None, region):
                        errors.append(
                            {"line": line, "error": f"{ent} is registered in {registered}, not {region}"}
                        )
                        continue
                    await bind_region(conn, ent, registered, region)
                    await set_colour(conn, pack, ent, region, value, SYSTEM, datetime.now(UTC))
                    done += 1
        finally:
            await engine.dispose()
        return done

    report = {"imported": asyncio.run(go()), "failed": sorted(errors, key=lambda e: int(e["line"]))}
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        typer.echo(f"{report['imported']} colours set, {len(errors)} rows refused")
        for err in errors:
            typer.echo(f"  line {err['line']}: {err['error']}")
    if errors:
        raise typer.Exit(1)


@app.command("sweep")
def sweep_cmd(
    at: Annotated[str | None, typer.Option(help="the instant, ISO 8601 with offset; default now")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run the duty sweep on the database for an instant: overdue inspections, officers behind."""
    from activities.duties import sweep
    from starter.policies import load_policy
    from store.db import make_engine

    try:
        when = datetime.fromisoformat(at) if at else datetime.now(UTC)
    except ValueError as e:
        typer.echo(f"error: --at: {e}", err=True)
        raise typer.Exit(2) from e
    if when.tzinfo is None:
        typer.echo("error: --at needs an offset, e.g. 2026-12-26T00:00+08:00", err=True)
        raise typer.Exit(2)
    settings = get_settings()

    async def go() -> dict[str, Any]:
        engine = make_engine(settings.resolved_database_url)
        try:
            return (await sweep(engine, load_policy(settings), when)).model_dump(mode="json")
        finally:
            await engine.dispose()

    result = asyncio.run(go())
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        typer.echo(
            f"duty sweep at {result['at']}: {result['inspections_overdue']} inspections overdue, "
            f"{result['officers_noticed']} officers noticed"
        )
