"""The secrets every replica shares (runtime/keys.py): an external setup without them refuses to start,
a process whose keys differ from the deployment's is not ready (API) or never polls (worker), and
matching keys are ready."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from harness.apptest import running_app
from harness.servers import TEST_SEAL_KEY, unique_queue, world_traversable_tmpdir
from runtime.keys import fingerprint
from runtime.settings import Settings
from store.db import make_engine
from store.deployment_keys import claim_or_read
from store.sealing import KeyRing, new_key
from tests.support.poll import eventually

HAZARDLOOP = str(Path(sys.executable).parent / "hazardloop")
JWT = "test-secret-0123456789-0123456789-abcdef"


def external_env(temporal: str, db_url: str, **extra: str) -> dict[str, str]:
    """The environment of a process of an external deployment, without any shared secret unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAZARDLOOP_")}
    return {
        **env,
        "HAZARDLOOP_TEMPORAL_ADDRESS": temporal,
        "HAZARDLOOP_DATABASE_URL": db_url,
        "HAZARDLOOP_DATA_DIR": str(world_traversable_tmpdir("hazardloop-keys-")),
        "HAZARDLOOP_LOG_LEVEL": "WARNING",
        **extra,
    }


async def run(args: list[str], env: dict[str, str], within: float = 60) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        HAZARDLOOP, *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), within)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


UNREACHABLE = ("127.0.0.1:1", "postgresql+asyncpg://x@127.0.0.1:1/none")


@pytest.mark.parametrize("command", [["worker"], ["api"], ["schedules", "ensure"], ["seal", "rotate"]])
async def test_an_external_process_without_the_seal_key_refuses_to_start(command: list[str]) -> None:
    code, err = await run(command, external_env(*UNREACHABLE, HAZARDLOOP_JWT_SECRET=JWT))
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and "HAZARDLOOP_SEAL_KEY not set" in lines[0], err
    assert lines[0].startswith(f"hazardloop {' '.join(command)}:"), err


async def test_an_external_api_without_the_jwt_secret_refuses_to_start() -> None:
    code, err = await run(["api"], external_env(*UNREACHABLE, HAZARDLOOP_SEAL_KEY=TEST_SEAL_KEY))
    assert code == 2 and "HAZARDLOOP_JWT_SECRET (or HAZARDLOOP_JWT_JWKS_URL) not set" in err, err


async def test_the_embedded_default_needs_no_configured_key(tmp_path: Path) -> None:
    from runtime.keys import missing_secrets

    s = Settings(data_dir=tmp_path, seal_key=None, jwt_secret=None)
    assert missing_secrets(s, "api") == [] and missing_secrets(s, "worker") == []
    external = Settings(data_dir=tmp_path, seal_key=None, jwt_secret=None, database_url=UNREACHABLE[1])
    assert missing_secrets(external, "worker") == ["HAZARDLOOP_SEAL_KEY"]


def test_a_fingerprint_is_not_the_key() -> None:
    assert fingerprint(JWT) != fingerprint(JWT + "x")
    assert JWT not in fingerprint(JWT) and len(fingerprint(JWT)) == 32


async def test_a_mis_keyed_api_is_not_ready_and_matching_keys_are(dev_env, db_url) -> None:
    async with running_app(dev_env.client, db_url, with_worker=False) as app:
        r = await app.http.get("/readyz")
        assert r.status_code == 200 and r.json()["checks"]["keys"] == "ok", r.text
    engine = make_engine(db_url)
    try:
        recorded = await claim_or_read(engine, {"seal_key": "-", "jwt_secret": "-"})
    finally:
        await engine.dispose()
    assert recorded == {"seal_key": KeyRing(TEST_SEAL_KEY).current_id, "jwt_secret": fingerprint(JWT)}

    other_seal = {"seal_key": new_key()}
    async with running_app(
        dev_env.client, db_url, with_worker=False, settings_overrides=other_seal, allow_status=(503,)
    ) as app:
        r = await app.http.get("/readyz")
        assert r.status_code == 503, r.text
        keys = r.json()["checks"]["keys"]
        assert keys.startswith("mismatch: HAZARDLOOP_SEAL_KEY differs from the deployment's"), keys
        assert "JWT" not in keys and r.json()["checks"]["postgres"] == "ok"

    other_jwt = {"jwt_secret": JWT + "-other"}
    async with running_app(
        dev_env.client, db_url, with_worker=False, settings_overrides=other_jwt, allow_status=(503,)
    ) as app:
        r = await app.http.get("/readyz")
        assert r.status_code == 503 and "HAZARDLOOP_JWT_SECRET differs" in r.json()["checks"]["keys"]

    # a rotation under way: the new key first, the deployment's still in the ring
    rotating = {"seal_key": f"{new_key()},{TEST_SEAL_KEY}"}
    async with running_app(dev_env.client, db_url, with_worker=False, settings_overrides=rotating) as app:
        r = await app.http.get("/readyz")
        assert r.status_code == 200, r.text


