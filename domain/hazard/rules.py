"""Who may send which hazard command, and which commands each status accepts."""

from __future__ import annotations

from domain.actors import Role
from domain.hazard.commands import Source, StopWork
from domain.hazard.publication import can_publish
from domain.hazard.state import LISTED, HazardState, Status

PUBLISHABLE = LISTED | {Status.awaiting_review}

E, INS, S, X, OP, SYS = (
    Role.enterprise,
    Role.inspector,
    Role.supervisor,
    Role.expert,
    Role.operator,
    Role.system,
)

ROLES: dict[str, frozenset[Role]] = {
    "report": frozenset({E, INS, S, X, OP, SYS}),
    "grade": frozenset({INS, S}),
    "regrade": frozenset({INS, S}),
    "list_for_supervision": frozenset({S}),
    "submit_plan": frozenset({E, OP}),
    "decide_plan": frozenset({S}),
    "report_progress": frozenset({E, OP}),
    "request_extension": frozenset({E, OP}),
    "decide_extension": frozenset({S}),
    "submit_explanation": frozenset({E, OP}),
    "submit_rectification": frozenset({E, OP, INS}),
    "submit_assessment": frozenset({X}),
    "review": frozenset({INS, S}),
    "impose_penalty": frozenset({INS, S}),
    "reinspect": frozenset({INS, S}),
    "order_stop_work": frozenset({INS, S}),
    "lift_stop_work": frozenset({S}),
    "publish_listing": frozenset({OP, S}),
    "publish_writeoff": frozenset({OP, S}),
    "cancel": frozenset({OP, S}),
}
"""Who may send each command (besides jurisdiction over the hazard's region and enterprise scope)."""

_ENFORCEMENT = ("impose_penalty", "reinspect", "order_stop_work", "lift_stop_work")
BY_STATUS: dict[Status, tuple[str, ...]] = {
    Status.none: ("report",),
    Status.reported: ("grade", "impose_penalty", "order_stop_work", "lift_stop_work", "cancel"),
    Status.rectifying: (
        "submit_rectification",
        "request_extension",
        "decide_extension",
        "submit_explanation",
        "regrade",
        *_ENFORCEMENT,
        "cancel",
    ),
    Status.verifying: ("review", "regrade", *_ENFORCEMENT, "cancel"),
    Status.reported_major: (
        "list_for_supervision",
        "regrade",
        "impose_penalty",
        "order_stop_work",
        "lift_stop_work",
        "cancel",
    ),
    Status.listed: (
        "submit_plan",
        "report_progress",
        "request_extension",
        "decide_extension",
        "submit_explanation",
        *_ENFORCEMENT,
        "cancel",
    ),
    Status.plan_submitted: (
        "decide_plan",
        "report_progress",
        "request_extension",
        "decide_extension",
        "submit_explanation",
        *_ENFORCEMENT,
        "cancel",
    ),
    Status.treating: (
        "submit_rectification",
        "report_progress",
        "request_extension",
        "decide_extension",
        "submit_explanation",
        *_ENFORCEMENT,
        "cancel",
    ),
    Status.assessing: ("submit_assessment", "report_progress", *_ENFORCEMENT, "cancel"),
    Status.awaiting_review: ("review", "order_stop_work", "lift_stop_work", "cancel"),
    Status.written_off: ("publish_writeoff",),
    Status.closed: (),
    Status.cancelled: (),
}

# sources each reporting role may use (the system reports only with an origin: tip or incident)
SOURCES: dict[Role, frozenset[Source]] = {
    E: frozenset({Source.self_inspection}),
    INS: frozenset({Source.inspection, Source.covert_visit, Source.expert_service, Source.self_inspection}),
    X: frozenset({Source.expert_service}),
    OP: frozenset({Source.self_inspection, Source.inspection, Source.covert_visit, Source.expert_service}),
    S: frozenset({Source.self_inspection, Source.inspection, Source.covert_visit, Source.expert_service}),
    SYS: frozenset({Source.tip, Source.incident}),
}


def allowed_commands(s: HazardState) -> list[str]:
    """The commands the current status accepts, narrowed by what the case file makes possible."""
    out = []
    for c in BY_STATUS[s.status]:
        if c == "decide_extension" and s.pending_extension is None:
            continue
        if c == "request_extension" and s.pending_extension is not None:
            continue
        if c == "submit_explanation" and not (s.overdue and not s.explained):
            continue
        if c == "lift_stop_work" and s.stop_work == StopWork.none:
            continue
        if c == "reinspect" and s.ordered_at is None:
            continue
        out.append(c)
    if can_publish(s) and s.status in PUBLISHABLE:  # the listing's publication (domain/hazard/publication)
        out.append("publish_listing")
    return out
