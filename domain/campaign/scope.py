"""The pure rules of a campaign (专项行动, 隐患大排查大整治) that do not depend on its state machine.

Sources: seed 003 三、(一) 实行清单管理 — the three lists (隐患问题清单、整改清单、责任清单);
"排查的各类问题隐患原则上9月底前要彻底完成整改，到期无法完成的书面向区政府安委办说明情况，
因体制机制等原因确难整改的，及时提请区政府研究";
seed 003 closing paragraph — the periodic reports "由分管领导签发" (signed by the responsible leader).

Which hazards are under a campaign (a choice the seed leaves open): a hazard is under a campaign when it
was reported (its case created) on a day of the campaign, from `starts_on` to the `deadline` day inclusive
(Asia/Shanghai calendar days), in a region the campaign's scope covers, and, when the scope names
industries, in one of them. The tie is implicit: a hazard is never filed "for" a campaign, so reporting
stays one rule for every hazard, and a hazard found during two overlapping campaigns is under both.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain.actors import region_covers
from domain.timecalc import CN_TZ


def day_start(day: date) -> datetime:
    """00:00 Asia/Shanghai of `day`."""
    return datetime.combine(day, time(0), tzinfo=CN_TZ)


def ends_at(deadline: date) -> datetime:
    """The instant a campaign's deadline day is over: 00:00 Asia/Shanghai of the day after. Hazards still
    open then owe their written explanation (seed 003 三、(一))."""
    return day_start(deadline + timedelta(days=1))


def out_of_scope(
    *,
    regions: list[str],
    industries: list[str],
    starts_on: date,
    deadline: date,
    region: str,
    industry: str,
    reported_at: datetime,
) -> str | None:
    """Why a hazard (its region, industry, report time) is not under the campaign; None when it is."""
    if not any(region_covers(scope, region) for scope in regions):
        return f"region {region} is outside the campaign's regions {', '.join(regions)}"
    if industries and industry not in industries:
        return f"industry {industry or '(none)'} is not one of the campaign's {', '.join(industries)}"
    if reported_at < day_start(starts_on):
        return f"reported at {reported_at.isoformat()}, before the campaign started on {starts_on}"
    if reported_at >= ends_at(deadline):
        return f"reported at {reported_at.isoformat()}, after the campaign's deadline day {deadline}"
    return None
