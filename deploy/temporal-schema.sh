#!/bin/sh
# One-shot, in temporalio/admin-tools, BEFORE the Temporal server starts (docker-compose.yml: the server
# depends on this service completing successfully): create the `temporal` and `temporal_visibility`
# databases on PostgreSQL and bring both schemas up to the version this admin-tools image ships.
# Idempotent: on a later `docker compose up` it only applies new schema versions.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
DB_PORT="${DB_PORT:-5432}"
PLUGIN="${DB:-postgres12}"
SCHEMA_ROOT="${TEMPORAL_SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"
DBNAME="${DBNAME:-temporal}"
VISIBILITY_DBNAME="${VISIBILITY_DBNAME:-temporal_visibility}"
export SQL_PASSWORD="${SQL_PASSWORD:-${POSTGRES_PWD:-}}"

sql() {
  temporal-sql-tool --plugin "$PLUGIN" --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

attempt=0
until nc -z "$POSTGRES_SEEDS" "$DB_PORT" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "PostgreSQL at $POSTGRES_SEEDS:$DB_PORT is not reachable" >&2
    exit 1
  fi
  sleep 1
done

setup() {
  db="$1"
  dir="$2"
  echo "schema: $db"
  # `create` of an existing database is harmless for a superuser; a failure here that matters shows
  # up in the next step
  sql --db "$db" create || echo "database $db not created (it may exist already)"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$dir"
}

setup "$DBNAME" "$SCHEMA_ROOT/temporal/versioned"
setup "$VISIBILITY_DBNAME" "$SCHEMA_ROOT/visibility/versioned"
echo "Temporal schemas are up to date"
