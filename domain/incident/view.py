"""What an incident shows: the index, the view, the parent's summary."""

from __future__ import annotations

from typing import Any

from domain.decider import CaseIndex
from domain.incident.clocks import deadlines
from domain.incident.decide import prefill
from domain.incident.rules import allowed_commands, authority
from domain.incident.state import (
    TERMINAL,
    IncidentState,
    Status,
)


def index(s: IncidentState) -> CaseIndex:
    dl = deadlines(s)
    return CaseIndex(
        status=s.status.value,
        level=s.grade.value if s.grade else None,
        region=s.region,
        enterprise_id=s.enterprise_id or None,
        next_due_at=dl[0].due_at if dl else None,
        overdue=s.overdue and s.status not in TERMINAL,
        terminal=s.status in TERMINAL,
    )


def view(s: IncidentState) -> dict[str, Any]:
    data = s.model_dump(mode="json", exclude={"lapsed"})
    data["type"] = data.pop("incident_type")
    data["flags"] = s.flags
    data["veto_causes"] = s.veto_causes  # 一票否决 of the region for the year, and why
    data["investigating_authority"] = authority(s) if s.investigating_level else None
    data["deadlines"] = [d.model_dump(mode="json", exclude={"note"}) for d in deadlines(s)]
    data["overdue"] = s.overdue and s.status not in TERMINAL
    data["lapsed_clocks"] = list(s.lapsed)
    data["prefill"] = prefill(s).model_dump() if s.status != Status.none else None
    data["allowed_commands"] = allowed_commands(s)
    return data


def summary(s: IncidentState) -> dict[str, Any]:
    return {
        "status": s.status.value,
        "terminal": s.status in TERMINAL,
        "grade": s.grade.value if s.grade else None,
        "deaths": s.deaths,
        "concealed": s.concealed,
        "concealed_deaths": s.deaths if s.concealed else 0,
    }
