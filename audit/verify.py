"""Verify a case: the event-store hash chain is intact; the store holds exactly the events the Temporal
history implies (the inputs of every completed `record_events` activity), field by field; the projection
row equals a fold of the events; the history replays against the current code (audit/replay.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import BaseModel
from temporalio.api.enums.v1 import EventType
from temporalio.converter import DataConverter

from activities.contracts import RECORD_EVENTS, RecordEventsInput
from audit.models import Finding, ReplayReport, RunHistory, VerifyReport, is_close_event, norm, ts
from audit.replay import replay_runs
from store.events import CONTENT_HASH_MISMATCH, StoredEvent, redact, verify_chain
from store.projector import projection_values

log = structlog.get_logger("hazardloop.audit")

# ---- what the history implies -------------------------------------------------------------------------


class ImpliedEvent(BaseModel):
    stream_id: str
    version: int
    type: str
    data: dict[str, Any]
    actor: dict[str, Any]
    occurred_at: datetime
    command_id: str | None
    policy_id: str
    policy_version: str
    run_id: str
    history_event_id: int
    in_flight: bool = False  # scheduled in a run still open, not completed yet: may or may not be stored


async def implied_events(
    runs: Sequence[RunHistory], converter: DataConverter, stream_id: str
) -> tuple[list[ImpliedEvent], list[Finding]]:
    """The events the histories imply: inputs of `record_events` activities that completed (and, in a run
    still open, those in flight, which may or may not be in the store yet)."""
    out: list[ImpliedEvent] = []
    findings: list[Finding] = []
    for run in runs:
        scheduled: dict[int, Any] = {}
        completed: set[int] = set()
        for ev in run.history.events:
            if ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attrs = ev.activity_task_scheduled_event_attributes
                if attrs.activity_type.name == RECORD_EVENTS:
                    scheduled[ev.event_id] = attrs
            elif ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                completed.add(ev.activity_task_completed_event_attributes.scheduled_event_id)
        last = run.history.events[-1].event_type if run.history.events else None
        open_run = last is None or not is_close_event(last)
        for event_id, attrs in scheduled.items():
            in_flight = event_id not in completed
            if in_flight and not open_run:
                continue  # never completed: the append was refused or never happened
            try:
                [inp] = await converter.decode(list(attrs.input.payloads), [RecordEventsInput])
            except Exception as e:
                findings.append(
                    Finding(
                        check="history",
                        stream_id=stream_id,
                        run_id=run.run_id,
                        problem=f"record_events input at history event {event_id} cannot be decoded: "
                        f"{type(e).__name__}: {e}",
                    )
                )
                continue
            assert isinstance(inp, RecordEventsInput)
            if inp.stream_id != stream_id:
                findings.append(
                    Finding(
                        check="history",
                        stream_id=stream_id,
                        run_id=run.run_id,
                        problem=f"history event {event_id} records to another stream",
                        expected=stream_id,
                        found=inp.stream_id,
                    )
                )
                continue
            for i, new in enumerate(inp.events):
                out.append(
                    ImpliedEvent(
                        stream_id=inp.stream_id,
                        version=inp.expected_version + 1 + i,
                        type=new.type,
                        data=new.data,
                        actor=inp.actor.model_dump(mode="json"),
                        occurred_at=inp.occurred_at,
                        command_id=inp.command_id,
                        policy_id=inp.policy.id,
                        policy_version=inp.policy.version,
                        run_id=run.run_id,
                        history_event_id=event_id,
                        in_flight=in_flight,
                    )
                )
    return out, findings


def compare_events(
    stream_id: str, implied: Sequence[ImpliedEvent], stored: Sequence[StoredEvent]
) -> list[Finding]:
    """Version by version: missing, extra and different events, field by field."""
    findings: list[Finding] = []
    by_version: dict[int, ImpliedEvent] = {}
    for dup in implied:
        if dup.version in by_version:
            findings.append(
                Finding(
                    check="events",
                    stream_id=stream_id,
                    version=dup.version,
                    run_id=dup.run_id,
                    problem="the history records two events at this version",
                    expected=by_version[dup.version].type,
                    found=dup.type,
                )
            )
            continue
        by_version[dup.version] = dup
    store = {e.version: e for e in stored}
    for v in sorted(set(by_version) | set(store)):
        ie, se = by_version.get(v), store.get(v)
        if se is None:
            assert ie is not None
            if ie.in_flight:
                continue  # the activity is still running: not written yet is fine
            findings.append(
                Finding(
                    check="events",
                    stream_id=stream_id,
                    version=v,
                    run_id=ie.run_id,
                    problem="implied by the history but missing from the event store",
                    expected={"type": ie.type, "data": ie.data},
                )
            )
            continue
        if ie is None:
            findings.append(
                Finding(
                    check="events",
                    stream_id=stream_id,
                    version=v,
                    problem="in the event store but not implied by the history",
                    found={"type": se.type, "data": se.data},
                )
            )
            continue
        pairs: list[tuple[str, Any, Any]] = [
            ("type", ie.type, se.type),
            ("data", norm(ie.data), norm(se.data)),
            ("actor", norm(ie.actor), norm(se.actor)),
            ("occurred_at", ts(ie.occurred_at), ts(se.occurred_at)),
            ("command_id", ie.command_id, se.command_id),
            ("policy", [ie.policy_id, ie.policy_version], [se.policy_id, se.policy_version]),
        ]
        for field, want, got in pairs:
            if want != got:
                findings.append(
                    Finding(
                        check="events",
                        stream_id=stream_id,
                        version=v,
                        run_id=ie.run_id,
                        field=field,
                        problem="the event store differs from the history",
                        expected=norm(want),
                        found=norm(got),
                    )
                )
    return findings


PROJECTION_FIELDS = ("status", "version", "state", "view")


def compare_projection(
    kind: str, stream_id: str, stored: Sequence[StoredEvent], row: dict[str, Any] | None
) -> list[Finding]:
    if not stored:
        if row is not None:
            return [Finding(check="projection", stream_id=stream_id, problem="projection row without events")]
        return []
    want = projection_values(kind, stream_id, stored)
    if row is None:
        return [
            Finding(
                check="projection",
                stream_id=stream_id,
                problem="the projection row is missing",
                expected={"status": want["status"], "version": want["version"]},
            )
        ]
    findings: list[Finding] = []
    for f in PROJECTION_FIELDS:
        w, g = norm(want[f]), norm(row.get(f))
        if w == g:
            continue
        if isinstance(w, dict) and isinstance(g, dict):
            keys = sorted(k for k in set(w) | set(g) if w.get(k) != g.get(k))
            for k in keys:
                findings.append(
                    Finding(
                        check="projection",
                        stream_id=stream_id,
                        field=f"{f}.{k}",
                        problem="the projection differs from a fold of the events",
                        expected=w.get(k),
                        found=g.get(k),
                    )
                )
        else:
            findings.append(
                Finding(
                    check="projection",
                    stream_id=stream_id,
                    field=f,
                    problem="the projection differs from a fold of the events",
                    expected=w,
                    found=g,
                )
            )
    return findings


def chain_findings(stream: Sequence[StoredEvent]) -> list[Finding]:
    return [
        Finding(
            check="chain",
            stream_id=b.stream_id,
            version=b.version,
            problem=b.problem,
            expected=b.expected,
            found=b.found,
        )
        for b in verify_chain(stream)
    ]


async def verify_parts(
    case_id: str,
    kind: str,
    stream: Sequence[StoredEvent],
    runs: Sequence[RunHistory],
    row: dict[str, Any] | None,
    converter: DataConverter,
    *,
    findings: Sequence[Finding] = (),
    redacted: frozenset[int] = frozenset(),
    replay: bool = True,
    workflows: Sequence[type] | None = None,
    passthrough: Sequence[str] | None = None,
) -> VerifyReport:
    out = list(findings)
    # a redacted event's content hash cannot be recomputed; its links are still checked
    out += [
        f
        for f in chain_findings(stream)
        if not (f.version in redacted and f.problem == CONTENT_HASH_MISMATCH)
    ]
    if not runs:
        out.append(
            Finding(
                check="history", stream_id=case_id, problem="no history: neither on the server nor archived"
            )
        )
    implied, problems = await implied_events(runs, converter, case_id)
    implied = [
        i.model_copy(update={"data": redact(i.data, keep_keys=True)}) if i.version in redacted else i
        for i in implied
    ]
    out += problems
    if runs:
        out += compare_events(case_id, implied, stream)
    out += compare_projection(kind, case_id, stream, row)
    rep: ReplayReport | None = None
    if replay and runs:
        rep = await replay_runs(case_id, runs, converter, workflows=workflows, passthrough=passthrough)
        for r in rep.runs:
            if not r.ok:
                out.append(
                    Finding(
                        check="replay",
                        stream_id=case_id,
                        run_id=r.run_id,
                        problem=f"replay against the current code failed: {r.error_type}: {r.error}",
                    )
                )
    report = VerifyReport(
        case_id=case_id,
        kind=kind,
        ok=not out,
        checked_at=datetime.now(UTC),
        histories=[r.describe() for r in runs],
        events_in_store=len(stream),
        events_implied=len(implied),
        findings=out,
        replay=rep,
    )
    log.info("case verified", case_id=case_id, ok=report.ok, findings=len(out))
    return report
