"""structlog JSON logging for everything outside workflow code.

Workflow code logs through `workflow.logger` (stdlib logging); those records are routed into the same
JSON output by structlog's ProcessorFormatter, with the workflow and run ids Temporal attaches.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_configured = False


def _temporal_extra(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    record = event_dict.get("_record")
    if record is not None:
        for attr in ("temporal_workflow", "temporal_activity"):
            info = getattr(record, attr, None)
            if isinstance(info, dict):
                for k in ("workflow_id", "run_id", "workflow_type", "activity_id", "activity_type"):
                    if k in info:
                        event_dict[k] = info[k]
    return event_dict


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    global _configured
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False) if json else structlog.dev.ConsoleRenderer()
    )
    # JSON: an exception's traceback as text under "exception" (the console renderer prints its own)
    tracebacks: list[Any] = [structlog.processors.format_exc_info] if json else []
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _temporal_extra],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tracebacks, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    if _configured:
        for h in list(root.handlers):
            if getattr(h, "_hazardloop", False):
                root.removeHandler(h)
    handler._hazardloop = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access", "httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = True


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)  # type: ignore[no-any-return]
