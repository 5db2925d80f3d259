"""The `hazardloop dev` supervisor with stand-in children (no servers): start order, reverse stop order,
one-shot failures, unexpected deaths, and no orphans — including grandchildren that ignore SIGTERM or
leave the process group."""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from runtime.embedded import free_port
from runtime.settings import Settings
from starter.devserver import (
    EXIT_CONFIG,
    AppProcess,
    Child,
    ChildCommand,
    DevError,
    Supervisor,
    build_children,
    build_plan,
    check_ports,
    cli_argv,
    http_ready,
    lock_data_dir,
    run_dev,
)

pytestmark = pytest.mark.timeout(60)

SLEEPER = "import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\ntime.sleep(600)\n"

FAKE_API = """
import http.server, signal, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/readyz" else 404)
        self.end_headers()
    def log_message(self, *args):
        pass
srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
srv.serve_forever()
"""

# a worker that leaves two grandchildren behind (one in its group, one in a session of its own) and
# ignores SIGTERM, so it has to be killed
STUBBORN_WORKER = """
import pathlib, signal, subprocess, sys, time
a = subprocess.Popen(["sleep", "600"])
b = subprocess.Popen(["sleep", "600"], start_new_session=True)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path(sys.argv[1]).write_text(f"{a.pid} {b.pid}")
time.sleep(600)
"""


def py(name: str, code: str, log_dir: Path, *args: str) -> ChildCommand:
    return ChildCommand(name, (sys.executable, "-c", code, *args), log_dir / f"{name}.log")


