"""What the enterprise record shows: the index, the record (API view), the summary."""

from __future__ import annotations

from typing import Any

from domain.decider import CaseIndex
from domain.enterprise.decide import deadlines
from domain.enterprise.rules import allowed_commands
from domain.enterprise.state import EnterpriseState


def index(s: EnterpriseState) -> CaseIndex:
    dl = deadlines(s)
    return CaseIndex(
        status="listed" if s.listed else s.status.value,
        region=s.region,
        enterprise_id=s.enterprise_id or None,
        next_due_at=dl[0].due_at if dl else None,
        overdue=bool(s.lapsed) and s.listed,
        terminal=False,
    )


def view(s: EnterpriseState) -> dict[str, Any]:
    data = s.model_dump(mode="json", exclude={"lapsed", "cases"})
    data["status"] = index(s).status
    data["cases"] = {
        cid: {k: v for k, v in c.model_dump(mode="json").items() if k != "penalties"}
        for cid, c in sorted(s.cases.items())
    }
    data["open_major_hazards"] = sorted(cid for cid, c in s.cases.items() if c.major_open)
    data["listed"] = s.listed
    data["deadlines"] = [d.model_dump(mode="json", exclude={"note"}) for d in deadlines(s)]
    data["lapsed_clocks"] = list(s.lapsed)
    data["allowed_commands"] = allowed_commands(s)
    return data


def summary(s: EnterpriseState) -> dict[str, Any]:
    return {
        "status": index(s).status,
        "terminal": False,
        "listed": s.listed,
        "closure_proposed": bool(s.closure),
        "penalties": len(s.penalties),
    }
