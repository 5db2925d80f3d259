"""The auditor (docs/architecture.md, the third shell): show and verify what happened to a case — its trail
(audit/trail.py), verification (audit/verify.py), replay (audit/replay.py) and export (audit/export.py),
with histories from the server or the archive (audit/archive.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.converter import DataConverter

from audit.archive import load_histories
from audit.export import build_bundle
from audit.models import CaseNotFound, Finding, ReplayReport, Trail, VerifyReport
from audit.replay import replay_runs
from audit.trail import build_trail, notifications
from audit.verify import verify_parts
from domain.access import check_read
from domain.actors import Actor, Role
from domain.registry import get_decider
from store.events import StoredEvent, read_stream
from store.projector import fold_records
from store.queries import get_case

# ---- the auditor ----------------------------------------------------------------------------------------

# (event version, cited sha256) → (version, sha256, problem) for each stored file that is missing or altered;
# the shell that knows the blob store provides it (starter/evidence.py `evidence_check`)
EvidenceCheck = Callable[[Iterable[tuple[int, str]]], Awaitable[list[tuple[int, str, str]]]]


def cited_hashes(data: Any) -> set[str]:
    """Every `{uri, sha256}` evidence reference anywhere in an event's data."""
    if isinstance(data, dict):
        found = {data["sha256"]} if isinstance(data.get("sha256"), str) and "uri" in data else set()
        return found.union(*(cited_hashes(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(cited_hashes(v) for v in data))
    return set()


@dataclass
class CaseRef:
    case_id: str
    kind: str
    region: str
    enterprise_id: str | None


class Auditor:
    """Audit one case or many. `client` may be None (Temporal unreachable): histories then come from the
    archive."""

    def __init__(
        self,
        client: Client | None,
        engine: AsyncEngine,
        converter: DataConverter,
        *,
        workflows: Sequence[type] | None = None,
        passthrough: Sequence[str] | None = None,
        evidence_check: EvidenceCheck | None = None,
    ) -> None:
        self.evidence_check = evidence_check
        self.client = client
        self.engine = engine
        self.converter = converter
        self.workflows = workflows
        self.passthrough = passthrough

    async def locate(self, case_id: str) -> CaseRef:
        """Kind, region and enterprise of a case: from the projection, or a fold of its events."""
        async with self.engine.connect() as conn:
            row = await get_case(conn, case_id)
            if row is not None:
                return CaseRef(case_id, row.kind, row.region, row.enterprise_id)
            stream = await read_stream(conn, case_id)
        if not stream:
            raise CaseNotFound(case_id)
        kind = stream[0].kind
        idx = get_decider(kind).index(fold_records(kind, stream))
        return CaseRef(case_id, kind, idx.region, idx.enterprise_id)

    async def authorize(self, case_id: str, kind: str, actor: Actor) -> CaseRef:
        """Auditors read every trail; anyone else as they may read the case."""
        ref = await self.locate(case_id)
        if ref.kind != kind:
            raise CaseNotFound(case_id, kind)
        if actor.role != Role.auditor:
            check_read(actor, ref.region, ref.enterprise_id)
        return ref

    async def _stream_and_row(self, case_id: str) -> tuple[list[StoredEvent], dict[str, Any] | None]:
        async with self.engine.connect() as conn:
            stream = await read_stream(conn, case_id)
            row = await get_case(conn, case_id)
        return stream, (dict(row._mapping) if row is not None else None)

    async def replay(self, case_id: str) -> ReplayReport:
        runs, _ = await load_histories(self.client, self.engine, case_id)
        return await replay_runs(
            case_id, runs, self.converter, workflows=self.workflows, passthrough=self.passthrough
        )

    async def verify(self, case_id: str, *, replay: bool = True) -> VerifyReport:
        ref = await self.locate(case_id)
        runs, findings = await load_histories(self.client, self.engine, case_id)
        stream, row = await self._stream_and_row(case_id)
        report = await verify_parts(
            case_id,
            ref.kind,
            stream,
            runs,
            row,
            self.converter,
            findings=findings,
            replay=replay,
            workflows=self.workflows,
            passthrough=self.passthrough,
        )
        if self.evidence_check is None:
            return report
        # the stored evidence files still hash to what the events record
        cited = [(e.version, sha) for e in stream for sha in sorted(cited_hashes(e.data))]
        found = [
            Finding(check="evidence", stream_id=case_id, version=v, field="sha256", problem=p, expected=sha)
            for v, sha, p in await self.evidence_check(cited)
        ]
        findings = [*report.findings, *found]
        return report.model_copy(update={"findings": findings, "ok": not findings})

    async def trail(self, case_id: str, *, verify: bool = True) -> Trail:
        ref = await self.locate(case_id)
        async with self.engine.connect() as conn:
            stream = await read_stream(conn, case_id)
        trail = build_trail(ref.kind, case_id, stream, await notifications(self.engine, case_id))
        if verify:
            trail.verification = await self.verify(case_id)
        return trail

    async def export(self, case_id: str) -> dict[str, Any]:
        """A self-contained bundle: histories, events with hashes, policy pack, projection row, sha256."""
        ref = await self.locate(case_id)
        runs, findings = await load_histories(self.client, self.engine, case_id)
        stream, row = await self._stream_and_row(case_id)
        return await build_bundle(case_id, ref.kind, runs, findings, stream, row, self.converter)
