"""`hazardloop audit …`: trail, verify, replay (one case or in bulk), export and offline bundle checks.

These commands talk to Temporal and PostgreSQL directly with the configured settings (an operator's or
auditor's tool on the server side, like `migrate`); when Temporal is unreachable histories come from
the archive. Exit status: 0 all good, 1 a verification or replay failed, 2 usage or not found.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import structlog
import typer

from runtime.settings import get_settings

app = typer.Typer(no_args_is_help=True, help="audit: trail, replay, verify, export")
log = structlog.get_logger("hazardloop.cli.audit")

T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="machine output")]
Lang = Annotated[str, typer.Option("--lang", help="labels: zh | en")]


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@asynccontextmanager
async def _auditor() -> Any:
    from audit.auditor import Auditor
    from runtime.temporal_client import connect, data_converter
    from starter.evidence import evidence_check, evidence_for
    from store.db import make_engine

    s = get_settings()
    small = {**s.database_options(), "pool_size": 2, "max_overflow": 2}
    engine = make_engine(s.resolved_database_url, **small)
    client = None
    try:
        client = await connect(s)
    except RuntimeError as e:
        log.warning("temporal unreachable: auditing from the archive", error=str(e))
    try:
        yield Auditor(
            client, engine, data_converter(s), evidence_check=evidence_check(evidence_for(s, engine))
        )
    finally:
        await engine.dispose()


def _run(fn: Callable[[], Awaitable[T]]) -> T:
    from audit.models import CaseNotFound

    try:
        return asyncio.run(fn())  # type: ignore[arg-type]
    except CaseNotFound as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e


def _parse_time(v: str | None, name: str) -> datetime | None:
    if v is None:
        return None
    try:
        t = datetime.fromisoformat(v)
    except ValueError as e:
        typer.echo(f"error: {name} is not an ISO 8601 time: {v}", err=True)
        raise typer.Exit(2) from e
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@app.command()
def trail(
    case_id: Annotated[str, typer.Argument(help="case id (= workflow id)")],
    as_json: JsonOpt = False,
    lang: Lang = "zh",
    verify: Annotated[bool, typer.Option("--verify/--no-verify", help="include the verification")] = True,
) -> None:
    """Every step of a case: when, who, which command, what the rules decided, deadlines, notifications."""
    from audit.trail import render_trail

    async def go() -> Any:
        async with _auditor() as a:
            return await a.trail(case_id, verify=verify)

    t = _run(go)
    if as_json:
        _echo_json(t.model_dump(mode="json"))
    else:
        typer.echo(render_trail(t, lang))
    if t.verification is not None and not t.verification.ok:
        raise typer.Exit(1)


@app.command()
def verify(
    case_id: Annotated[str, typer.Argument(help="case id")],
    as_json: JsonOpt = False,
    lang: Lang = "en",
) -> None:
    """Chain intact, event store = what the history implies, projection = fold, archive intact, replay."""
    from audit.trail import render_verification

    async def go() -> Any:
        async with _auditor() as a:
            return await a.verify(case_id)

    report = _run(go)
    if as_json:
        _echo_json(report.model_dump(mode="json"))
    else:
        typer.echo("\n".join(render_verification(report, lang)))
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def replay(
    case_id: Annotated[str | None, typer.Argument(help="case id (omit with --all)")] = None,
    all_: Annotated[bool, typer.Option("--all", help="replay every history matching the filters")] = False,
    workflow_type: Annotated[
        str | None, typer.Option("--type", help="workflow type, e.g. HazardWorkflow")
    ] = None,
    since: Annotated[str | None, typer.Option(help="started at or after (ISO 8601)")] = None,
    until: Annotated[str | None, typer.Option(help="started at or before (ISO 8601)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Replay a case's history (all runs) against the current code; or, with --all, every history."""
    if all_ == (case_id is not None):
        typer.echo("error: give a case id or --all", err=True)
        raise typer.Exit(2)
    if case_id is not None:

        async def one() -> Any:
            async with _auditor() as a:
                return await a.replay(case_id)

        rep = _run(one)
        if as_json:
            _echo_json(rep.model_dump(mode="json"))
        else:
            for r in rep.runs:
                verdict = "ok" if r.ok else f"DIVERGED: {r.error_type}: {r.error}"
                typer.echo(f"{r.workflow_id} run {r.run_id} ({r.workflow_type}, from {r.source}): {verdict}")
            typer.echo("replay passed" if rep.ok else f"replay failed: {rep.first_divergence}")
        if not rep.ok:
            raise typer.Exit(1)
        return
    t0, t1 = _parse_time(since, "--since"), _parse_time(until, "--until")
    report = _run(lambda: _replay_all(workflow_type, t0, t1, show_progress=not as_json))
    if as_json:
        _echo_json(report.model_dump(mode="json"))
    else:
        typer.echo(f"replayed {report.replayed}, failed {report.failed}")
        for f in report.failures:
            typer.echo(f"  {f.workflow_id} run {f.run_id} ({f.workflow_type}): {f.error_type}: {f.error}")
    if not report.ok:
        raise typer.Exit(1)


async def _replay_all(
    workflow_type: str | None, since: datetime | None, until: datetime | None, *, show_progress: bool
) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from audit.models import ReplayRun
    from audit.replay import replay_all

    progress = Progress(
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed: {task.fields[failed]}"),
        TimeElapsedColumn(),
        disable=not show_progress,
        transient=False,
    )
    task = progress.add_task("replay", total=None, failed=0)
    failed = 0

    def on_total(n: int) -> None:
        progress.update(task, total=n)

    def on_progress(r: ReplayRun) -> None:
        nonlocal failed
        failed += 0 if r.ok else 1
        progress.update(task, advance=1, failed=failed)

    async with _auditor() as a:
        if a.client is None:
            typer.echo("error: bulk replay needs Temporal (the visibility list)", err=True)
            raise typer.Exit(2)
        with progress:
            return await replay_all(
                a.client,
                a.converter,
                workflow_type=workflow_type,
                since=since,
                until=until,
                on_total=on_total,
                on_progress=on_progress,
            )


@app.command()
def export(
    case_id: Annotated[str, typer.Argument(help="case id")],
    output: Annotated[Path, typer.Option("-o", "--output", help="bundle file to write")],
) -> None:
    """Write a self-contained audit bundle (histories, events with hashes, policy pack, projection)."""

    async def go() -> Any:
        async with _auditor() as a:
            return await a.export(case_id)

    bundle = _run(go)
    output.write_text(json.dumps(bundle, ensure_ascii=False, indent=1), encoding="utf-8")
    typer.echo(f"wrote {output} (sha256 {bundle['sha256']})")


@app.command("verify-bundle")
def verify_bundle_cmd(
    file: Annotated[Path, typer.Argument(help="a bundle written by `audit export`", exists=True)],
    as_json: JsonOpt = False,
    lang: Lang = "en",
) -> None:
    """Verify a bundle offline: sha, chain, history ⇔ events, projection ⇔ fold, replay on current code."""
    from audit.export import verify_bundle
    from audit.trail import render_verification
    from runtime.temporal_client import data_converter

    try:
        bundle = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        typer.echo(f"error: {file} is not a readable JSON bundle: {e}", err=True)
        raise typer.Exit(2) from e
    report = asyncio.run(verify_bundle(bundle, data_converter(get_settings())))
    if as_json:
        _echo_json(report.model_dump(mode="json"))
    else:
        typer.echo("\n".join(render_verification(report, lang)))
    if not report.ok:
        raise typer.Exit(1)
