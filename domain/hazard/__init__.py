"""The hazard (事故隐患) decider, docs/rules.md#hazards.

```
none ─report─▶ reported ─grade general─▶ rectifying ─submit_rectification─▶ verifying ─review ok─▶ closed
                  │            ▲  (grade on_the_spot: 立查立改 → verifying)        │ review fails
                  │            └───────────── new deadline ◀──────────────────────┘
                  └─grade major─▶ reported_major ─list_for_supervision─▶ listed ─submit_plan─▶ plan_submitted
  ─decide_plan ok─▶ treating ─submit_rectification─▶ assessing ─submit_assessment ok─▶ awaiting_review
  ─review ok─▶ closed (核销, 摘牌, stop-work lifted);  review fails ─▶ treating (new deadline)
  (packs recording the write-off's publication: review ok ─▶ written_off ─publish_writeoff─▶ closed)
  decide_plan rejected ─▶ listed;  assessment failed ─▶ treating
any open state ─cancel(reason)─▶ cancelled;  rectifying | verifying | reported_major ─regrade─▶ other path
```

Clocks (`deadlines`, stable keys): `grading` (reported), `listing` (reported_major: 24 h to list),
`rectification` (the rectification / treatment deadline) with `reminder:<offset>` before it, then
`explanation` once overdue; `plan`, `progress` (every interval), `listing_max` (listed hazards);
`extension_decision`; `review` (the regulator's clock); `penalty_accrual` (daily, 按日连续处罚);
`listing_publication`, `writeoff_publication` (domain/hazard/publication.py).
A lapsed clock records `went_overdue` (rectification) or `deadline_missed` (the others; escalated to the
supervisor one level up, except progress which marks the hazard overdue and re-arms).

Design choices (where the rules are silent):
- A reported hazard owes a grading clock, `hazard.grading_due` [choice: 3 days].
- A general hazard's submitted rectification owes a review within `hazard.major.review_due` too.
- The extension lead time (`listing.extension_lead`, working days) applies to listed hazards; a general
  hazard's extension is asked before its deadline. The original deadline stays on record
  (`original_deadline`, `extensions`).
- 按日连续处罚 counts whole days since the first rectification order; a non-compliant re-inspection with
  fines on record starts it (the days already passed count at once), a daily clock adds a day, a
  compliant re-inspection or the closing review stops it. accrued = sum of the fines × days.
- The Art. 113 closure threshold is counted over this hazard's penalties (the enterprise-wide count needs
  the read model; the proposal goes to the county government, the supervisor of the region).
- An inspector may record 立查立改 (`grade` with `on_the_spot`, or `submit_rectification` on a general
  hazard); separation of duties then means another officer reviews it.
- The system creates hazards only for a tip or an incident (`origin`), and may grade them at once
  (`level` + `deadline`: an incident's corrective measure).
"""

from domain.hazard.commands import HazardCommand, Level
from domain.hazard.decider import HAZARD, HAZARD_KIND, HazardDecider
from domain.hazard.events import HazardEvent
from domain.hazard.rules import ROLES, allowed_commands
from domain.hazard.state import TERMINAL, HazardState, Status

__all__ = [
    "HAZARD",
    "HAZARD_KIND",
    "ROLES",
    "TERMINAL",
    "HazardCommand",
    "HazardDecider",
    "HazardEvent",
    "HazardState",
    "Level",
    "Status",
    "allowed_commands",
]
