"""An incident's clocks: what it owes (`deadlines`) and what a lapsed one records (`deadline_elapsed`)."""

from __future__ import annotations

from domain.base import known
from domain.decider import Context, Deadline, DeadlineElapsed
from domain.incident.decide import prefill
from domain.incident.events import (
    DeadlineMissed,
    EvaluationOpened,
    IncidentEvent,
)
from domain.incident.rules import authority
from domain.incident.state import (
    TERMINAL,
    IncidentState,
    Status,
)
from domain.jurisdiction import next_level


def deadlines(s: IncidentState) -> list[Deadline]:
    if s.status in TERMINAL or s.status == Status.none:
        return []
    out = [
        Deadline(key=f"onward:{st.region}", kind="onward_report", due_at=st.due_at)
        for st in s.route
        if st.acknowledged_at is None and not st.missed
    ]
    lapsed = set(s.lapsed)
    if s.written_report_due is not None and s.written_report_at is None and "written_report" not in lapsed:
        out.append(Deadline(key="written_report", kind="written_report", due_at=s.written_report_due))
    if (
        s.status in (Status.reported, Status.investigating)
        and s.investigation_due
        and "investigation" not in lapsed
    ):
        out.append(Deadline(key="investigation", kind="investigation", due_at=s.investigation_due))
    if s.status == Status.awaiting_approval and s.approval_due and "approval" not in lapsed:
        out.append(Deadline(key="approval", kind="approval", due_at=s.approval_due))
    if s.approved_at and s.publication is None and s.publication_due and "publication" not in lapsed:
        out.append(Deadline(key="publication", kind="publication", due_at=s.publication_due))
    ev = s.evaluation
    if s.status == Status.implementing and ev is not None:
        out.append(Deadline(key="evaluation_opens", kind="evaluation_opens", due_at=ev.opens_at))
    if s.status in (Status.evaluating, Status.accountability) and ev and ev.due_at:
        key = f"evaluation:{ev.round}"
        if key not in lapsed:
            out.append(Deadline(key=key, kind="evaluation", due_at=ev.due_at))
    return sorted(out, key=lambda d: (d.due_at, d.key))


def deadline_elapsed(s: IncidentState, c: DeadlineElapsed, ctx: Context) -> list[IncidentEvent]:
    d = {x.key: x for x in deadlines(s)}.get(c.key)
    if d is None or d.due_at != c.due_at:
        return []
    now, by = ctx.now, ctx.actor.id
    if d.key == "evaluation_opens":
        evaluation = known(s.evaluation, "evaluation")
        return [EvaluationOpened(prefill=prefill(s), due_at=evaluation.deadline, at=now, by=by)]
    if d.kind == "onward_report":
        to = d.key.split(":", 1)[1]
    elif d.key in ("publication", "written_report"):
        to = next_level(ctx.policy, s.region)
    else:
        to = next_level(ctx.policy, authority(s))
    return [DeadlineMissed(key=d.key, due_at=d.due_at, escalated_to=to, at=now, by=by)]
