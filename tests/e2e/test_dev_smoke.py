"""`hazardloop dev` as a user runs it: one command brings up PostgreSQL, Temporal, the worker and the API
(ready when /readyz answers 200), Ctrl-C stops all of it with no process left behind, a second start
reuses the data; a port already taken is one clear line and exit code 2."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest

from runtime.embedded import free_port, free_temporal_port

pytestmark = pytest.mark.timeout(300)

DEV_COMMAND = [sys.executable, "-m", "starter.cli", "dev"]  # `hazardloop dev`
READY_WITHIN = 180.0
STOP_WITHIN = 90.0


def world_traversable_dir(prefix: str) -> Path:
    """PostgreSQL runs as an unprivileged user when we are root: its data dir must be reachable
    (not under /tmp/pytest-of-root, which is 0700)."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o755)
    return d


@dataclass
class Ports:
    api: int = field(default_factory=free_port)
    temporal: int = field(default_factory=free_temporal_port)
    postgres: int = field(default_factory=free_port)


def dev_env(data_dir: Path, ports: Ports) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAZARDLOOP_")}
    env.update(
        HAZARDLOOP_DATA_DIR=str(data_dir),
        HAZARDLOOP_API_PORT=str(ports.api),
        HAZARDLOOP_TEMPORAL_PORT=str(ports.temporal),
        HAZARDLOOP_POSTGRES_PORT=str(ports.postgres),
        HAZARDLOOP_LOG_LEVEL="INFO",
    )
    return env


def alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class DevRun:
    """One `python -m starter.cli dev` run, its output in files next to the data dir."""

    def __init__(self, root: Path, data_dir: Path, ports: Ports, tag: str) -> None:
        self.root = root
        self.data_dir = data_dir
        self.ports = ports
        self.out_path = root / f"{tag}.out"
        self.err_path = root / f"{tag}.err"
        self.seen: dict[int, psutil.Process] = {}
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                DEV_COMMAND,
                cwd=root,  # no stray .env
                env=dev_env(data_dir, ports),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    def output(self) -> str:
        return self.out_path.read_text(errors="replace")

    def errors(self) -> str:
        return self.err_path.read_text(errors="replace")

    def diagnostics(self) -> str:
        parts = [f"exit code: {self.proc.poll()}", "--- stdout", self.output(), "--- stderr", self.errors()]
        logs = self.data_dir / "logs"
        for log in sorted(logs.glob("*.log")) if logs.exists() else []:
            parts += [f"--- {log.name} (tail)", "\n".join(log.read_text(errors="replace").splitlines()[-25:])]
        return "\n".join(parts)

    def record_tree(self) -> list[psutil.Process]:
        procs = psutil.Process(self.proc.pid).children(recursive=True)
        for p in procs:
            self.seen.setdefault(p.pid, p)
        return procs

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_WITHIN
        with httpx.Client(trust_env=False, timeout=2.0) as http:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, "dev exited before it was ready\n" + self.diagnostics()
                self.record_tree()
                try:
                    if http.get(f"{self.url}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
        pytest.fail(f"/readyz not 200 within {READY_WITHIN:.0f}s\n{self.diagnostics()}")

    def wait_banner(self, within: float = 60.0) -> str:
        """The lines printed once it is ready (after /readyz answers 200)."""
        deadline = time.monotonic() + within
        while "Ctrl-C stops everything" not in (out := self.output()):
            assert self.proc.poll() is None, "dev exited\n" + self.diagnostics()
            if time.monotonic() > deadline:
                pytest.fail(f"no ready banner within {within:.0f}s\n{self.diagnostics()}")
            time.sleep(0.1)
        return out

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(STOP_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"dev did not stop within {STOP_WITHIN:.0f}s of SIGINT\n{self.diagnostics()}")

    def survivors(self) -> list[psutil.Process]:
        psutil.wait_procs([p for p in self.seen.values() if alive(p)], timeout=5)
        return [p for p in self.seen.values() if alive(p)]

    def kill_all(self) -> None:
        """Cleanup after a failed test: nothing of ours may outlive it."""
        if self.proc.poll() is None:
            self.record_tree()
            self.proc.kill()
            self.proc.wait(10)
        for p in self.seen.values():
            if alive(p):
                try:
                    p.kill()
                except psutil.NoSuchProcess:
                    pass
        psutil.wait_procs(list(self.seen.values()), timeout=10)


@pytest.fixture
def workspace() -> Iterator[tuple[Path, Path]]:
    root = world_traversable_dir("hazardloop-dev-e2e-")
    yield root, root / "data"
    subprocess.run(["rm", "-rf", str(root)], check=False)


@pytest.fixture
def runs() -> Iterator[list[DevRun]]:
    started: list[DevRun] = []
    yield started
    for run in started:
        run.kill_all()


def cmdlines(procs: list[psutil.Process]) -> list[str]:
    out = []
    for p in procs:
        try:
            out.append(" ".join(p.cmdline()))
        except psutil.Error:
            pass
    return out


def test_dev_starts_ready_stops_clean_and_reuses_data(
    workspace: tuple[Path, Path], runs: list[DevRun]
) -> None:
    root, data_dir = workspace
    ports = Ports()

    first = DevRun(root, data_dir, ports, "first")
    runs.append(first)
    first.wait_ready()
    tree = first.record_tree()
    lines = cmdlines(tree)
    for expected in ("postgres", "temporal", "starter.cli worker", "starter.cli api"):
        assert any(expected in line for line in lines), (expected, lines)
    out = first.wait_banner()
    assert f"http://127.0.0.1:{ports.api}/docs" in out
    assert f"http://127.0.0.1:{ports.temporal + 1000}" in out
    assert str(data_dir.resolve()) in out
    assert "hazardloop token --sub" in out and "--role" in out and "--region" in out
    assert (data_dir / "logs" / "worker.log").exists() and (data_dir / "logs" / "api.log").exists()
    # /metrics: behind the token dev generated in the data dir
    metrics_token = (data_dir / "metrics-token").read_text().strip()
    with httpx.Client(trust_env=False, timeout=5) as http:
        assert http.get(f"{first.url}/metrics").status_code == 401
        scraped = http.get(f"{first.url}/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
        assert scraped.status_code == 200 and "hazardloop_http_requests_total" in scraped.text

    assert first.interrupt() == 0, first.diagnostics()
    left = first.survivors()
    assert not left, f"processes survived the stop: {cmdlines(left)}"
    assert "Traceback" not in first.errors(), first.diagnostics()

    pg_version = data_dir / "pg" / "PG_VERSION"
    temporal_db = data_dir / "temporal" / "temporal.db"
    jwt_secret = data_dir / "jwt-secret"
    before = (pg_version.stat().st_mtime_ns, temporal_db.stat().st_ino, jwt_secret.read_text())

    second = DevRun(root, data_dir, ports, "second")
    runs.append(second)
    second.wait_ready()
    after = (pg_version.stat().st_mtime_ns, temporal_db.stat().st_ino, jwt_secret.read_text())
    assert after == before, "the second start re-initialised the data"
    assert second.interrupt() == 0, second.diagnostics()
    left = second.survivors()
    assert not left, f"processes survived the stop: {cmdlines(left)}"


@pytest.mark.parametrize("taken", ["api", "postgres", "temporal_ui"])
def test_port_already_taken_is_exit_2_and_one_line(
    workspace: tuple[Path, Path], runs: list[DevRun], taken: str
) -> None:
    root, data_dir = workspace
    ports = Ports()
    port = {"api": ports.api, "postgres": ports.postgres, "temporal_ui": ports.temporal + 1000}[taken]
    with socket.socket() as held:
        held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        held.bind(("127.0.0.1", port))
        held.listen()
        run = DevRun(root, data_dir, ports, f"taken-{taken}")
        runs.append(run)
        try:
            code = run.proc.wait(60)
        except subprocess.TimeoutExpired:
            pytest.fail("dev kept running with a port taken\n" + run.diagnostics())
    assert code == 2, run.diagnostics()
    err = run.errors().strip()
    assert f"port {port}" in err and "already in use" in err, err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    leftovers = [
        line
        for line in cmdlines(list(psutil.process_iter()))
        if str(data_dir) in line or f"-p {ports.postgres}" in line or f"--port {ports.temporal}" in line
    ]
    assert not leftovers, leftovers
    assert not (data_dir / "pg").exists()
