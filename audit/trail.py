"""The trail: every step of a case in order — when, who, which command, which events the rules decided,
under which policy pack, which deadlines were set / moved / met / elapsed, which notifications went out —
and its text for a person (Chinese or English labels)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from audit.models import DeadlineChange, Step, Trail, TrailEvent, TrailNotification, VerifyReport, short
from domain.actors import Role
from domain.registry import get_decider
from store.audit import case_notifications
from store.events import StoredEvent, redact
from workflows.contracts import key_of

# ---- trail --------------------------------------------------------------------------------------------


def _group_steps(stream: Sequence[StoredEvent]) -> list[list[StoredEvent]]:
    """Consecutive events recorded together (one accepted command = one record_events call)."""
    steps: list[list[StoredEvent]] = []
    for e in stream:
        if steps:
            last = steps[-1][-1]
            if (
                last.occurred_at == e.occurred_at
                and last.actor == e.actor
                and last.command_id == e.command_id
                and (last.policy_id, last.policy_version) == (e.policy_id, e.policy_version)
            ):
                steps[-1].append(e)
                continue
        steps.append([e])
    return steps


def deadline_changes(
    before: Sequence[Any], after: Sequence[Any], at: datetime, actor: dict[str, Any]
) -> list[DeadlineChange]:
    """Set / moved / met / elapsed, from `deadlines(state)` before and after a step."""
    b = {d.key: d for d in before}
    a = {d.key: d for d in after}
    out: list[DeadlineChange] = []
    for key, d in a.items():
        if key not in b:
            out.append(DeadlineChange(key=key, kind=d.kind, change="set", due_at=d.due_at, note=d.note))
        elif b[key].due_at != d.due_at:
            out.append(
                DeadlineChange(
                    key=key,
                    kind=d.kind,
                    change="moved",
                    due_at=d.due_at,
                    previous_due_at=b[key].due_at,
                    note=d.note,
                )
            )
    for key, d in b.items():
        if key in a:
            continue
        fired = actor.get("role") == Role.system.value and d.due_at <= at
        out.append(
            DeadlineChange(
                key=key, kind=d.kind, change="elapsed" if fired else "met", due_at=d.due_at, note=d.note
            )
        )
    return out


async def notifications(engine: AsyncEngine, case_id: str) -> dict[int, list[TrailNotification]]:
    rows = await case_notifications(engine, case_id)
    out: dict[int, list[TrailNotification]] = {}
    for r in rows:
        out.setdefault(r.stream_version, []).append(
            TrailNotification(
                version=r.stream_version,
                kind=r.kind,
                recipient_role=r.recipient_role,
                recipient_party=r.recipient_party,
                due_at=r.due_at,
                subject=r.subject,
                status=r.status,
                attempts=r.attempts,
                delivered_at=r.delivered_at,
                last_error=r.last_error,
            )
        )
    return out


def build_trail(
    kind: str,
    case_id: str,
    stream: Sequence[StoredEvent],
    sent: dict[int, list[TrailNotification]] | None = None,
) -> Trail:
    decider = get_decider(kind)
    state = decider.initial_state()
    steps: list[Step] = []
    status_before: str | None = None
    for n, group in enumerate(_group_steps(stream), start=1):
        owed_before = decider.deadlines(state)
        for e in group:
            state = decider.evolve(state, decider.parse_event(e.data))
        status_after = decider.index(state).status
        first = group[0]
        steps.append(
            Step(
                n=n,
                at=first.occurred_at,
                actor=first.actor,
                command_id=key_of(first.command_id) if first.command_id else None,
                policy={"id": first.policy_id, "version": first.policy_version},
                status_before=status_before,
                status_after=status_after,
                events=[
                    TrailEvent(version=e.version, type=e.type, data=redact(e.data), hash=e.hash)
                    for e in group
                ],
                deadlines=deadline_changes(
                    owed_before, decider.deadlines(state), first.occurred_at, first.actor
                ),
                notifications=[x for e in group for x in (sent or {}).get(e.version, [])],
            )
        )
        status_before = status_after
    idx = decider.index(state)
    return Trail(
        case_id=case_id,
        kind=kind,
        status=idx.status if stream else "none",
        version=stream[-1].version if stream else 0,
        steps=steps,
    )


LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "审计轨迹",
        "case": "案件",
        "kind": "类型",
        "status": "状态",
        "version": "版本",
        "step": "步骤",
        "when": "时间",
        "who": "操作人",
        "role": "角色",
        "region": "辖区",
        "command": "指令编号",
        "policy": "政策包",
        "decided": "规则决定(事件)",
        "deadlines": "时限",
        "notifications": "通知",
        "set": "设定",
        "moved": "变更",
        "met": "按期解除",
        "elapsed": "到期(已触发/逾期)",
        "due": "到期",
        "was": "原定",
        "verification": "核验",
        "ok": "通过",
        "failed": "未通过",
        "replay": "历史重放(当前代码)",
        "chain": "事件链",
        "findings": "发现的问题",
        "none": "无",
        "system": "系统",
        "transition": "状态变化",
        "sources": "历史来源",
    },
    "en": {
        "title": "Audit trail",
        "case": "Case",
        "kind": "kind",
        "status": "status",
        "version": "version",
        "step": "Step",
        "when": "when",
        "who": "who",
        "role": "role",
        "region": "region",
        "command": "command id",
        "policy": "policy pack",
        "decided": "rules decided (events)",
        "deadlines": "deadlines",
        "notifications": "notifications",
        "set": "set",
        "moved": "moved",
        "met": "met",
        "elapsed": "elapsed (fired / missed)",
        "due": "due",
        "was": "was",
        "verification": "Verification",
        "ok": "passed",
        "failed": "FAILED",
        "replay": "history replayed against current code",
        "chain": "event chain",
        "findings": "findings",
        "none": "none",
        "system": "system",
        "transition": "status",
        "sources": "history sources",
    },
}


ROLE_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "enterprise": "生产经营单位",
        "inspector": "执法人员",
        "supervisor": "监管负责人",
        "expert": "专家",
        "operator": "平台运维",
        "auditor": "审计/纪检监察",
        "system": "系统",
    },
}


def render_trail(trail: Trail, lang: str = "zh") -> str:
    """The trail for a person (Chinese or English labels)."""
    t = LABELS.get(lang, LABELS["zh"])
    lines = [
        f"{t['title']} — {t['case']} {trail.case_id} ({t['kind']} {trail.kind}, "
        f"{t['status']} {trail.status}, {t['version']} {trail.version})",
        "",
    ]
    for s in trail.steps:
        who = s.actor.get("name") or s.actor.get("id", "?")
        role = str(s.actor.get("role", "?"))
        role = ROLE_LABELS.get(lang, {}).get(role, role)
        if s.actor.get("role") == Role.system.value:
            who = f"{t['system']} ({s.actor.get('id', 'system')})"
        lines.append(f"{t['step']} {s.n}  {s.at.astimezone(UTC).isoformat()}")
        lines.append(
            f"  {t['who']}: {who}  {t['role']}: {role}  {t['region']}: {s.actor.get('region', '-')}"
            + (f"  enterprise: {s.actor['enterprise_id']}" if s.actor.get("enterprise_id") else "")
        )
        lines.append(
            f"  {t['command']}: {s.command_id or '-'}  {t['policy']}: {s.policy['id']}@{s.policy['version']}"
        )
        lines.append(f"  {t['transition']}: {s.status_before or '-'} → {s.status_after}")
        lines.append(f"  {t['decided']}:")
        for e in s.events:
            lines.append(f"    v{e.version} {e.type} {short(e.data, 120)}  #{e.hash[:12]}")
        if s.deadlines:
            lines.append(f"  {t['deadlines']}:")
            for d in s.deadlines:
                extra = f" ({t['was']} {d.previous_due_at.isoformat()})" if d.previous_due_at else ""
                lines.append(
                    f"    {t[d.change]}: {d.key} [{d.kind}] {t['due']} {d.due_at.isoformat()}{extra}"
                )
        if s.notifications:
            lines.append(f"  {t['notifications']}:")
            for x in s.notifications:
                lines.append(
                    f"    {x.kind} → {x.recipient_role}@{x.recipient_party} [{x.status}] {x.subject}".rstrip()
                )
        lines.append("")
    if trail.verification is not None:
        lines.extend(render_verification(trail.verification, lang))
    return "\n".join(lines)


def render_verification(v: VerifyReport, lang: str = "zh") -> list[str]:
    t = LABELS.get(lang, LABELS["zh"])
    lines = [f"{t['verification']}: {t['ok'] if v.ok else t['failed']}"]
    srcs = ", ".join(f"{h.run_id[:8]}…={h.source}" for h in v.histories) or t["none"]
    lines.append(f"  {t['sources']}: {srcs}")
    if v.replay is not None:
        rep = t["ok"] if v.replay.ok else f"{t['failed']}: {v.replay.first_divergence}"
        lines.append(f"  {t['replay']}: {rep}")
    lines.append(f"  {t['findings']}: {len(v.findings) or t['none']}")
    for f in v.findings:
        lines.append(f"    {f.line()}")
    return lines
