"""Table definitions (SQLAlchemy Core). Changes go through Alembic migrations in migrations/."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB

metadata = MetaData()

events = Table(
    "events",
    metadata,
    Column("global_position", BigInteger, Identity(always=True), nullable=False),
    Column("stream_id", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("type", String(80), nullable=False),
    Column("data", JSONB, nullable=False),
    Column("actor", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("policy_id", String(80), nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("command_id", String(200)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("stream_id", "version", name="events_pk"),
    UniqueConstraint("global_position", name="events_global_position_key"),
    # the officers' monthly counts read a kind's events of a month (migration 0011)
    Index("events_kind_occurred", "kind", "occurred_at"),
)

# One projection table for every case kind: the shared columns lists and statistics filter on, the
# folded state (to continue folding) and the API view (kind-specific parts).
cases = Table(
    "cases",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(40), nullable=False),
    Column("level", String(40)),
    Column("region", String(6), nullable=False),
    Column("region_city", String(4), nullable=False),
    Column("region_province", String(2), nullable=False),
    Column("enterprise_id", String(100)),
    Column("overdue", Boolean, nullable=False, server_default=text("false")),
    Column("terminal", Boolean, nullable=False, server_default=text("false")),
    Column("next_due_at", DateTime(timezone=True)),
    Column("parent_id", String(100)),
    Column("policy_id", String(80), nullable=False),
    Column("policy_version", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # whole documents, never queried inside: json keeps the text (migration 0004)
    Column("state", JSON, nullable=False),
    Column("view", JSON, nullable=False),
    Index("cases_kind_created", "kind", text("created_at DESC"), text("id DESC")),
    Index("cases_kind_status_region", "kind", "status", "region", text("created_at DESC"), text("id DESC")),
    Index("cases_kind_region", "kind", "region", text("created_at DESC"), text("id DESC")),
    Index("cases_kind_city", "kind", "region_city", text("created_at DESC"), text("id DESC")),
    Index("cases_kind_province", "kind", "region_province", text("created_at DESC"), text("id DESC")),
    Index("cases_kind_enterprise", "kind", "enterprise_id", text("created_at DESC")),
    Index("cases_overdue", "kind", "region", text("created_at DESC"), postgresql_where=text("overdue")),
    Index("cases_parent", "parent_id", postgresql_where=text("parent_id IS NOT NULL")),
    # statistics read only this index (an index-only scan), never the wide rows (migration 0005)
    Index(
        "cases_stats",
        "kind",
        "region",
        "status",
        postgresql_include=[
            "region_city",
            "region_province",
            "level",
            "enterprise_id",
            "overdue",
            "terminal",
        ],
    ),
)

# Statistics, pre-aggregated (migration 0006): one row per (kind, region, status, level, enterprise) with
# its cases, overdue and closed-or-cancelled, kept by triggers on `cases` in the same transaction; no
# level or no enterprise is ''. `rebuild` switches the row triggers off and recounts.
case_counts = Table(
    "case_counts",
    metadata,
    Column("kind", String(20), nullable=False),
    Column("region", String(6), nullable=False),
    Column("status", String(40), nullable=False),
    Column("level", String(40), nullable=False),
    Column("enterprise_id", String(100), nullable=False),
    Column("n", Integer, nullable=False),
    Column("overdue", Integer, nullable=False),
    Column("terminal", Integer, nullable=False),
    PrimaryKeyConstraint("kind", "region", "status", "level", "enterprise_id", name="case_counts_pk"),
)
# the row triggers on `cases` that keep `case_counts` (a rebuild disables them and recounts)
CASE_COUNT_TRIGGERS = ("cases_count_rows", "cases_count_changes")

# The notification outbox: written in the same transaction as the events that caused it.
notifications = Table(
    "notifications",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("case_id", String(100), nullable=False),
    Column("case_kind", String(20), nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("recipient_role", String(60), nullable=False),
    Column("recipient_party", String(100), nullable=False),
    Column("due_at", DateTime(timezone=True)),
    Column("subject", Text, nullable=False, server_default=""),
    Column("data", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    UniqueConstraint("case_id", "stream_version", "seq", name="notifications_event_seq_key"),
    Index("notifications_pending", "id", postgresql_where=text("status = 'pending'")),
    Index("notifications_case", "case_id"),
)

# Tip reporters' sealed identities: encrypted at rest, read only through a logged reveal.
sealed_identities = Table(
    "sealed_identities",
    metadata,
    Column("tip_id", String(100), primary_key=True),
    Column("key_id", String(40), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Evidence files (store/blob_storage.py holds the bytes): one row per SHA-256 of the content. `sealed`: a tip
# attachment, stored encrypted under `key_id` like the reporter's identity.
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sealed", Boolean, nullable=False, server_default=text("false")),
    Column("key_id", String(40)),
    Column("thumbnail", Boolean, nullable=False, server_default=text("false")),
    Column("uploaded_by", String(128), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

reveal_log = Table(
    "reveal_log",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("tip_id", String(100), nullable=False),
    Column("actor", JSONB, nullable=False),
    Column("reason", Text, nullable=False),
    Column("revealed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

history_archive = Table(
    "history_archive",
    metadata,
    Column("workflow_id", String(100), nullable=False),
    Column("run_id", String(64), nullable=False),
    Column("workflow_type", String(80), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("archived_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("history", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("event_count", Integer, nullable=False),
    PrimaryKeyConstraint("workflow_id", "run_id", name="history_archive_pk"),
)

# The responsibility registry: who receives what a notification asks of a role at a party.
# party_kind 'enterprise' (party_id = enterprise id; roles: the 三个责任人 administrative / supervisory /
# enterprise, and the 三个层级负责人 management / technical / operations) or 'region' (party_id = region code;
# roles: supervisor, inspector, operator, expert — the department's duty officers who receive escalations).
contacts = Table(
    "contacts",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("party_kind", String(20), nullable=False),
    Column("party_id", String(100), nullable=False),
    Column("role", String(40), nullable=False),
    Column("name", String(100), nullable=False),
    Column("department", String(200), nullable=False, server_default=""),
    Column("email", String(320)),
    Column("webhook_url", String(2000)),
    # the endpoint's adapter (notify/bots.py): webhook (Standard Webhooks) | wecom | dingtalk
    Column("webhook_kind", String(20), nullable=False, server_default="webhook"),
    # the endpoint's own signing secret (a DingTalk robot's 加签 secret), sealed
    # (store/webhook_secrets.py); never shown after it is issued
    Column("webhook_key_id", String(40)),
    Column("webhook_secret", LargeBinary),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("party_kind", "party_id", "role", "name", name="contacts_party_role_name_key"),
    Index("contacts_party", "party_kind", "party_id"),
)

# The region each enterprise of the registry is in: bound by its first registration, moved only by a
# supervisor covering both regions (domain.access.check_registry_write).
enterprises = Table(
    "enterprises",
    metadata,
    Column("enterprise_id", String(100), primary_key=True),
    Column("region", String(6), nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # 红橙黄蓝 (migration 0011): drives the inspection plan (domain/duties/inspections.py)
    Column("risk_colour", String(10)),
    CheckConstraint("region ~ '^[0-9]{6}$'", name="enterprises_region_six_ascii_digits"),
)

# One row per notification × recipient × channel: the delivery log, and the idempotency of retries.
deliveries = Table(
    "deliveries",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("notification_id", BigInteger, nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("case_id", String(100), nullable=False),
    Column("recipient", String(100), nullable=False, server_default=""),
    # the registry role of the person reached, e.g. administrative (migration 0012); '' when unroutable
    Column("contact_role", String(40), nullable=False, server_default=""),
    Column("channel", String(20), nullable=False),
    Column("address", String(2000), nullable=False, server_default=""),
    Column("contact_id", BigInteger),  # the registry entry it is sent and signed with; NULL when unroutable
    Column("status", String(20), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index("deliveries_case", "case_id"),
)

# Periodic reports (docs/rules.md#periodic-reports): computed from the event store for a period, so any
# past period can be regenerated; one row per (kind, period start); regenerating replaces it.
reports = Table(
    "reports",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("period_end", DateTime(timezone=True), nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False),
    Column("data", JSONB, nullable=False),
    UniqueConstraint("kind", "period_start", name="reports_kind_period_key"),
)

# Duties between cases (migration 0011; domain/duties): each enterprise's next inspection by its risk colour,
# the inspections recorded, and the officers' 包保 enterprises. The facts are events of the streams
# `IP-<enterprise>` and `OD-<officer>-<YYYYMM>` (store/duties.py).
inspection_plans = Table(
    "inspection_plans",
    metadata,
    Column("enterprise_id", String(100), primary_key=True),
    Column("stream_id", String(100), nullable=False, unique=True),
    Column("region", String(6), nullable=False),
    Column("colour", String(10), nullable=False),
    Column("basis_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("overdue", Boolean, nullable=False, server_default=text("false")),
    Column("last_inspected_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("colour IN ('red', 'orange', 'yellow', 'blue')", name="inspection_plans_colour"),
    Index("inspection_plans_open_due", "due_at", postgresql_where=text("NOT overdue")),
    Index("inspection_plans_region", "region", "due_at"),
)

inspections = Table(
    "inspections",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("enterprise_id", String(100), nullable=False),
    Column("region", String(6), nullable=False),
    Column("inspector_id", String(128), nullable=False),
    Column("inspected_at", DateTime(timezone=True), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("hazard_ids", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("inspections_enterprise", "enterprise_id", "inspected_at"),
    Index("inspections_inspector", "inspector_id", "inspected_at"),
)

duty_assignments = Table(
    "duty_assignments",
    metadata,
    Column("officer_id", String(128), nullable=False),
    Column("enterprise_id", String(100), nullable=False),
    Column("region", String(6), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("officer_id", "enterprise_id", name="duty_assignments_pk"),
    Index("duty_assignments_region", "region", "officer_id"),
)

# The fingerprints of the secrets every process of the deployment shares (store/deployment_keys.py).
deployment_keys = Table(
    "deployment_keys",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The daily self-inspection reports (migration 0010; domain/duties/daily.py): the projection of the
# `daily_report` event streams, one row per enterprise and day, filed (filed_at) and/or missed (missed_at).
daily_reports = Table(
    "daily_reports",
    metadata,
    Column("enterprise_id", String(100), nullable=False),
    Column("day", Date, nullable=False),
    Column("region", String(6), nullable=False),
    Column("stream_id", String(100), nullable=False),
    Column("owed", Boolean, nullable=False),
    Column("filed_at", DateTime(timezone=True)),
    Column("late", Boolean, nullable=False, server_default=text("false")),
    Column("nothing_found", Boolean),
    Column("hazard_ids", JSONB, nullable=False, server_default="[]"),
    Column("missed_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("enterprise_id", "day", name="daily_reports_pk"),
    Index("daily_reports_region_day", "region", "day"),
)
