"""JSON logs carry the formatted traceback of an error (issue #20, "Logs carry tracebacks"): from structlog
loggers and from stdlib loggers (the SDK's, uvicorn's, `workflow.logger`) alike."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from runtime.logging import configure_logging, get_logger


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """The process's log output (stderr) while the JSON logging is configured."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stderr", out)
    configure_logging("INFO", json=True)
    yield out
    monkeypatch.undo()
    configure_logging("WARNING")


def _fail() -> None:
    raise ValueError("the projection disagrees")


def _records(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")]


def test_structlog_errors_carry_the_traceback(json_logs: io.StringIO) -> None:
    try:
        _fail()
    except ValueError:
        get_logger("tests").exception("rebuild failed", stream_id="T-1")
    [record] = [r for r in _records(json_logs) if r.get("event") == "rebuild failed"]
    assert record["level"] == "error" and record["stream_id"] == "T-1"
    exc = str(record["exception"])
    assert exc.startswith("Traceback (most recent call last)")
    assert "in _fail" in exc and "ValueError: the projection disagrees" in exc


def test_stdlib_errors_carry_the_traceback(json_logs: io.StringIO) -> None:
    try:
        _fail()
    except ValueError:
        logging.getLogger("temporalio.worker").error("activity failed", exc_info=True)
    [record] = [r for r in _records(json_logs) if r.get("event") == "activity failed"]
    assert "ValueError: the projection disagrees" in str(record["exception"])
    assert "in _fail" in str(record["exception"])
