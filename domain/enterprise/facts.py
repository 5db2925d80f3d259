"""What a case tells its enterprise's record: the facts of 安全生产法 Art. 113 and of the credit listing
(应急管理部令第11号), read from a hazard's or an incident's state. The shell sends them to the record
(`case_facts` signal) whenever they change; kinds without facts (tips) tell nothing."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from domain.enterprise.state import CaseFacts, PenaltyFact
from domain.hazard.commands import Level, StopWork
from domain.hazard.state import TERMINAL as HAZARD_TERMINAL
from domain.hazard.state import HazardState
from domain.hazard.state import Status as HazardStatus
from domain.incident.state import TERMINAL as INCIDENT_TERMINAL
from domain.incident.state import IncidentState

RECORD_PREFIX = "EN"


def record_id(enterprise_id: str) -> str:
    """The record's case id: one per enterprise, whatever characters the enterprise id uses."""
    digest = hashlib.sha256(enterprise_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{RECORD_PREFIX}-{digest[:24].upper()}"


def hazard_facts(s: HazardState) -> CaseFacts:
    since: datetime | None = None
    if s.stop_work != StopWork.none:
        orders = [e.at for e in s.stop_work_history if e.data.get("order") != "lifted"]
        since = orders[-1] if orders else (s.listing.listed_at if s.listing else None)
    lacking = s.stop_work == StopWork.full and any(
        not r.data.get("compliant", True) for r in s.reinspections if since is None or r.at >= since
    )
    terminal = s.status in HAZARD_TERMINAL
    return CaseFacts(
        kind="hazard",
        status=s.status.value,
        terminal=terminal,
        level=s.level.value if s.level else None,
        major_open=s.level == Level.major and not terminal and s.status != HazardStatus.written_off,
        stop_work=s.stop_work.value,
        stop_work_since=since,
        lacking_after_suspension=lacking,
        penalties=[
            PenaltyFact(case_id=s.id, decision_no=f.decision_no, amount=f.amount, at=f.at)
            for f in s.penalty.fines
        ],
    )


def incident_facts(s: IncidentState, *, reporting: bool = True) -> CaseFacts:
    """The incident's grade and, with `reporting`, its 瞒报 / 谎报 (listing causes of 应急管理部令第11号).
    Without it (a shell replaying a history recorded before these facts existed) the facts are as then."""
    return CaseFacts(
        kind="incident",
        status=s.status.value,
        terminal=s.status in INCIDENT_TERMINAL,
        grade=s.grade.value if s.grade else None,
        concealed=reporting and s.concealed,
        false_report=reporting and s.false_report,
    )


REPORTING_FACTS = ("concealed", "false_report")


def _told(facts: CaseFacts) -> dict[str, Any]:
    """The facts as JSON; a reporting failure only when there is one, so the facts of every other case
    read as they did before these facts existed."""
    return facts.model_dump(mode="json", exclude={k for k in REPORTING_FACTS if not getattr(facts, k)})


def case_facts(kind: str, state: Any, *, reporting: bool = True) -> tuple[str, str, dict[str, Any]] | None:
    """(enterprise id, region, facts as JSON) of a case of `kind`, or None when it tells no record.
    `reporting=False` leaves out an incident's reporting failures (the facts told before they existed)."""
    if kind == "hazard" and isinstance(state, HazardState) and state.enterprise_id:
        return state.enterprise_id, state.region, _told(hazard_facts(state))
    if kind == "incident" and isinstance(state, IncidentState) and state.enterprise_id:
        return state.enterprise_id, state.region, _told(incident_facts(state, reporting=reporting))
    return None
