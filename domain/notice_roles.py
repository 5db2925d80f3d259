"""Which of an enterprise's responsible persons a notice about it goes to, by the notice's kind.

Seed 000 (规范"三个责任人"): each key enterprise names a 行政负责人 (`administrative`, the local government's
leader), a 行业部门监管负责人 (`supervisory`, the industry regulator's) and a 企业单位负责人 (`enterprise`:
chairman, general manager, main investor). Seed 001 task 24: the 三个责任人, and for major risks and hazards
the 三个层级负责人 (`management` 厂长经理管理层, `technical` 部门技术层, `operations` 车间班组操作层);
task 24 (2): the administrative and supervisory persons 督促整改 (push the rectification of) the
enterprises' hazards.

So a notice addressed to `enterprise_responsible` goes to the persons whose duty it concerns [choice, from
those seeds]:

- the enterprise's own work (a rectification to do, a reminder, a decision on its plan or extension, its
  case closed or cancelled, a written explanation asked): the 企业单位负责人;
- a missed deadline (overdue): the three 责任人 — the enterprise, and the two who must push it;
- a major hazard (found, listed for supervision): the three 责任人 and the three 层级负责人;
- an enforcement measure (penalty, stop-work order): the 企业单位负责人 and the 行业部门监管负责人;
- a credit listing and its removal: the three 责任人;
- any other kind: the three 责任人 (as before roles were told apart).

Nobody registered for those roles: the notice goes to the three 责任人 who are registered, rather than to
no one.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.contacts import ENTERPRISE_LEVELS, ENTERPRISE_RESPONSIBLE

ENTERPRISE_ONLY = ("enterprise",)
ALL_RESPONSIBLE = ENTERPRISE_RESPONSIBLE
MAJOR = ENTERPRISE_RESPONSIBLE + ENTERPRISE_LEVELS
ENFORCEMENT = ("enterprise", "supervisory")

ROLES_BY_KIND: Mapping[str, tuple[str, ...]] = {
    "action_required": ENTERPRISE_ONLY,
    "reminder": ENTERPRISE_ONLY,
    "plan_decided": ENTERPRISE_ONLY,
    "extension_decided": ENTERPRISE_ONLY,
    "closed": ENTERPRISE_ONLY,
    "cancelled": ENTERPRISE_ONLY,
    "explanation_required": ENTERPRISE_ONLY,
    "overdue": ALL_RESPONSIBLE,
    "major_hazard": MAJOR,
    "listed": MAJOR,
    "penalty": ENFORCEMENT,
    "stop_work": ENFORCEMENT,
    "credit_listed": ALL_RESPONSIBLE,
    "credit_removed": ALL_RESPONSIBLE,
}


def responsible_roles(notice_kind: str) -> tuple[str, ...]:
    """The registry roles of an enterprise a notice of `notice_kind` to `enterprise_responsible` reaches."""
    return ROLES_BY_KIND.get(notice_kind, ALL_RESPONSIBLE)
