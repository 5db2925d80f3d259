"""Officers' monthly duty and 包保 responsibility (issue #19, item 3).

Source: seed 001, task 24 (2): 行政负责人、行业部门监管负责人每月至少指导检查2家以上挂牌企业（单位），
督促整改2个以上突出问题隐患，协调解决2个以上安全管理难题。努力做到……每半年检查挂牌企业全覆盖.
The minimums, the coverage window and when the behind-notice goes out are the pack's `duties.officers` table.

What counts in a calendar month (Asia/Shanghai), always by the officer's own actor id (choices):
- *inspected*: distinct enterprises of the officer's 包保 list with an inspection the officer recorded
  (POST /v1/inspections) dated in the month.
- *pushed* (督促整改): distinct hazards of the officer's 包保 enterprises on which the officer, in the month,
  set or re-set the rectification: `graded` (a deadline ordered), `reinspected`, `penalty_imposed`,
  `stop_work_ordered`, `plan_decided`, `extension_decided`, or a `reviewed` that did not pass.
- *solved* (协调解决): distinct hazards of the officer's 包保 enterprises closed (销号) by the officer's
  passing `reviewed` in the month.
- *coverage* (每半年全覆盖): every enterprise of the list is inspected by the officer within the window
  after its assignment or its previous inspection by the officer; one past that is *uncovered*.
An officer is behind when any count is below its minimum or an enterprise is uncovered. From
`notice_before` ahead of the month's end the sweep notifies an officer who is behind (once a month), to
them and to the supervisors of their region.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.policy import PolicyPack
from domain.timecalc import CN_TZ, IsoDuration, add_duration, add_months

PACK_KEY = "duties.officers"
PUSH_EVENTS = (
    "graded",
    "reinspected",
    "penalty_imposed",
    "stop_work_ordered",
    "plan_decided",
    "extension_decided",
)
MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"  # 2000-01 … 2099-12: a month the service can hold


class DutyRules(BaseModel):
    model_config = ConfigDict(frozen=True)
    inspections: int = Field(ge=0)
    pushed: int = Field(ge=0)
    solved: int = Field(ge=0)
    coverage: str
    notice_before: str


def rules(pack: PolicyPack) -> DutyRules:
    return DutyRules.model_validate(pack.table(PACK_KEY))


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a month `YYYY-MM` in Asia/Shanghai."""
    start = datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=CN_TZ)
    return start, add_months(start, 1)


def month_of(at: datetime) -> str:
    return at.astimezone(CN_TZ).strftime("%Y-%m")


def notice_from(pack: PolicyPack, month: str) -> datetime:
    """The first instant the month's behind-notice may go out: `notice_before` ahead of its end."""
    d = IsoDuration(rules(pack).notice_before)
    d.sign = -d.sign
    return add_duration(month_bounds(month)[1], d)


def coverage_due(pack: PolicyPack, since: datetime) -> datetime:
    """When an enterprise assigned (or last inspected by the officer) at `since` must be inspected by."""
    return add_duration(since, IsoDuration(rules(pack).coverage))


class Progress(BaseModel):
    """An officer's month against the minimums."""

    model_config = ConfigDict(frozen=True)
    officer_id: str
    month: str
    inspected: int
    pushed: int
    solved: int
    uncovered: list[str]
    required: dict[str, int]
    shortfalls: list[str]
    behind: bool


def progress(
    pack: PolicyPack,
    officer_id: str,
    month: str,
    *,
    inspected: int,
    pushed: int,
    solved: int,
    uncovered: list[str],
) -> Progress:
    """Judge the counts: which minimums are missed (`inspected`, `pushed`, `solved`, `coverage`)."""
    r = rules(pack)
    required = {"inspected": r.inspections, "pushed": r.pushed, "solved": r.solved}
    counts = {"inspected": inspected, "pushed": pushed, "solved": solved}
    short = [k for k, need in required.items() if counts[k] < need]
    if uncovered:
        short.append("coverage")
    return Progress(
        officer_id=officer_id,
        month=month,
        **counts,
        uncovered=sorted(uncovered),
        required=required,
        shortfalls=short,
        behind=bool(short),
    )


def behind_notice(p: Progress) -> dict[str, Any]:
    """The notice's data (subject in Chinese, English after it)."""
    zh = {
        "inspected": "检查挂牌企业",
        "pushed": "督促整改隐患",
        "solved": "协调解决问题",
        "coverage": "半年全覆盖",
    }
    missing = "、".join(zh[s] for s in p.shortfalls)
    return {
        "subject": f"包保责任：{p.officer_id} {p.month} 月度履职未达标（{missing}）",
        "subject_en": f"包保 duty: {p.officer_id} is behind for {p.month} ({', '.join(p.shortfalls)})",
        **p.model_dump(),
    }
