"""PostgreSQL: the event store, the projections (read models), the notification outbox, migrations."""
