"""The three lists of a campaign (seed 003 三、(一) 实行清单管理: 隐患问题清单、整改清单、责任清单),
built from the hazards under it (their current views) and the enterprises' registered responsible
persons.

- 隐患问题清单 (`hazards`): what was found — where, which enterprise, level, category, when reported.
- 整改清单 (`rectification`): its rectification — status, measures (the 五落实 plan's, else the submitted
  rectification's summary), the deadline and the original deadline, overdue, closed.
- 责任清单 (`responsibility`): who answers for it — the enterprise's 三个责任人 and 三个层级负责人 by name
  (seed 000; seed 001 task 24), the plan's named responsible person, the reporting officer.

`content_sha256` hashes the lists as canonical JSON: what a signed periodic report attests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from domain.contacts import ENTERPRISE_ROLES

LISTS = ("hazards", "rectification", "responsibility")
COLUMNS: Mapping[str, Sequence[tuple[str, str]]] = {
    "hazards": (
        ("id", "隐患编号"),
        ("title", "隐患名称"),
        ("enterprise_id", "企业"),
        ("region", "行政区划"),
        ("industry", "行业"),
        ("level", "隐患等级"),
        ("category", "类别"),
        ("location", "位置"),
        ("reported_at", "上报时间"),
    ),
    "rectification": (
        ("id", "隐患编号"),
        ("status", "整改状态"),
        ("measures", "整改措施"),
        ("deadline", "整改期限"),
        ("original_deadline", "原定期限"),
        ("overdue", "是否逾期"),
        ("closed", "是否销号"),
    ),
    "responsibility": (
        ("id", "隐患编号"),
        ("enterprise_id", "责任单位"),
        ("administrative", "行政负责人"),
        ("supervisory", "行业部门监管负责人"),
        ("enterprise", "企业单位负责人"),
        ("management", "管理层级负责人"),
        ("technical", "技术层级负责人"),
        ("operations", "操作层级负责人"),
        ("plan_responsible", "整改责任人"),
        ("reported_by", "上报人"),
    ),
}
TITLES = {"hazards": "隐患问题清单", "rectification": "整改清单", "responsibility": "责任清单"}


def _measures(h: Mapping[str, Any]) -> str:
    plan = h.get("plan") or {}
    if plan.get("measures"):
        return "；".join(str(m) for m in plan["measures"])
    done = h.get("rectifications") or []
    return str(done[-1].get("data", {}).get("summary", "")) if done else ""


def three_lists(
    hazards: Sequence[Mapping[str, Any]], people: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """The lists of `hazards` (hazard views with `reported_at`), `people` being each enterprise's
    registered persons (role, name)."""
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in LISTS}
    for h in hazards:
        row = {key: h.get(key) for key, _ in COLUMNS["hazards"]}
        out["hazards"].append(row)
        out["rectification"].append(
            {
                "id": h.get("id"),
                "status": h.get("status"),
                "measures": _measures(h),
                "deadline": h.get("deadline"),
                "original_deadline": h.get("original_deadline"),
                "overdue": bool(h.get("overdue")),
                "closed": bool(h.get("terminal")),
            }
        )
        by_role: dict[str, list[str]] = {}
        for p in people.get(str(h.get("enterprise_id") or ""), ()):
            by_role.setdefault(str(p["role"]), []).append(str(p["name"]))
        plan = h.get("plan") or {}
        out["responsibility"].append(
            {
                "id": h.get("id"),
                "enterprise_id": h.get("enterprise_id"),
                **{role: "、".join(by_role.get(role, [])) for role in ENTERPRISE_ROLES},
                "plan_responsible": (plan.get("responsible") or {}).get("name", ""),
                "reported_by": h.get("reported_by"),
            }
        )
    return out


def content_sha256(lists: Mapping[str, Any]) -> str:
    """SHA-256 of the lists as canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(lists, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def table(name: str, rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """One list as a table: Chinese headers, then a row per hazard."""
    cols = COLUMNS[name]
    return [[label for _, label in cols]] + [[r.get(key) for key, _ in cols] for r in rows]
