"""The monthly enforcement bulletin (执法通报), seed 001 task 49: "镇应急办每月通报相关科室日常监管执法情况 …
每月通报检查执法情况，对检查执法'下不了狠手'的单位实施重点警示和督办".

Each month (Asia/Shanghai calendar), per region, the enforcement measures decided that month, counted
from the recorded events:

- penalties (处罚决定, count and yuan): hazard `penalty_imposed` [安全生产法 Art. 102 and the like;
  seed 000 三部曲];
- daily penalties (按日连续处罚, days and yuan): hazard `penalty_accrued` [Art. 112; seed 001 task 48];
- stop-work orders (责令停产停业, of them full 停产停业整顿): hazard `stop_work_ordered` [Art. 65, 102];
- closures proposed (提请关闭): the enterprise record's (before the record existed, a hazard's)
  `closure_proposed` [Art. 113].

A region with none of them is not listed: the bulletin names who enforced, and a reader sees who did not by
their absence (the "下不了狠手" warning is the reader's decision, not the rule's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.timecalc import CN_TZ

KIND = "enforcement_monthly"
MEASURES: Mapping[tuple[str, str], str] = {
    ("hazard", "penalty_imposed"): "penalties",
    ("hazard", "penalty_accrued"): "daily_penalties",
    ("hazard", "stop_work_ordered"): "stop_work_orders",
    ("hazard", "closure_proposed"): "closures_proposed",
    ("enterprise", "closure_proposed"): "closures_proposed",
}
COUNTS = ("penalties", "daily_penalties", "stop_work_orders", "full_stop_work_orders", "closures_proposed")
AMOUNTS = ("penalty_total", "daily_penalty_total")
AMOUNT_OF = {"penalties": "penalty_total", "daily_penalties": "daily_penalty_total"}
LABELS = {
    "region": "行政区划",
    "penalties": "行政处罚(件)",
    "penalty_total": "罚款(元)",
    "daily_penalties": "按日连续处罚(日)",
    "daily_penalty_total": "按日连续处罚金额(元)",
    "stop_work_orders": "责令停产停业(次)",
    "full_stop_work_orders": "其中停产停业整顿(次)",
    "closures_proposed": "提请关闭(家)",
}


def month_period(now: datetime) -> tuple[datetime, datetime]:
    """The calendar month (Asia/Shanghai) before the one `now` falls in: [first day 00:00, next first)."""
    local = now.astimezone(CN_TZ)
    end = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = end.replace(year=end.year - 1, month=12) if end.month == 1 else end.replace(month=end.month - 1)
    return start, end


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The calendar month `YYYY-MM` (Asia/Shanghai): [its first day 00:00, the next month's)."""
    first = datetime.strptime(month, "%Y-%m").replace(tzinfo=CN_TZ)
    return month_period(
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )


def month_of(start: datetime) -> str:
    return start.astimezone(CN_TZ).strftime("%Y-%m")


def _zero() -> dict[str, Any]:
    return {**{c: 0 for c in COUNTS}, **{a: Decimal(0) for a in AMOUNTS}}


def _finish(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, **{a: str(row[a]) for a in AMOUNTS}}


def tally(events: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per region, from events given as {region, kind, type, data}: the month's measures, regions sorted."""
    by_region: dict[str, dict[str, Any]] = {}
    for e in events:
        measure = MEASURES.get((str(e["kind"]), str(e["type"])))
        if measure is None:
            continue
        row = by_region.setdefault(str(e["region"]), _zero())
        row[measure] += 1
        data = e.get("data") or {}
        if measure in AMOUNT_OF:
            row[AMOUNT_OF[measure]] += Decimal(str(data.get("amount", "0")))
        if measure == "stop_work_orders" and data.get("scope") == "full":
            row["full_stop_work_orders"] += 1
    return [{"region": r, **_finish(v)} for r, v in sorted(by_region.items())]


def totals(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    out = _zero()
    for r in rows:
        for c in COUNTS:
            out[c] += r[c]
        for a in AMOUNTS:
            out[a] += Decimal(str(r[a]))
    return _finish(out)


def bulletin(start: datetime, end: datetime, events: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    rows = tally(events)
    return {
        "kind": KIND,
        "month": month_of(start),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "by_region": rows,
        "totals": totals(rows),
    }


def scoped(data: Mapping[str, Any], covers: Any) -> dict[str, Any]:
    """The bulletin as a reader sees it: the rows of the regions `covers(region)` accepts, their totals."""
    rows = [r for r in data["by_region"] if covers(r["region"])]
    return {**data, "by_region": rows, "totals": totals(rows)}


def csv_rows(data: Mapping[str, Any]) -> list[list[Any]]:
    cols = ["region", "penalties", "penalty_total", "daily_penalties", "daily_penalty_total", *COUNTS[2:]]
    out: list[list[Any]] = [["执法通报", data["month"], data["period_start"], data["period_end"]], []]
    out.append([LABELS[c] for c in cols])
    out.extend([r[c] for c in cols] for r in data["by_region"])
    out.append(["合计", *(data["totals"][c] for c in cols[1:])])
    return out
