"""Where a case's histories come from: the Temporal server while it has them, the archive
(`history_archive`, written by activities/archive.py) otherwise, transparently. The archive reader checks
each stored run (sha256, event count) and the archived copy against the server's."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from activities.archive import decompress, history_bytes, sha256_hex
from audit.models import Finding, RunHistory, is_close_event, run_of, started
from store.archive import archived_rows


@dataclass(frozen=True)
class ArchivedRun:
    """One archived run as stored, with what a reader needs to trust it."""

    workflow_id: str
    run_id: str
    workflow_type: str
    closed_at: datetime | None
    archived_at: datetime
    sha256: str
    event_count: int
    raw: bytes | None  # the uncompressed bytes; None when they cannot be decompressed
    problem: str | None  # why the stored row cannot be trusted, or None

    @property
    def actual_sha256(self) -> str | None:
        return None if self.raw is None else sha256_hex(self.raw)

    def history(self) -> WorkflowHistory:
        if self.raw is None:
            raise ValueError(self.problem or "no history bytes")
        return WorkflowHistory.from_json(self.workflow_id, self.raw.decode())


async def read_archived(engine: AsyncEngine, workflow_id: str) -> list[ArchivedRun]:
    """Every archived run of `workflow_id`, with an integrity verdict per run (sha and event count)."""
    rows = await archived_rows(engine, workflow_id)
    out: list[ArchivedRun] = []
    for r in rows:
        raw: bytes | None
        problem: str | None = None
        try:
            raw = decompress(r.history)
        except zlib.error as e:
            raw = None
            problem = f"archived history cannot be decompressed: {e}"
        if raw is not None:
            actual = sha256_hex(raw)
            if actual != r.sha256:
                problem = f"archived history sha256 mismatch: stored {r.sha256}, computed {actual}"
            else:
                try:
                    n = len(WorkflowHistory.from_json(r.workflow_id, raw.decode()).events)
                    if n != r.event_count:
                        problem = f"archived history has {n} events, the row says {r.event_count}"
                except Exception as e:
                    problem = f"archived history does not parse: {e}"
        out.append(
            ArchivedRun(
                workflow_id=r.workflow_id,
                run_id=r.run_id,
                workflow_type=r.workflow_type,
                closed_at=r.closed_at,
                archived_at=r.archived_at,
                sha256=r.sha256,
                event_count=r.event_count,
                raw=raw,
                problem=problem,
            )
        )
    return out


async def _server_history(client: Client | None, workflow_id: str, run_id: str | None) -> RunHistory | None:
    """The run's history from Temporal, or None when the server no longer has it."""
    if client is None:
        return None
    try:
        handle = client.get_workflow_handle(workflow_id, run_id=run_id)
        history = await handle.fetch_history()
    except RPCError as e:
        if e.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            return None
        raise
    if not history.events:
        return None
    return run_of(history, "server")


async def load_histories(
    client: Client | None, engine: AsyncEngine, workflow_id: str
) -> tuple[list[RunHistory], list[Finding]]:
    """Every run of `workflow_id`, oldest first (following continue-as-new back from the newest run),
    each from the server when it has it, from the archive otherwise. Findings: archive integrity."""
    findings: list[Finding] = []
    archived = await read_archived(engine, workflow_id)
    by_run: dict[str, ArchivedRun] = {a.run_id: a for a in archived}
    for a in archived:
        if a.problem:
            findings.append(
                Finding(check="archive", stream_id=workflow_id, run_id=a.run_id, problem=a.problem)
            )

    def from_archive(run_id: str) -> RunHistory | None:
        a = by_run.get(run_id)
        if a is None or a.raw is None:
            return None
        try:
            h = a.history()
        except Exception as e:
            findings.append(
                Finding(check="archive", stream_id=workflow_id, run_id=run_id, problem=f"unreadable: {e}")
            )
            return None
        return RunHistory(run_id=run_id, workflow_type=a.workflow_type, source="archive", history=h)

    def compare_with_archive(run: RunHistory) -> None:
        a = by_run.get(run.run_id)
        if a is None or run.source != "server":
            return
        last = run.history.events[-1].event_type if run.history.events else None
        if last is None or not is_close_event(last):
            return  # still running: the archive cannot hold it yet
        sha = sha256_hex(history_bytes(run.history))
        stored = a.actual_sha256 or a.sha256
        if stored != sha or a.sha256 != sha:
            findings.append(
                Finding(
                    check="archive",
                    stream_id=workflow_id,
                    run_id=run.run_id,
                    problem="archived history differs from the server's",
                    expected=sha,
                    found=stored,
                )
            )

    chain: list[RunHistory] = []
    latest = await _server_history(client, workflow_id, None)
    if latest is not None:
        chain.append(latest)
        seen = {latest.run_id}
        prev = started(latest.history).continued_execution_run_id
        while prev and prev not in seen:
            seen.add(prev)
            run = await _server_history(client, workflow_id, prev) or from_archive(prev)
            if run is None:
                findings.append(
                    Finding(
                        check="history",
                        stream_id=workflow_id,
                        run_id=prev,
                        problem="an earlier run is neither on the server nor in the archive",
                    )
                )
                break
            chain.append(run)
            prev = started(run.history).continued_execution_run_id
        chain.reverse()
        for run in chain:
            compare_with_archive(run)
    else:
        runs = [r for r in (from_archive(a.run_id) for a in archived) if r is not None]
        runs.sort(key=lambda r: r.history.events[0].event_time.ToDatetime())
        chain = runs
    return chain, findings
