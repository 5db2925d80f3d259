"""The pure core: deciders (decide/evolve/deadlines), their commands and events, policy packs.

Nothing here does I/O or imports Temporal, SQLAlchemy or structlog; time comes in through `Context.now`.
"""
