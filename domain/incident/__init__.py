"""The incident (生产安全事故) decider, docs/rules.md#incidents.

```
none ─report─▶ reported ─open_investigation─▶ investigating ⇄ appraisal_pause
  ─submit_report─▶ awaiting_approval
  ─approve_report (批复)─▶ implementing (corrective measures run as child hazard cases <id>-m<i>)
  ─(incident.evaluation_opens after 批复)─▶ evaluating ─submit_evaluation, all four hold─▶ closed
                                               └─ any fails ─▶ accountability ─submit_evaluation─▶ …
  approve_report refused ─▶ investigating;   reported | investigating | appraisal_pause ─cancel─▶ cancelled
```

Grade: the highest any of deaths / serious injuries / direct loss reaches (493号令 Art. 3, pack table
`incident.grade_thresholds`); investigated by county / city / province / State Council (Art. 19).
The enterprise's report later than `incident.report_due` after the accident is flagged 迟报 at once.
Onward reporting (Art. 10-11): each level up the route (一般 → city, 较大 → province, 重大+ → national)
is owed the report within `incident.level_report_due` of the level below; a level confirms with
`acknowledge_report` (docs/rules.md#reporting-and-onward-reporting), a lapsed step escalates to that level
directly.

Design choices:
- Acts of the investigating authority (open/pause/resume/extend the investigation, submit and approve the
  report, evaluate) need a jurisdiction covering the authority's region, so 提级调查 moves them up.
- 结案 is taken to be the 批复: publication is due `incident.publication_due` after it.
- The evaluation's findings may say "no" freely; a "yes" the case file contradicts (a measure's hazard
  still open, a sanction not executed, no education record, no causes) is refused naming the check.
- Supplements re-grade; the investigating level never moves down.
"""

from domain.incident.commands import IncidentCommand
from domain.incident.decider import INCIDENT, INCIDENT_KIND, IncidentDecider
from domain.incident.events import IncidentEvent
from domain.incident.grading import Grade, InvestigatingLevel, grade_of
from domain.incident.rules import ROLES, allowed_commands
from domain.incident.state import TERMINAL, IncidentState, Status

__all__ = [
    "INCIDENT",
    "INCIDENT_KIND",
    "ROLES",
    "TERMINAL",
    "Grade",
    "IncidentCommand",
    "IncidentDecider",
    "IncidentEvent",
    "IncidentState",
    "InvestigatingLevel",
    "Status",
    "allowed_commands",
    "grade_of",
]
