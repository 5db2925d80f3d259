"""Alembic environment: runs on the connection handed over by store.migrate (async engine, run_sync)."""

from __future__ import annotations

from alembic import context

from store.schema import metadata

target_metadata = metadata
connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` CLI: build a sync connection from the configured URL
    from sqlalchemy import create_engine

    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit(
            "use `hazardloop migrate` (it passes the configured database), or set sqlalchemy.url"
        )
    with create_engine(url.replace("+asyncpg", "+psycopg")).connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
