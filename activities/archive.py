"""History archive (closed cases' Temporal histories kept in PostgreSQL). Filled in by the audit work."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client


def audit_components(client: Client, engine: AsyncEngine) -> tuple[list[type], list[Any]]:
    """(workflows, activities) the worker registers for auditing."""
    return [], []
