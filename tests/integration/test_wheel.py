"""A wheel built from the repository carries its policy packs and migrations as package data: installed
away from the checkout it migrates an empty database to head and loads a pack (issue #20, "Packaging
and reproducibility"). Built without build isolation from this interpreter's setuptools, installed
with --no-deps into a directory of its own, run by this interpreter with that directory first on the
path (the dependencies come from this environment)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import asyncpg

from harness.servers import PgServer
from runtime.settings import REPO_ROOT
from tests.support.worktree import worktree_files

PROBE = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
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


async def test_a_built_wheel_migrates_a_fresh_database_and_loads_a_pack(pg: PgServer, tmp_path: Path) -> None:
    wheel = await asyncio.to_thread(build_wheel, tmp_path)
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

    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    await asyncio.to_thread(
        subprocess.run, [*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True
    )

    name = f"w_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(pg.server.dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    finally:
        await conn.close()
    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", PROBE, str(site), pg.server.url(name)],
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
