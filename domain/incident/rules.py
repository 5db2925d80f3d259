"""Who may send which incident command, which commands each status accepts, and who investigates."""

from __future__ import annotations

from domain.actors import Role
from domain.incident.grading import (
    Grade,
    InvestigatingLevel,
    authority_region,
)
from domain.incident.state import (
    IncidentState,
    Status,
)

E, INS, S, OP, SYS = Role.enterprise, Role.inspector, Role.supervisor, Role.operator, Role.system

ROLES: dict[str, frozenset[Role]] = {
    "report": frozenset({E, INS, S, OP, SYS}),
    "supplement": frozenset({E, INS, S, OP}),
    "acknowledge_report": frozenset({S}),
    "file_written_report": frozenset({E, INS, S, OP}),
    "extend_approval": frozenset({S}),
    "open_investigation": frozenset({INS, S}),
    "pause_investigation": frozenset({INS, S}),
    "resume_investigation": frozenset({INS, S}),
    "request_investigation_extension": frozenset({INS, S}),
    "decide_investigation_extension": frozenset({S}),
    "submit_report": frozenset({INS, S}),
    "approve_report": frozenset({S}),
    "record_sanction": frozenset({INS, S, OP}),
    "publish": frozenset({S, OP}),
    "record_education": frozenset({INS, S, OP, E}),
    "submit_evaluation": frozenset({S}),
    "flag_concealment": frozenset({INS, S, SYS}),
    "cancel": frozenset({S, OP}),
}
# acts of the investigating authority: the actor's jurisdiction must cover the authority's region
AUTHORITY_ACTS = frozenset(
    {
        "open_investigation",
        "pause_investigation",
        "resume_investigation",
        "request_investigation_extension",
        "decide_investigation_extension",
        "submit_report",
        "approve_report",
        "extend_approval",
        "submit_evaluation",
    }
)
_AFTER = ("record_sanction", "publish", "record_education")
_BY_STATUS: dict[Status, tuple[str, ...]] = {
    Status.none: ("report",),
    Status.reported: (
        "supplement",
        "acknowledge_report",
        "file_written_report",
        "open_investigation",
        "flag_concealment",
        "cancel",
    ),
    Status.investigating: (
        "supplement",
        "acknowledge_report",
        "file_written_report",
        "pause_investigation",
        "request_investigation_extension",
        "decide_investigation_extension",
        "submit_report",
        "flag_concealment",
        "cancel",
    ),
    Status.appraisal_pause: (
        "supplement",
        "acknowledge_report",
        "file_written_report",
        "resume_investigation",
        "flag_concealment",
        "cancel",
    ),
    Status.awaiting_approval: (
        "acknowledge_report",
        "file_written_report",
        "approve_report",
        "extend_approval",
        "flag_concealment",
    ),
    Status.implementing: ("acknowledge_report", *_AFTER, "flag_concealment"),
    Status.evaluating: ("submit_evaluation", *_AFTER),
    Status.accountability: ("submit_evaluation", *_AFTER),
    Status.closed: (),
    Status.cancelled: (),
}


def allowed_commands(s: IncidentState) -> list[str]:
    out = []
    for c in _BY_STATUS[s.status]:
        inv = s.investigation
        if c == "decide_investigation_extension" and (inv is None or inv.extension_status != "pending"):
            continue
        if c == "request_investigation_extension" and inv is not None and inv.extension_status is not None:
            continue
        if c == "acknowledge_report" and not any(st.acknowledged_at is None for st in s.route):
            continue
        if c == "flag_concealment" and s.concealed:
            continue
        if c == "file_written_report" and (s.written_report_due is None or s.written_report_at is not None):
            continue
        if c == "extend_approval" and (
            s.grade != Grade.especially_major or s.approval_extension_days is not None
        ):
            continue
        if c == "publish" and s.publication is not None:
            continue
        out.append(c)
    return out


def authority(s: IncidentState) -> str:
    return authority_region(s.region, s.investigating_level or InvestigatingLevel.county, s.tree)