class Recorded:
    """Records start/stop calls of a child in one shared list."""

    def __init__(self, child: AppProcess, events: list[tuple[str, str]]) -> None:
        self.child = child
        self.events = events
        self.name = child.name
        self.log_path = child.log_path
        self.oneshot = child.oneshot

    def start(self) -> None:
        self.events.append(("start", self.name))
        self.child.start()

    def stop(self) -> None:
        self.events.append(("stop", self.name))
        self.child.stop()

    def poll(self) -> int | None:
        return self.child.poll()

    def pid(self) -> int | None:
        return self.child.pid()

    def refresh(self) -> None:
        self.child.refresh()


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for(predicate: object, timeout: float = 10.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    return tmp_path / "logs"


@pytest.fixture
def messages() -> Iterator[tuple[list[str], list[str]]]:
    yield [], []


def test_plan_builds_cli_children_with_shared_env(tmp_path: Path) -> None:
    s = Settings(
        data_dir=tmp_path / "d",
        api_host="0.0.0.0",
        api_port=18001,
        temporal_port=17301,
        postgres_port=15401,
        jwt_secret=None,
        seal_key=None,
    )
    plan = build_plan(s, python="/py", base_env={"PATH": "/bin", "HAZARDLOOP_DATABASE_URL": "stale"})
    assert plan.migrate.argv == ("/py", "-m", "starter.cli", "migrate")
    assert plan.worker.argv == ("/py", "-m", "starter.cli", "worker")
    assert plan.api.argv == cli_argv("api", python="/py")
    data = (tmp_path / "d").resolve()
    assert plan.worker.log_path == data / "logs" / "worker.log"
    assert plan.api.log_path == data / "logs" / "api.log"
    assert plan.pg_dir == data / "pg" and plan.temporal_dir == data / "temporal"
    env = plan.env
    assert env["PATH"] == "/bin"
    assert env["HAZARDLOOP_TEMPORAL_ADDRESS"] == "127.0.0.1:17301"
    assert env["HAZARDLOOP_DATABASE_URL"] == "postgresql+asyncpg://postgres@127.0.0.1:15401/hazardloop"
    assert env["HAZARDLOOP_DATA_DIR"] == str(data)
    assert env["HAZARDLOOP_API_PORT"] == "18001"
    # the dev secrets are the ones kept in the data dir, so `hazardloop token` mints what the API accepts
    assert env["HAZARDLOOP_JWT_SECRET"] == (data / "jwt-secret").read_text().strip()
    assert env["HAZARDLOOP_SEAL_KEY"] == (data / "seal-key").read_text().strip()
    # the embedded default refuses internal webhook targets too, unless the operator allows them
    assert env["HAZARDLOOP_WEBHOOK_ALLOW_PRIVATE"] == "false"
    local = Settings(data_dir=tmp_path / "d", webhook_allow_private=True)
    assert build_plan(local, python="/py", base_env={}).env["HAZARDLOOP_WEBHOOK_ALLOW_PRIVATE"] == "true"
    assert plan.api_base_url == "http://127.0.0.1:18001"
    assert plan.temporal_ui_url == "http://127.0.0.1:18301"
    # the embedded Temporal Web UI decodes payloads through the API's codec route
    assert plan.temporal_ui_codec_endpoint == "http://127.0.0.1:18001/codec"
    temporal = next(c for c in build_children(s, plan) if c.name == "temporal")
    argv = temporal.server.args()  # type: ignore[attr-defined]
    assert argv[argv.index("--ui-codec-endpoint") + 1] == "http://127.0.0.1:18001/codec"
    assert argv[argv.index("--ui-port") + 1] == "18301"
    # quiet at idle: the namespace cache is refreshed every 30 s, not every 2 s (issue #21)
    assert argv[argv.index("--dynamic-config-value") + 1] == 'system.namespaceCacheRefreshInterval="30s"'
    # every variable passed is a setting the children read
    fields = set(Settings.model_fields)
    for name in env:
        if name.startswith("HAZARDLOOP_"):
            assert name.removeprefix("HAZARDLOOP_").lower() in fields, name


def test_start_order_reverse_stop_and_no_orphans(
    log_dir: Path, tmp_path: Path, messages: tuple[list[str], list[str]]
) -> None:
    events: list[tuple[str, str]] = []
    env = dict(os.environ)
    api_port = free_port()
    pids_file = tmp_path / "grandchildren"
    worker = AppProcess(py("worker", STUBBORN_WORKER, log_dir, str(pids_file)), env, stop_timeout=1.0)
    children: list[Child] = [
        Recorded(AppProcess(py("postgres", SLEEPER, log_dir), env), events),
        Recorded(AppProcess(py("migrate", "print('migrated')", log_dir), env, oneshot=True), events),
        Recorded(AppProcess(py("temporal", SLEEPER, log_dir), env), events),
        Recorded(worker, events),
        Recorded(AppProcess(py("api", FAKE_API, log_dir, str(api_port)), env), events),
    ]
    seen: list[int] = []

    def on_ready() -> None:
        wait_for(lambda: pids_file.exists() and len(pids_file.read_text().split()) == 2)
        seen.extend(int(p) for p in pids_file.read_text().split())
        seen.extend(pid for c in children if not c.oneshot and (pid := c.pid()) is not None)
        assert all(alive(p) for p in seen)
        os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C would

    out, err = messages
    sup = Supervisor(
        children,
        ready=lambda: http_ready(f"http://127.0.0.1:{api_port}/readyz"),
        on_ready=on_ready,
        out=out.append,
        err=err.append,
        poll_interval=0.05,
    )
    previous = signal.getsignal(signal.SIGINT)
    assert sup.run() == 0, err
    assert signal.getsignal(signal.SIGINT) is previous  # handlers restored
    names = ["postgres", "migrate", "temporal", "worker", "api"]
    assert events == [("start", n) for n in names] + [("stop", n) for n in reversed(names)]
    assert len(seen) == 6  # 4 long-running children + 2 grandchildren
    assert not [p for p in seen if alive(p)]
    assert worker.proc is not None and worker.proc.returncode == -signal.SIGKILL  # ignored SIGTERM
    assert "migrated" in (log_dir / "migrate.log").read_text()
    assert any("SIGINT" in line for line in out)
    assert err == []


def test_child_dying_unexpectedly_stops_the_rest(
    log_dir: Path, messages: tuple[list[str], list[str]]
) -> None:
    events: list[tuple[str, str]] = []
    env = dict(os.environ)
    dying = "import sys, time; time.sleep(0.5); print('worker crashed: boom'); sys.exit(3)"
    children: list[Child] = [
        Recorded(AppProcess(py("postgres", SLEEPER, log_dir), env), events),
        Recorded(AppProcess(py("worker", dying, log_dir), env), events),
        Recorded(AppProcess(py("api", SLEEPER, log_dir), env), events),
    ]
    out, err = messages
    sup = Supervisor(children, ready=lambda: False, out=out.append, err=err.append, poll_interval=0.05)
    pids: list[int] = []
    started = threading.Event()

    def watch() -> None:  # pids of the children while they run
        wait_for(lambda: all(c.pid() is not None for c in children))
        pids.extend(c.pid() or 0 for c in children)
        started.set()

    t = threading.Thread(target=watch)
    t.start()
    assert sup.run() == 1
    t.join()
    assert started.is_set()
    assert len(err) == 1
    assert "worker exited unexpectedly with code 3" in err[0]
    assert str(log_dir / "worker.log") in err[0]
    assert "boom" in err[0]  # the log's tail is shown
    assert events[-3:] == [("stop", "api"), ("stop", "worker"), ("stop", "postgres")]
    assert not [p for p in pids if alive(p)]


def test_a_child_dying_while_idle_is_noticed_at_once_not_at_the_next_check(
    log_dir: Path, messages: tuple[list[str], list[str]]
) -> None:
    """Ready and idle, the supervisor sleeps for `watch_interval` (here ten minutes): a child's exit wakes
    it (SIGCHLD), and the rest are stopped long before the next check would have come."""
    env = dict(os.environ)
    dying = "import sys, time; time.sleep(1); print('api crashed: boom'); sys.exit(5)"
    api = AppProcess(py("api", dying, log_dir), env)
    children: list[Child] = [AppProcess(py("postgres", SLEEPER, log_dir), env), api]
    out, err = messages
    sup = Supervisor(
        children,
        ready=lambda: True,
        out=out.append,
        err=err.append,
        watch_interval=600.0,
        tree_interval=600.0,
    )
    t0 = time.monotonic()
    assert sup.run() == 1
    assert time.monotonic() - t0 < 120  # not the 600 s of the next check
    assert "api exited unexpectedly with code 5" in err[0] and "boom" in err[0]
    assert api.proc is not None and api.proc.returncode == 5
    assert not [c for c in children if (pid := c.pid()) is not None and alive(pid)]


def test_failed_oneshot_stops_before_the_next_step(
    log_dir: Path, messages: tuple[list[str], list[str]]
) -> None:
    events: list[tuple[str, str]] = []
    env = dict(os.environ)
    failing = "import sys; print('relation does not exist', file=sys.stderr); sys.exit(4)"
    pg = AppProcess(py("postgres", SLEEPER, log_dir), env)
    children: list[Child] = [
        Recorded(pg, events),
        Recorded(AppProcess(py("migrate", failing, log_dir), env, oneshot=True), events),
        Recorded(AppProcess(py("worker", SLEEPER, log_dir), env), events),
    ]
    out, err = messages
    sup = Supervisor(children, ready=lambda: True, out=out.append, err=err.append, poll_interval=0.05)
    assert sup.run() == 1
    assert events == [("start", "postgres"), ("start", "migrate"), ("stop", "migrate"), ("stop", "postgres")]
    assert "migrate failed with exit code 4" in err[0]
    assert str(log_dir / "migrate.log") in err[0]
    assert "relation does not exist" in err[0]
    assert pg.proc is not None and not alive(pg.proc.pid)


def test_stop_requested_during_startup(log_dir: Path, messages: tuple[list[str], list[str]]) -> None:
    env = dict(os.environ)
    pg = AppProcess(py("postgres", SLEEPER, log_dir), env)
    slow_migrate = AppProcess(py("migrate", "import time; time.sleep(600)", log_dir), env, oneshot=True)
    out, err = messages
    sup = Supervisor([pg, slow_migrate], ready=lambda: True, out=out.append, err=err.append)
    timer = threading.Timer(0.5, sup.request_stop)
    timer.start()
    t0 = time.monotonic()
    assert sup.run() == 0
    assert time.monotonic() - t0 < 15
    assert pg.proc is not None and slow_migrate.proc is not None
    assert not alive(pg.proc.pid) and not alive(slow_migrate.proc.pid)
    assert err == []


def test_port_in_use_is_one_clear_line_and_exit_2(
    tmp_path: Path, messages: tuple[list[str], list[str]]
) -> None:
    out, err = messages
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        s = Settings(
            data_dir=tmp_path / "d",
            api_port=port,
            temporal_port=free_port(),
            postgres_port=free_port(),
            log_level="WARNING",
        )
        with pytest.raises(DevError) as e:
            check_ports(s)
        assert e.value.exit_code == EXIT_CONFIG
        assert run_dev(s, out=out.append, err=err.append) == EXIT_CONFIG
    assert len(err) == 1 and "\n" not in err[0]
    assert f"port {port}" in err[0] and "HAZARDLOOP_API_PORT" in err[0]
    assert not (tmp_path / "d").exists()  # nothing was started or created


def test_one_dev_per_data_dir(tmp_path: Path) -> None:
    with lock_data_dir(tmp_path):
        with pytest.raises(DevError) as e, lock_data_dir(tmp_path):
            pass
        assert e.value.exit_code == EXIT_CONFIG
        assert str(tmp_path) in str(e.value)
    with lock_data_dir(tmp_path):  # released with the first run
        pass


SPAWNER = """
import pathlib, signal, subprocess, sys, time
g = subprocess.Popen(["sleep", "600"], start_new_session=True)
pathlib.Path(sys.argv[1]).write_text(str(g.pid))
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
time.sleep(600)
"""


def test_the_periodic_walk_reads_the_process_table_once_for_all_children(
    log_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle, the supervisor's walk of every child's tree is one pass over /proc (psutil's per-child
    `children(recursive=True)` was one pass each), and still remembers every grandchild."""
    import starter.devserver as devserver

    scans: list[int] = []
    table = devserver.children_table

    def counted() -> dict[int, list[int]]:
        scans.append(1)
        return table()

    monkeypatch.setattr(devserver, "children_table", counted)
    children = [
        AppProcess(py(f"c{i}", SPAWNER, log_dir, str(tmp_path / f"g{i}")), dict(os.environ)) for i in range(3)
    ]
    sup = Supervisor(children, ready=lambda: True)
    try:
        for c in children:
            c.start()
            sup.started.append(c)
        wait_for(lambda: all((tmp_path / f"g{i}").exists() for i in range(3)))
        grandchildren = [int((tmp_path / f"g{i}").read_text()) for i in range(3)]
        sup._check_alive(walk=True)
        assert len(scans) == 1
        assert [set(c.tree.seen) for c in children] == [{g} for g in grandchildren]
        sup._check_alive(walk=False)  # the 5-second check between walks reads no process table
        assert len(scans) == 1
    finally:
        for c in children:
            c.stop()
    assert not [g for g in grandchildren if alive(g)]  # remembered, so killed though in their own session
