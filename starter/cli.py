"""`hazardloop`: run the stack and do what operators do. Every command has --help; --json for machines."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from runtime.settings import Settings, get_settings

if TYPE_CHECKING:
    import uvicorn

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="hazardloop: 隐患整改闭环 workflow service"
)


def _echo_json(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _version(shown: bool) -> None:
    if shown:
        from starter.cli_version import version_lines

        typer.echo("\n".join(version_lines(get_settings())))
        raise typer.Exit()


@app.callback()
def _root(
    _: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="print the version and the policy packs' versions, then exit",
        ),
    ] = False,
) -> None:
    """hazardloop: 隐患整改闭环 workflow service"""


@app.command()
def dev() -> None:
    """Run everything on the embedded default: Temporal dev server, PostgreSQL, worker and API."""
    from starter.devserver import run_dev

    sys.exit(run_dev(get_settings()))


@app.command()
def worker() -> None:
    """Run a worker against the configured Temporal and PostgreSQL."""
    from notify.outbox import outbox_drainer
    from runtime.logging import configure_logging
    from starter.shared_keys import refuse_mismatched_keys, require_secrets
    from worker import run_worker

    s = get_settings()
    require_secrets(s, "worker", "worker")
    configure_logging(s.log_level, json=s.log_json)
    refuse_mismatched_keys(s, "worker", "worker", unreachable_ok=False)  # never poll with foreign keys
    asyncio.run(run_worker(s, alongside=[outbox_drainer(s)]))


@app.command()
def api(
    workers: Annotated[int, typer.Option(min=1, help="server processes (uvicorn workers) on the port")] = 1,
) -> None:
    """Run the HTTP API against the configured Temporal and PostgreSQL."""
    from runtime.logging import configure_logging
    from starter.api.app import create_app
    from starter.shared_keys import refuse_mismatched_keys, require_secrets

    s = get_settings()
    require_secrets(s, "api", "api")
    configure_logging(s.log_level, json=s.log_json)
    refuse_mismatched_keys(s, "api", "api", unreachable_ok=True)
    if workers > 1:  # each process imports the app from its import string: starter/api/factory.py
        from uvicorn.supervisors import Multiprocess

        config = api_server(s, "starter.api.factory:app_factory", factory=True, workers=workers).config
        Multiprocess(config, sockets=[config.bind_socket()]).run()
    else:
        api_server(s, create_app(s)).run()


def api_server(
    s: Settings, asgi: Any, *, factory: bool = False, workers: int | None = None
) -> uvicorn.Server:
    """The API's HTTP server. Forwarding headers are not applied to the peer address here (uvicorn
    would believe them from 127.0.0.1): the routes that need the client's address read them from the
    configured HAZARDLOOP_TRUSTED_PROXIES only (starter/api/tips.py)."""
    import uvicorn

    config = uvicorn.Config(
        asgi,
        host=s.api_host,
        port=s.api_port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        factory=factory,
        workers=workers,
        # a server process answers its supervisor's ping only once imported: 5 s (the default) kills
        # every new process again and again on a busy machine
        timeout_worker_healthcheck=30,
    )
    from starter.api.server import QuietServer

    return QuietServer(config)


@app.command()
def ready(
    role: Annotated[str, typer.Option(help="worker|api: which keys to compare")] = "worker",
    as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
) -> None:
    """Exit 0 when PostgreSQL and Temporal answer and this process's keys are the deployment's, else 1
    (a container health check)."""
    from starter.ready import readiness
    from starter.shared_keys import require_secrets

    if role not in ("worker", "api"):
        typer.echo(f"error: --role must be worker or api, not {role!r}", err=True)
        raise typer.Exit(2)
    s = get_settings()
    require_secrets(s, "ready", "api" if role == "api" else "worker")
    checks = asyncio.run(readiness(s, "api" if role == "api" else "worker"))
    if as_json:
        _echo_json(checks)
    else:
        typer.echo(", ".join(f"{k}: {v}" for k, v in checks.items()))
    if any(v != "ok" for v in checks.values()):
        raise typer.Exit(1)


@app.command()
def migrate() -> None:
    """Apply the database migrations (Alembic) to the configured PostgreSQL."""
    from store.migrate import migrate as do_migrate

    s = get_settings()
    asyncio.run(do_migrate(s.resolved_database_url, pgbouncer=s.database_pgbouncer))
    typer.echo("migrations applied")


@app.command()
def token(
    sub: Annotated[str, typer.Option(help="user id")],
    role: Annotated[str, typer.Option(help="enterprise|inspector|supervisor|expert|operator|auditor")],
    region: Annotated[str, typer.Option(help="6-digit region code, e.g. 500107")],
    enterprise_id: Annotated[str | None, typer.Option("--enterprise-id", help="for role enterprise")] = None,
    name: Annotated[str, typer.Option(help="display name")] = "",
    ttl: Annotated[int, typer.Option(help="lifetime in seconds")] = 8 * 3600,
) -> None:
    """Mint a development token (HS256 with the configured or generated dev secret)."""
    from starter.auth import mint_token

    try:
        typer.echo(
            mint_token(
                get_settings(),
                sub=sub,
                role=role,
                region=region,
                enterprise_id=enterprise_id,
                name=name,
                ttl_seconds=ttl,
            )
        )
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e


projections_app = typer.Typer(
    no_args_is_help=True, help="The read model (cases table) kept beside the events."
)


@projections_app.command("rebuild")
def projections_rebuild(
    kind: Annotated[str | None, typer.Option(help="hazard|incident|tip; all kinds when absent")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
) -> None:
    """Re-fold every event into the projection (after a code fix, a restore, or to check it); a progress
    bar on a terminal."""
    from starter.progress import progress_bar
    from store.db import make_engine
    from store.projector import count_events, rebuild

    async def go() -> dict[str, int]:
        engine = make_engine(get_settings().resolved_database_url, **get_settings().database_options())
        try:
            with progress_bar("rebuilding", enabled=not as_json) as bar:
                if bar.enabled:
                    bar.total(await count_events(engine, kind))
                return await rebuild(engine, kind=kind, on_read=bar.advance)
        finally:
            await engine.dispose()

    counts = asyncio.run(go())
    if as_json:
        _echo_json(counts)
    else:
        typer.echo(", ".join(f"{k}: {v}" for k, v in counts.items()) or "nothing to rebuild")


@projections_app.command("check-counts")
def projections_check_counts(
    as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
) -> None:
    """Compare the statistics' pre-aggregated counts with a count of the cases; exit 1 on any difference
    (`projections rebuild` recounts)."""
    from store.db import make_engine
    from store.queries import count_drift

    async def go() -> list[dict[str, Any]]:
        engine = make_engine(get_settings().resolved_database_url, **get_settings().database_options())
        try:
            async with engine.connect() as conn:
                return await count_drift(conn)
        finally:
            await engine.dispose()

    drift = asyncio.run(go())
    if as_json:
        _echo_json({"differences": drift})
    elif not drift:
        typer.echo("counts agree with the cases")
    else:
        for d in drift:
            typer.echo(
                f"{d['kind']} {d['region']} {d['status']} level={d['level'] or '-'} "
                f"enterprise={d['enterprise_id'] or '-'}: cases {d['counted']}/{d['counted_overdue']}/"
                f"{d['counted_terminal']}, kept {d['kept']}/{d['kept_overdue']}/{d['kept_terminal']}"
            )
    if drift:
        raise typer.Exit(1)


app.add_typer(projections_app, name="projections")

seal_app = typer.Typer(no_args_is_help=True, help="The keys that seal data at rest (HAZARDLOOP_SEAL_KEY).")


@seal_app.command("rotate")
def seal_rotate(
    batch: Annotated[int, typer.Option(min=1, help="values re-sealed per transaction")] = 500,
    as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
) -> None:
    """Re-seal every sealed value in the database (tip reporters, webhook secrets) under the newest key,
    the first of HAZARDLOOP_SEAL_KEY. Idempotent; afterwards the database needs no older key."""
    from runtime.keys import SEAL
    from starter.shared_keys import require_secrets
    from store.db import make_engine
    from store.deployment_keys import record
    from store.reseal import reseal
    from store.sealing import KeyRing, SealError

    settings = get_settings()
    require_secrets(settings, "seal rotate", "client")

    async def go() -> dict[str, int]:
        engine = make_engine(settings.resolved_database_url, **settings.database_options())
        try:
            ring = KeyRing(settings.resolved_seal_key())
            counts = await reseal(engine, ring, batch)
            await record(engine, SEAL, ring.current_id)  # the deployment's key is now the newest
            return counts
        finally:
            await engine.dispose()

    try:
        counts = asyncio.run(go())
    except SealError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from e
    if as_json:
        _echo_json({"resealed": counts})
    else:
        typer.echo("re-sealed under the newest key: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


app.add_typer(seal_app, name="seal")

schedules_app = typer.Typer(no_args_is_help=True, help="The Temporal Schedules the service runs.")


@schedules_app.command("ensure")
def schedules_ensure(as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False) -> None:
    """Create the schedules, or bring existing ones up to date (idempotent): the history archiver, the
    daily / quarterly / annual reports, the overdue sweep."""
    from runtime.temporal_client import connect
    from starter.policies import load_policy
    from starter.schedules import ensure_schedules
    from starter.shared_keys import require_secrets

    s = get_settings()
    require_secrets(s, "schedules ensure", "client")  # the schedules' payloads are sealed

    async def go() -> list[str]:
        client = await connect(s)
        return await ensure_schedules(client, s.temporal_task_queue, load_policy(s))

    ids = asyncio.run(go())
    if as_json:
        _echo_json({"schedules": ids})
    else:
        typer.echo("schedules in place: " + ", ".join(ids))


app.add_typer(schedules_app, name="schedules")

reports_app = typer.Typer(no_args_is_help=True, help="Periodic reports computed from the event store.")


@reports_app.command("bulletin")
def reports_bulletin(
    month: Annotated[str, typer.Option(help="the calendar month, YYYY-MM (Asia/Shanghai)")],
    notify: Annotated[bool, typer.Option(help="send it to the regions' supervisors")] = False,
) -> None:
    """(Re)generate the monthly enforcement bulletin (执法通报) of any month; replaces an earlier run."""
    from activities.bulletin import store_bulletin
    from activities.contracts import BulletinRequest
    from domain.bulletin import month_bounds
    from store.db import make_engine

    try:
        start, end = month_bounds(month)
    except ValueError as e:
        typer.echo(f"error: --month {month!r} is not YYYY-MM", err=True)
        raise typer.Exit(2) from e

    async def go() -> dict[str, object]:
        engine = make_engine(get_settings().resolved_database_url)
        try:
            return (
                await store_bulletin(engine, BulletinRequest(start=start, end=end, notify=notify))
            ).model_dump()
        finally:
            await engine.dispose()

    _echo_json(asyncio.run(go()))


@reports_app.command("generate")
def reports_generate(
    kind: Annotated[str, typer.Option(help="daily|quarterly|annual")],
    start: Annotated[
        str, typer.Option(help="period start, ISO 8601 with offset, e.g. 2026-07-01T00:00+08:00")
    ],
    end: Annotated[str, typer.Option(help="period end (exclusive)")],
    notify: Annotated[bool, typer.Option(help="send it to the regions' supervisors")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
) -> None:
    """(Re)generate a report for any past period from the event store; replaces an earlier run."""
    from datetime import datetime

    from pydantic import ValidationError

    from activities.contracts import ReportRequest
    from activities.reports import store_report
    from store.db import make_engine

    try:
        req = ReportRequest.model_validate(
            {
                "kind": kind,
                "start": datetime.fromisoformat(start),
                "end": datetime.fromisoformat(end),
                "notify": notify,
            }
        )
    except (ValueError, ValidationError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e

    async def go() -> dict[str, object]:
        engine = make_engine(get_settings().resolved_database_url, **get_settings().database_options())
        try:
            return (await store_report(engine, req)).model_dump()
        finally:
            await engine.dispose()

    result = asyncio.run(go())
    if as_json:
        _echo_json(result)
    else:
        typer.echo(f"report {result['report_id']} ({kind}): {result['totals']}")


app.add_typer(reports_app, name="reports")


def _add_case_apps() -> None:
    from starter.cli_cases import make_case_app

    for plural, kind in (("hazards", "hazard"), ("incidents", "incident"), ("tips", "tip")):
        app.add_typer(make_case_app(plural, kind), name=kind)
    from starter.cli_campaigns import make_campaign_app

    app.add_typer(make_campaign_app(), name="campaign")
    from starter.cli_audit import app as audit_app
    from starter.cli_registry import app as registry_app

    app.add_typer(registry_app, name="registry")

    app.add_typer(audit_app, name="audit")
    from starter.cli_duties import app as duties_app

    app.add_typer(duties_app, name="duties")
    from starter.cli_daily import app as daily_app

    app.add_typer(daily_app, name="daily")


_add_case_apps()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
