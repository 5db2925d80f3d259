"""Case commands of the CLI (`hazardloop hazard|incident|tip …`): they call the HTTP API with a token,
so the CLI obeys exactly the rules and permissions integrators see."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from runtime.settings import get_settings

TokenOpt = Annotated[str | None, typer.Option("--token", envvar="HAZARDLOOP_TOKEN", help="bearer token")]
ApiOpt = Annotated[str | None, typer.Option("--api-url", envvar="HAZARDLOOP_API_URL", help="API base URL")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine output")]


def _client(api_url: str | None, token: str | None) -> httpx.Client:
    if not token:
        typer.echo(
            "error: a token is needed (--token or HAZARDLOOP_TOKEN); mint one with `hazardloop token`",
            err=True,
        )
        raise typer.Exit(2)
    base = api_url or f"http://127.0.0.1:{get_settings().api_port}"
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _load_body(body: str | None, file: Path | None) -> dict[str, Any]:
    raw = file.read_text(encoding="utf-8") if file else (body or "{}")
    if raw.strip() == "-":
        raw = sys.stdin.read()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        typer.echo(f"error: the body is not JSON: {e}", err=True)
        raise typer.Exit(2) from e
    if not isinstance(data, dict):
        typer.echo("error: the body must be a JSON object", err=True)
        raise typer.Exit(2)
    return data


def _out(r: httpx.Response, as_json: bool, human: Any = None) -> None:
    if r.status_code >= 400:
        try:
            p = r.json()
            msg = f"{p.get('status')} {p.get('code')}: {p.get('detail')}"
        except ValueError:
            msg = f"{r.status_code}: {r.text[:500]}"
        typer.echo(f"error: {msg}", err=True)
        if as_json:
            typer.echo(r.text)
        raise typer.Exit(1)
    data = r.json()
    if as_json or human is None:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        human(data)


def _summary_line(c: dict[str, Any]) -> str:
    due = min((d["due_at"] for d in c.get("deadlines", [])), default="-")
    flag = " OVERDUE" if c.get("overdue") else ""
    label = c.get("title") or c.get("type") or c.get("channel") or ""
    level = c.get("level") or c.get("grade") or ""
    return f"{c['id']}  {c['status']:<16} {level:<10} {c.get('region')}  due {due}{flag}  {label}"


def make_case_app(plural: str, kind: str) -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, help=f"{kind} cases")

    @app.command("report")
    def report(
        body: Annotated[str | None, typer.Option(help="JSON body, or - for stdin")] = None,
        file: Annotated[Path | None, typer.Option(help="JSON file with the body")] = None,
        idempotency_key: Annotated[str | None, typer.Option()] = None,
        token: TokenOpt = None,
        api_url: ApiOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Report a new case (starts its workflow)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        with _client(api_url, token) as c:
            _out(
                c.post(f"/v1/{plural}", json=_load_body(body, file), headers=headers),
                as_json,
                lambda d: typer.echo(_summary_line(d)),
            )

    @app.command("command")
    def command(
        case_id: str,
        type_: Annotated[str, typer.Argument(metavar="TYPE", help="command type")],
        body: Annotated[str | None, typer.Option(help="JSON fields of the command")] = None,
        file: Annotated[Path | None, typer.Option()] = None,
        idempotency_key: Annotated[str | None, typer.Option()] = None,
        token: TokenOpt = None,
        api_url: ApiOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Send one command to a case, e.g. `grade --body '{"level": "general"}'`."""
        payload = {**_load_body(body, file), "type": type_}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        with _client(api_url, token) as c:
            _out(
                c.post(f"/v1/{plural}/{case_id}/commands", json=payload, headers=headers),
                as_json,
                lambda d: typer.echo(
                    _summary_line(d["case"]) + "\n  events: " + ", ".join(e["type"] for e in d["events"])
                ),
            )

    @app.command("show")
    def show(
        case_id: str,
        consistent: bool = False,
        token: TokenOpt = None,
        api_url: ApiOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Show one case."""
        with _client(api_url, token) as c:
            _out(
                c.get(f"/v1/{plural}/{case_id}", params={"consistent": consistent}),
                True if as_json else False,
                None,
            )

    @app.command("list")
    def list_(
        status: str | None = None,
        level: str | None = None,
        region: str | None = None,
        enterprise_id: str | None = None,
        overdue: bool | None = None,
        limit: int = 50,
        cursor: str | None = None,
        token: TokenOpt = None,
        api_url: ApiOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        """List cases, newest first (filters as the API)."""
        params = {
            k: v
            for k, v in {
                "status": status,
                "level": level,
                "region": region,
                "enterprise_id": enterprise_id,
                "overdue": overdue,
                "limit": limit,
                "cursor": cursor,
            }.items()
            if v is not None
        }

        def human(d: dict[str, Any]) -> None:
            for item in d["items"]:
                typer.echo(_summary_line(item))
            if d.get("next_cursor"):
                typer.echo(f"-- more: --cursor {d['next_cursor']}")

        with _client(api_url, token) as c:
            _out(c.get(f"/v1/{plural}", params=params), as_json, human)

    @app.command("events")
    def events(
        case_id: str, token: TokenOpt = None, api_url: ApiOpt = None, as_json: JsonOpt = False
    ) -> None:
        """The case's domain events with their hash chain."""

        def human(d: dict[str, Any]) -> None:
            for e in d["events"]:
                typer.echo(
                    f"{e['version']:>4} {e['occurred_at']}  {e['type']:<28} by {e['actor']['id']}"
                    f" ({e['actor']['role']})  {e['hash'][:12]}"
                )

        with _client(api_url, token) as c:
            _out(c.get(f"/v1/{plural}/{case_id}/events"), as_json, human)

    if kind == "hazard":

        @app.command("import")
        def import_(
            file: Path,
            token: TokenOpt = None,
            api_url: ApiOpt = None,
            errors: Annotated[Path | None, typer.Option(help="write the per-row error report here")] = None,
            as_json: JsonOpt = False,
        ) -> None:
            """Start hazards from a CSV or XLSX (隐患问题清单, 隐患台账): one row per hazard, columns as the
            report body or the templates' Chinese names; CSV in UTF-8 or GB18030 (starter/tabular.py).

            Idempotent per row: re-running the same file starts nothing twice. `evidence` may be a JSON
            list. A file with an unknown column or a value not allowed imports nothing; the API's refusal
            of a row is reported per row (which row, which field, why).
            """
            from starter.progress import progress_bar
            from starter.tabular import TableError, read_table

            try:
                rows = read_table(file).rows
            except TableError as e:
                if as_json:
                    typer.echo(json.dumps({"file": str(file), "imported": 0, "problems": e.problems}))
                else:
                    typer.echo(f"{file}: nothing imported", err=True)
                    for p in e.problems:
                        typer.echo(f"  line {p['line']}, {p['column']}: {p['problem']}", err=True)
                raise typer.Exit(1) from None
            report_rows: list[dict[str, Any]] = []
            created = existing = failed = 0
            shown = progress_bar(f"importing {file.name}", enabled=not as_json)
            with _client(api_url, token) as c, shown as bar:
                bar.total(len(rows))
                for n, body in rows:
                    if "evidence" in body:
                        try:
                            body["evidence"] = json.loads(body["evidence"])
                        except json.JSONDecodeError:
                            body["evidence"] = "not JSON"
                    key = (
                        "import:" + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:32]
                    )
                    r = c.post("/v1/hazards", json=body, headers={"Idempotency-Key": key})
                    if r.status_code == 201:
                        created += 1
                        report_rows.append({"line": n, "outcome": "created", "id": r.json()["id"]})
                    elif r.status_code == 200:
                        existing += 1
                        report_rows.append({"line": n, "outcome": "already imported", "id": r.json()["id"]})
                    else:
                        failed += 1
                        p = r.json() if r.headers.get("content-type", "").endswith("json") else {}
                        report_rows.append(
                            {
                                "line": n,
                                "outcome": "error",
                                "status": r.status_code,
                                "code": p.get("code"),
                                "field": p.get("field"),
                                "detail": p.get("detail", r.text[:300]),
                            }
                        )
                    bar.advance()
            summary = {
                "file": str(file),
                "rows": len(rows),
                "created": created,
                "already_imported": existing,
                "failed": failed,
                "report": report_rows,
            }
            if errors:
                errors.write_text(
                    json.dumps(
                        [r for r in report_rows if r["outcome"] == "error"], ensure_ascii=False, indent=2
                    ),
                    encoding="utf-8",
                )
            if as_json:
                typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
            else:
                typer.echo(
                    f"{len(rows)} rows: {created} created, {existing} already imported, {failed} failed"
                )
                for line in report_rows:
                    if line["outcome"] == "error":
                        typer.echo(
                            f"  line {line['line']}: {line['status']} {line['code']} "
                            f"{line.get('field') or ''}: {line['detail']}"
                        )
            if failed:
                raise typer.Exit(1)

    return app
