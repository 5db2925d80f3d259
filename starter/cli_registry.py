"""`hazardloop registry import FILE.csv | show`: the responsibility registry from the command line.

CSV columns: party_kind (enterprise|region), party_id, region, role, name, department, email, webhook_url,
and optionally webhook_kind (webhook|wecom|dingtalk, default webhook) and dingtalk_secret (SEC…).
`region` is where an enterprise is (left empty on a region's rows): an enterprise's first row registers
it there, and a row naming another region than the one it is registered in is refused (moving an
enterprise is for a supervisor covering both regions, through the API). Each row is validated as the API
validates it and upserted on (party_kind, party_id, role, name), so importing the same file twice
changes nothing; a bad row is reported with its line and reason and the others still go in. A webhook
must point to a public address (unless HAZARDLOOP_WEBHOOK_ALLOW_PRIVATE), and a new or changed one gets
its own signing secret, printed once in the report.
"""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from domain.access import check_place
from domain.common import REGION_RE
from domain.contacts import ROLES, Person, allowed_roles, role_allowed
from domain.errors import DomainError
from notify.webhooks import UnsafeTarget, check_registration
from runtime.settings import get_settings
from store.db import make_engine
from store.registry import CONTACT_KEY, bind_region, import_contact, party_contacts, registered_region
from store.sealing import KeyRing

app = typer.Typer(
    no_args_is_help=True,
    help="Who receives notifications: enterprises' responsible persons, regions' officers.",
)


def _row(raw: dict[str, str]) -> dict[str, Any]:
    kind = (raw.get("party_kind") or "").strip()
    if kind not in ROLES:
        raise ValueError(f"party_kind must be enterprise or region, not {kind!r}")
    party = (raw.get("party_id") or "").strip()
    if not party or (kind == "region" and not REGION_RE.match(party)):
        raise ValueError(
            f"party_id {party!r} is not a valid {'region code' if kind == 'region' else 'enterprise id'}"
        )
    region = (raw.get("region") or "").strip()
    if kind == "enterprise":
        try:
            check_place(region, "an enterprise")
        except DomainError as e:
            raise ValueError(f"region: {e.detail}") from None
    elif region not in ("", party):
        raise ValueError(f"region {region!r}: leave it empty on a region's rows (party_id is the region)")
    person = Person.model_validate(
        {
            k: (raw.get(k) or "").strip() or None
            for k in ("role", "name", "department", "email", "webhook_url", "dingtalk_secret")
        }
        | {"webhook_kind": (raw.get("webhook_kind") or "").strip() or "webhook"}
        | {"department": (raw.get("department") or "").strip()}
    )
    if not role_allowed(person.role, kind):
        raise ValueError(f"role {person.role!r} is not one of {allowed_roles(kind)}")
    return {
        "party_kind": kind,
        "party_id": party,
        "region": region,
        **person.model_dump(exclude={"new_webhook_secret"}),
    }


@app.command("import")
def import_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a header row")],
    as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
) -> None:
    """Import (upsert) contacts from CSV; prints a per-row report. Exit code 1 when any row failed."""
    rows: list[tuple[int, dict[str, Any]]] = []
    errors: list[dict[str, Any]] = []
    with file.open(newline="", encoding="utf-8-sig") as f:
        for line, raw in enumerate(csv.DictReader(f), start=2):
            try:
                rows.append((line, _row(raw)))
            except (ValueError, ValidationError) as e:
                errors.append(
                    {"line": line, "error": str(e).splitlines()[0] if isinstance(e, ValueError) else str(e)}
                )

    settings = get_settings()
    issued: list[dict[str, Any]] = []

    async def go() -> int:
        engine = make_engine(settings.resolved_database_url, **settings.database_options())
        ring = KeyRing(settings.resolved_seal_key())
        imported = 0
        try:
            async with engine.begin() as conn:
                for line, row in rows:
                    values = {k: v for k, v in row.items() if k != "region"}
                    url = values["webhook_url"]
                    if url:
                        try:
                            await check_registration(url, allow_private=settings.webhook_allow_private)
                        except UnsafeTarget as e:
                            errors.append({"line": line, "error": f"webhook_url: {e}"})
                            continue
                    if row["party_kind"] == "enterprise":
                        party, region = row["party_id"], row["region"]
                        registered = await registered_region(conn, party, lock=True)
                        if registered not in (None, region):
                            errors.append(
                                {
                                    "line": line,
                                    "error": f"enterprise {party} is registered in {registered}, not "
                                    f"{region}: moving it is for a supervisor covering both regions (API)",
                                }
                            )
                            continue
                        await bind_region(conn, party, registered, region)
                    secret = await import_contact(conn, ring, values)
                    if secret is not None:
                        key = {k: values[k] for k in CONTACT_KEY}
                        issued.append({"line": line, **key, "webhook_secret": secret})
                    imported += 1
        finally:
            await engine.dispose()
        return imported

    imported = asyncio.run(go())
    errors.sort(key=lambda e: int(e["line"]))
    report = {"imported": imported, "failed": errors, "webhook_secrets": issued}
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"{imported} contacts imported, {len(errors)} rows refused")
        for err in errors:
            typer.echo(f"  line {err['line']}: {err['error']}")
        for new in issued:  # shown this once: configure it on the receiver
            typer.echo(f"  line {new['line']}: webhook secret of {new['name']}: {new['webhook_secret']}")
    if errors:
        raise typer.Exit(1)


@app.command("show")
def show(
    party: Annotated[str, typer.Argument(help="an enterprise id or a region code")],
    as_json: Annotated[bool, typer.Option("--json", help="machine output")] = False,
) -> None:
    """Who is registered for an enterprise or a region."""

    async def go() -> list[dict[str, Any]]:
        engine = make_engine(get_settings().resolved_database_url, **get_settings().database_options())
        try:
            async with engine.connect() as conn:
                return await party_contacts(conn, party)
        finally:
            await engine.dispose()

    people = asyncio.run(go())
    if as_json:
        typer.echo(json.dumps(people, ensure_ascii=False, indent=2, default=str))
        return
    for p in people:
        typer.echo(
            f"{p['party_kind']:10} {p['role']:14} {p['name']:12} {p['email'] or '-':28} "
            f"{p['webhook_url'] or '-'}"
        )
