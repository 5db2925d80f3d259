#!/bin/sh
# One-shot, in temporalio/admin-tools, once the Temporal server is up: the namespace and the custom
# search attributes hazardloop's workflows upsert. Idempotent: safe on every `docker compose up`.
# The `register` lines below must equal workflows/search_attributes.py CLI_TYPES
# (tests/integration/test_compose.py checks that they do).
set -eu

ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
NAMESPACE="${NAMESPACE:-default}"
RETENTION="${NAMESPACE_RETENTION:-30d}"
ATTEMPTS="${SETUP_ATTEMPTS:-60}"

retry() {
  # retry CMD… until it succeeds, ATTEMPTS times 2 s apart (the server and its caches settle)
  n=0
  until "$@"; do
    n=$((n + 1))
    if [ "$n" -ge "$ATTEMPTS" ]; then
      echo "giving up after $ATTEMPTS attempts: $*" >&2
      return 1
    fi
    sleep 2
  done
}

echo "waiting for the Temporal cluster at $ADDRESS"
retry temporal operator cluster health --address "$ADDRESS"

if temporal operator namespace describe --address "$ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  retry temporal operator namespace create --address "$ADDRESS" --namespace "$NAMESPACE" --retention "$RETENTION"
  echo "namespace $NAMESPACE created (retention $RETENTION)"
fi

# "Name  Type" of one registered attribute, or nothing
registered_type() {
  temporal operator search-attribute list --address "$ADDRESS" --namespace "$NAMESPACE" \
    | awk -v name="$1" '$1 == name { print $2 }'
}

register() {
  name="$1"
  type="$2"
  have="$(registered_type "$name")"
  if [ "$have" = "$type" ]; then
    echo "search attribute $name ($type) exists"
  elif [ -n "$have" ]; then
    echo "search attribute $name exists with type $have, hazardloop needs $type" >&2
    return 1
  else
    retry temporal operator search-attribute create --address "$ADDRESS" --namespace "$NAMESPACE" \
      --name "$name" --type "$type"
    echo "search attribute $name ($type) created"
  fi
}

register CaseKind Keyword
register CaseStatus Keyword
register CaseLevel Keyword
register Region Keyword
register EnterpriseId Keyword
register NextDueAt Datetime
register Overdue Bool

echo "Temporal namespace $NAMESPACE is ready for hazardloop"
