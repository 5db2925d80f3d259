"""Export a case as a self-contained JSON bundle (histories, events with hashes, policy pack, projection
row, sha256) and verify such a bundle offline."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import structlog
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

from audit.models import Finding, RunHistory, VerifyReport, canonical, norm, run_of, started
from audit.verify import verify_parts
from store.events import StoredEvent, redact
from workflows.contracts import CaseInput

log = structlog.get_logger("hazardloop.audit")

BUNDLE_FORMAT = "hazardloop.audit-bundle/1"


def _exported(e: StoredEvent) -> dict[str, Any]:
    """An event as a bundle holds it: private values nulled, and said so (its content hash then cannot be
    recomputed offline; its links still are)."""
    out = e.model_dump(mode="json")
    data = redact(e.data, keep_keys=True)
    if data is not e.data:
        out["data"] = data
        out["redacted"] = sorted(k for k in e.data if data[k] != e.data[k])
    return out


def bundle_sha256(bundle: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in bundle.items() if k != "sha256"})).hexdigest()


async def build_bundle(
    case_id: str,
    kind: str,
    runs: Sequence[RunHistory],
    findings: Sequence[Finding],
    stream: Sequence[StoredEvent],
    row: dict[str, Any] | None,
    converter: DataConverter,
) -> dict[str, Any]:
    """A self-contained bundle: histories, events with hashes, policy pack, projection row, sha256."""
    policy: dict[str, Any] | None = None
    if runs:
        try:
            [inp] = await converter.decode(list(started(runs[0].history).input.payloads), [CaseInput])
            assert isinstance(inp, CaseInput)
            policy = inp.policy.model_dump(mode="json")
        except Exception as e:
            log.warning("policy pack not decoded from the history", case_id=case_id, error=str(e))
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "case_id": case_id,
        "kind": kind,
        "exported_at": datetime.now(UTC).isoformat(),
        "histories": [
            {
                "run_id": r.run_id,
                "workflow_type": r.workflow_type,
                "source": r.source,
                "history": r.history.to_json_dict(),
            }
            for r in runs
        ],
        "events": [_exported(e) for e in stream],
        "policy_pack": policy,
        "projection": norm({**row, "state": redact(row["state"], keep_keys=True)})
        if row is not None
        else None,
        "export_findings": [f.model_dump(mode="json") for f in findings],
    }
    bundle["sha256"] = bundle_sha256(bundle)
    return bundle


async def verify_bundle(
    bundle: dict[str, Any],
    converter: DataConverter,
    *,
    workflows: Sequence[type] | None = None,
    passthrough: Sequence[str] | None = None,
) -> VerifyReport:
    """Offline: the bundle's sha, the chain, history ⇔ events, projection ⇔ fold, replay."""
    case_id = str(bundle.get("case_id", "?"))
    kind = str(bundle.get("kind", "?"))
    findings: list[Finding] = []
    if bundle.get("format") != BUNDLE_FORMAT:
        findings.append(
            Finding(
                check="bundle",
                stream_id=case_id,
                problem="unknown bundle format",
                expected=BUNDLE_FORMAT,
                found=bundle.get("format"),
            )
        )
    want = bundle_sha256(bundle)
    if bundle.get("sha256") != want:
        findings.append(
            Finding(
                check="bundle",
                stream_id=case_id,
                problem="bundle sha256 does not match its content",
                expected=want,
                found=bundle.get("sha256"),
            )
        )
    stream = [StoredEvent.model_validate(e) for e in bundle.get("events", [])]
    redacted = frozenset(int(e["version"]) for e in bundle.get("events", []) if e.get("redacted"))
    runs: list[RunHistory] = []
    for h in bundle.get("histories", []):
        try:
            runs.append(run_of(WorkflowHistory.from_json(case_id, h["history"]), "bundle"))
        except Exception as e:
            findings.append(
                Finding(
                    check="history", stream_id=case_id, run_id=h.get("run_id"), problem=f"unreadable: {e}"
                )
            )
    return await verify_parts(
        case_id,
        kind,
        stream,
        runs,
        bundle.get("projection"),
        converter,
        findings=findings,
        redacted=redacted,
        workflows=workflows,
        passthrough=passthrough,
    )
