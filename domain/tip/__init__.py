"""The whistleblower tip (安全生产举报) decider, docs/rules.md#tips.

```
none ──receive──▶ received ──triage in scope──▶ verifying ──record_verification──▶ substantiated
                   │ out of scope ──▶ not_substantiated ◀── not substantiated ──┘        │ child case
                   │ route_to ──────▶ routed                                            ▼ terminal
(routed | not_substantiated) ──send_feedback──▶ closed      reward_assessing, or closed (no reward)
reward_assessing ──assess_reward, approve_reward──▶ reward_approved
reward_approved ──record_payment | claim window lapses | waive_reward──▶ closed
```

Confidentiality (保密): the reporter's name and contact never reach this module. The shell seals
them in its own encrypted table; the tip knows only whether a name was given
(`reporter_identified`, `anonymous`) and the sha256 of the claim token (`claim_token_hash`), which
the shell computes and compares. No command accepts a name or contact (every command forbids
unknown fields), no notice goes to the target enterprise, and the index leaves `enterprise_id`
out so that the target enterprise cannot read tips about itself through the enterprise read scope.

Public intake: the shell decides `receive` with the anonymous actor `Actor(id="public-intake",
role=operator, region=<the tip's region>)` and `received_via="public"`. That actor may do nothing
else; `received_via="public"` is accepted only from it.

Design choices (documented here because the rules say nothing):
- `routed` is an extra status: a tip routed to another department (`triage.route_to`) is closed for
  us once the reporter is told where it went (feedback owed). It is neither substantiated nor not.
- Out of scope without a route → `not_substantiated` (outcome `out_of_scope`), feedback owed.
- A tip closes only after the reporter was given feedback; `approve_reward` therefore needs the
  feedback sent first (the approval is itself announced to the reporter).
- `received` owes a triage clock: `tip.triage_due` when the pack has it, else `tip.feedback_due`.
  `reward_assessing` owes an assessment clock: `tip.reward.assessment_due`, else `tip.feedback_due`.
- A lapsed clock records `deadline_missed` (the case is `overdue`, officers of the region are told,
  and the supervisor one level up gets an escalation); the obligation stays open until fulfilled.
- Every non-terminal state owes a clock, or is overdue on one, or waits for its child case:
  `substantiated` with an action waits for the hazard/incident child (after the feedback is sent, it
  owes no clock until the child reports a terminal summary).
- Rewards (安监总财〔2018〕19号): violation/hazard: `tip.reward.rate` of the fine, rounded half-up to
  the fen, clamped to [`tip.reward.min`, `tip.reward.max`]; concealed accident: per concealed death
  by grade, at most `tip.reward.concealed_max`. Assessed and approved amounts stay within
  [`tip.reward.min`, the basis' maximum]. A duplicate (`triage.duplicate_of`) is never rewarded.
"""

from domain.tip.commands import PUBLIC_INTAKE_ACTOR_ID, TipCommand
from domain.tip.decide import ROLES, allowed_commands
from domain.tip.decider import TIP, TIP_KIND, TipDecider
from domain.tip.events import TipEvent
from domain.tip.rewards import concealed_reward, fine_reward, reward_bounds
from domain.tip.state import RewardBasis, RewardStatus, TipState, TipStatus

__all__ = [
    "PUBLIC_INTAKE_ACTOR_ID",
    "ROLES",
    "TIP",
    "TIP_KIND",
    "RewardBasis",
    "RewardStatus",
    "TipCommand",
    "TipDecider",
    "TipEvent",
    "TipState",
    "TipStatus",
    "allowed_commands",
    "concealed_reward",
    "fine_reward",
    "reward_bounds",
]