async def pollers(client: Client, queue: str) -> int:
    resp = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(resp.pollers)


async def test_a_mis_keyed_worker_refuses_to_poll_and_a_matching_one_polls(dev_env, db_url) -> None:
    temporal = dev_env.client.service_client.config.target_host
    engine = make_engine(db_url)
    try:  # the deployment's first process recorded the test key
        await claim_or_read(engine, {"seal_key": KeyRing(TEST_SEAL_KEY).current_id})
    finally:
        await engine.dispose()

    queue = unique_queue("keys")
    env = external_env(temporal, db_url, HAZARDLOOP_TEMPORAL_TASK_QUEUE=queue)
    code, err = await run(["worker"], {**env, "HAZARDLOOP_SEAL_KEY": new_key()})
    assert code == 2, err
    assert "hazardloop worker: refusing to start: HAZARDLOOP_SEAL_KEY differs" in err, err
    assert await pollers(dev_env.client, queue) == 0

    proc = await asyncio.create_subprocess_exec(
        HAZARDLOOP,
        "worker",
        env={**env, "HAZARDLOOP_SEAL_KEY": TEST_SEAL_KEY},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:

        async def polling() -> bool:
            assert proc.returncode is None, "the worker with the deployment's key exited"
            return await pollers(dev_env.client, queue) > 0

        await eventually(polling, "the matching worker to poll", within=60)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0


async def test_the_worker_health_check_answers_ready_only_with_the_deployment_keys(dev_env, db_url) -> None:
    """`hazardloop ready` (the compose worker's health check): 0 when PostgreSQL, Temporal and the keys
    are right, 1 naming the key that differs."""
    temporal = dev_env.client.service_client.config.target_host
    env = external_env(temporal, db_url, HAZARDLOOP_SEAL_KEY=TEST_SEAL_KEY)
    proc = await asyncio.create_subprocess_exec(
        HAZARDLOOP, "ready", "--json", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, (out, err)
    assert json.loads(out) == {"postgres": "ok", "keys": "ok", "temporal": "ok"}
    proc = await asyncio.create_subprocess_exec(
        HAZARDLOOP,
        "ready",
        env={**env, "HAZARDLOOP_SEAL_KEY": new_key()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1 and "keys: mismatch: HAZARDLOOP_SEAL_KEY differs" in out.decode(), out


async def test_seal_rotate_makes_the_new_key_the_deployments(dev_env, db_url, monkeypatch) -> None:
    """After `seal rotate` everything is sealed under the new key: it becomes the deployment's, and a
    process still without it is no longer ready."""
    from typer.testing import CliRunner

    from runtime.settings import get_settings
    from starter.cli import app as cli_app

    old, new = TEST_SEAL_KEY, new_key()
    engine = make_engine(db_url)
    try:
        await claim_or_read(engine, {"seal_key": KeyRing(old).current_id})
        monkeypatch.setenv("HAZARDLOOP_DATABASE_URL", db_url)
        monkeypatch.setenv("HAZARDLOOP_SEAL_KEY", f"{new},{old}")
        get_settings.cache_clear()
        try:
            result = await asyncio.to_thread(CliRunner().invoke, cli_app, ["seal", "rotate"])
        finally:
            get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        recorded = await claim_or_read(engine, {"seal_key": "-"})
    finally:
        await engine.dispose()
    assert recorded == {"seal_key": KeyRing(new).current_id}
    stale = {"seal_key": old}
    async with running_app(
        dev_env.client, db_url, with_worker=False, settings_overrides=stale, allow_status=(503,)
    ) as app:
        r = await app.http.get("/readyz")
        assert r.status_code == 503 and "HAZARDLOOP_SEAL_KEY differs" in r.json()["checks"]["keys"], r.text
