"""A wheel built from the repository is a deployable package (issue #20, "Packaging and reproducibility";
"Done when": it can migrate a fresh database and run the worker). Built once per module without build
isolation from this interpreter's setuptools and installed with --no-deps into a directory of its own.
Every probe runs in a child interpreter that can import only that directory and this environment's
third-party packages: `-S` skips the site hooks (so the checkout's editable install is not on the path),
PYTHONPATH names the install first and then this environment's site-packages, PYTHONSAFEPATH keeps the
working directory (a temp dir) off the path. A module or data file missing from the wheel fails there."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import uuid
import zipfile
from pathlib import Path

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from harness.servers import TEST_SEAL_KEY, PgServer, unique_queue
from runtime.embedded import free_port
from runtime.settings import REPO_ROOT, Settings
from starter.auth import mint_token
from tests.support.poll import eventually
from tests.support.worktree import worktree_files

JWT = "wheel-test-secret-0123456789-0123456789"

PROBE = """
import asyncio, sys
from sqlalchemy import text
from runtime.settings import Settings
from starter.policies import load_policy
from store.db import make_engine
from store.migrate import migrate
import store
assert store.__file__.startswith(sys.argv[1]), store.__file__  # the installed copy, not the checkout
settings = Settings()
assert str(settings.policy_dir).startswith(sys.argv[1]), settings.policy_dir
print("pack", load_policy(settings, "cn-national").id)

async def main() -> None:
    await migrate(sys.argv[2])
    engine = make_engine(sys.argv[2])
    async with engine.connect() as conn:
        print("head", (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one())
        print("contacts", (await conn.execute(text("SELECT count(*) FROM contacts"))).scalar_one())
    await engine.dispose()

asyncio.run(main())
"""

# where the worker's and the API's entry points are imported from, and that the checkout is out of reach
WHERE = """
import importlib.util, sys
import activities, audit, domain, notify, runtime, starter.cli, store, workflows, worker
for m in (activities, audit, domain, notify, runtime, starter.cli, store, workflows, worker):
    print(m.__name__, m.__file__)
print("harness", importlib.util.find_spec("harness"))
"""


def build_wheel(tmp: Path) -> Path:
    """The wheel of the working tree as git sees it (tracked and new files, not ignored ones)."""
    src = tmp / "src"
    for name in worktree_files():
        if (REPO_ROOT / name).is_file() and not name.startswith(("tests/", "bench/", "docs/")):
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"), str(src)], check=True
    )
    (wheel,) = (tmp / "dist").glob("hazardloop-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory the wheel of the working tree is installed into (built once for this module)."""
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(tmp)
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "policies/cn-national.toml",
        "policies/test-fast.toml",
        "migrations/env.py",
        "migrations/script.py.mako",
        "migrations/versions/0001_initial_schema.py",
    ):
        assert shipped in names, shipped
    assert not any(n.startswith("tests/") for n in names)
    site = tmp / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True)
    return site


def installed_env(site: Path, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a child interpreter that imports the installed package, never the checkout."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("HAZARDLOOP_", "PYTHON"))}
    third_party = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    return {
        **inherited,
        "PYTHONPATH": os.pathsep.join([str(site), *third_party]),
        "PYTHONSAFEPATH": "1",
        "HAZARDLOOP_DATA_DIR": str(data_dir),
        "HAZARDLOOP_LOG_LEVEL": "WARNING",
        **{f"HAZARDLOOP_{k.upper()}": v for k, v in settings.items()},
    }


def python(*args: str) -> list[str]:
    return [sys.executable, "-S", *args]


async def empty_database(pg: PgServer) -> str:
    name = f"w_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(pg.server.dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    return pg.server.url(name)


async def test_a_built_wheel_migrates_a_fresh_database_and_loads_a_pack(
    installed: Path, pg: PgServer, tmp_path: Path
) -> None:
    url = await empty_database(pg)
    run = await asyncio.to_thread(
        subprocess.run,
        python("-c", PROBE, str(installed), url),
        env=installed_env(installed, tmp_path / "data"),
        cwd=tmp_path,  # not the checkout: nothing found next to the code there
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines() if " " in line)
    heads = sorted(p.name.split("_", 1)[0] for p in (REPO_ROOT / "migrations" / "versions").glob("0*.py"))
    assert lines["pack"] == "cn-national" and lines["contacts"] == "0", run.stdout
    assert lines["head"].startswith(heads[-1]), (lines["head"], heads)


async def test_the_installed_worker_records_a_hazard_the_installed_api_accepts(
    installed: Path, pg: PgServer, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    url = await empty_database(pg)
    port = free_port()
    env = installed_env(
        installed,
        tmp_path / "data",
        temporal_address=dev_env.client.service_client.config.target_host,
        temporal_task_queue=unique_queue("wheel"),  # no other worker takes this work
        database_url=url,
        seal_key=TEST_SEAL_KEY,
        jwt_secret=JWT,
        policy="cn-national",
        api_port=str(port),
    )

    def child(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            python(*args), env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )

    where = await asyncio.to_thread(child, "-c", WHERE)
    assert where.returncode == 0, where.stderr[-3000:]
    files = dict(line.split(" ", 1) for line in where.stdout.splitlines())
    assert files.pop("harness") == "None", "the checkout is importable"
    assert all(f.startswith(str(installed)) for f in files.values()), files
    migrated = await asyncio.to_thread(child, "-m", "starter.cli", "migrate")
    assert migrated.returncode == 0, migrated.stderr[-3000:]

    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("worker", "api")}
    procs = {
        name: await asyncio.create_subprocess_exec(
            *python("-m", "starter.cli", name), env=env, cwd=tmp_path, stdout=logs[name], stderr=logs[name]
        )
        for name in ("worker", "api")
    }

    def tail(name: str) -> str:
        return (tmp_path / f"{name}.log").read_text(errors="replace")[-3000:]

    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:

            async def ready() -> bool:
                for name, proc in procs.items():
                    assert proc.returncode is None, f"the installed {name} exited: {tail(name)}"
                try:
                    return (await http.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, "the installed API to be ready", within=60)
            token = mint_token(Settings(jwt_secret=JWT), sub="insp-1", role="inspector", region="500107")
            r = await http.post(
                "/v1/hazards",
                json={
                    "title": "配电箱未接地 distribution box not earthed",
                    "enterprise_id": "ENT-001",
                    "region": "500107",
                    "industry": "manufacturing",
                    "location": "workshop 2",
                    "source": "inspection",
                    "category": "unsafe_condition",
                    "risk_color": "yellow",
                },
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            )
            assert r.status_code == 201, (r.text, tail("worker"), tail("api"))
            case_id = r.json()["id"]
    finally:
        for proc in procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        codes = {name: await asyncio.wait_for(proc.wait(), 30) for name, proc in procs.items()}
        for log in logs.values():
            log.close()
    # uvicorn re-raises the SIGTERM it handled once it has shut down gracefully
    assert codes["worker"] == 0 and codes["api"] in (0, -signal.SIGTERM), (codes, tail("worker"), tail("api"))

    conn = await asyncpg.connect(pg.server.dsn(url.rsplit("/", 1)[1]))
    try:
        rows = await conn.fetch("SELECT type, policy_id FROM events WHERE stream_id = $1", case_id)
    finally:
        await conn.close()
    assert rows and {row["policy_id"] for row in rows} == {"cn-national"}, rows
