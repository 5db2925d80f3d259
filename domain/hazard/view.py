"""What a hazard shows: the index, the view, the parent's summary."""

from __future__ import annotations

from typing import Any

from domain.decider import (
    CaseIndex,
)
from domain.hazard.clocks import deadlines
from domain.hazard.rules import allowed_commands
from domain.hazard.state import TERMINAL, HazardState, Status


def index(s: HazardState) -> CaseIndex:
    dl = deadlines(s)
    return CaseIndex(
        status=s.status.value,
        level=s.level.value if s.level else None,
        region=s.region,
        enterprise_id=s.enterprise_id or None,
        next_due_at=dl[0].due_at if dl else None,
        overdue=(s.overdue or s.progress_overdue) and s.status not in TERMINAL,
        terminal=s.status in TERMINAL,
    )


def view(s: HazardState) -> dict[str, Any]:
    data = s.model_dump(mode="json", exclude={"lapsed", "reminders", "grading_due", "major_report_due"})
    p = s.penalty
    data["penalty"] = {
        "fines": [f.model_dump(mode="json") for f in p.fines],
        "fine_total": str(p.fine_total),
        "confiscated_total": str(p.confiscated_total),
        "accruing": p.accruing,
        "accrual_base": str(p.accrual_base),
        "days_accrued": p.days_accrued,
        "accrued_total": str(p.accrued_total),
        "next_accrual_at": p.next_accrual_at.isoformat() if p.next_accrual_at else None,
    }
    data["deadlines"] = [d.model_dump(mode="json", exclude={"note"}) for d in deadlines(s)]
    data["lapsed_clocks"] = list(s.lapsed)
    data["overdue"] = (s.overdue or s.progress_overdue) and s.status not in TERMINAL
    data["allowed_commands"] = allowed_commands(s) if s.status != Status.none else ["report"]
    return data


def summary(s: HazardState) -> dict[str, Any]:
    return {
        "status": s.status.value,
        "terminal": s.status in TERMINAL,
        "level": s.level.value if s.level else None,
        "fine_total": str(s.penalty.fine_total),
        "accrued_total": str(s.penalty.accrued_total),
        "confiscated_total": str(s.penalty.confiscated_total),
        "deadline": s.deadline.isoformat() if s.deadline else None,
        "overdue": s.overdue,
    }
