"""隐患日排查日报告: an enterprise's daily self-inspection report, due by 15:00 (docs/rules.md#daily-report).

Sources: seed 002 (三、（三）"严格落实…安全隐患日排查日报告制度…每天下午3点前…将每日安全排查和整改情况上报");
seed 000 (四、"日周月"隐患排查制度: the 机构层面 daily inspection). The pack's `duties.daily_report` table
holds the due time, the regions in scope and the exempt enterprises; its working-day calendar says which
days a report is owed.

Design choices the seeds leave open (project choices, named in the pack's source):
- A report is owed by every enterprise of the registry whose registered region lies in one of the pack's
  `regions` (000000: all), except the `exempt` ones, on each working day of the pack's calendar (a 调休
  make-up working day is owed, a holiday or weekend is not).
- Filed strictly before the due time (14:59:59 is on time, 15:00:00 is not) counts as filed. A report not
  filed by the due time is *missed*: recorded once, at the due time, by the system, with a notice to the
  enterprise's 三个责任人 and to the region's inspector.
- One report per enterprise and day: a second one is refused (409, rule `duplicate`); a report filed after
  the due time is still recorded (late), beside the missed mark, which stays. A report on a day none is
  owed is accepted and recorded as not owed.
- Each hazard a report names becomes a hazard case (source `self_inspection`) through the ordinary create
  path; the report records their case ids.

Pure: no I/O; every function takes the instant or the day it judges.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.access import check_covers, check_role
from domain.actors import Actor, Role, region_covers
from domain.errors import Forbidden, InvalidCommand
from domain.policy import PolicyPack
from domain.timecalc import CN_TZ, WorkCalendar

PACK_KEY = "duties.daily_report"
KIND = "daily_report"  # the events' kind: one stream per enterprise and day
FILED = "daily_report_filed"
MISSED = "daily_report_missed"
MAX_HAZARDS = 50


class DailyReportRule(BaseModel):
    """The pack's `duties.daily_report` value."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    due: time = Field(default=time(15, 0), description="local time (Asia/Shanghai) a report is due by")
    regions: list[str] = Field(default_factory=lambda: ["000000"], description="jurisdictions in scope")
    exempt: list[str] = Field(default_factory=list, description="enterprise ids that owe no report")


def rule_of(pack: PolicyPack) -> DailyReportRule | None:
    """The pack's daily-report rule; None when the pack sets no such duty (packs before it)."""
    if PACK_KEY not in pack.values:
        return None
    return DailyReportRule.model_validate(pack.table(PACK_KEY))


def report_day(at: datetime) -> date:
    """The China calendar day an instant falls on."""
    return at.astimezone(CN_TZ).date()


def deadline(rule: DailyReportRule, day: date) -> datetime:
    """The instant the day's report is due by: the due time of that China day."""
    return datetime.combine(day, rule.due, tzinfo=CN_TZ)


def in_scope(rule: DailyReportRule, enterprise_id: str, region: str) -> bool:
    return enterprise_id not in rule.exempt and any(region_covers(s, region) for s in rule.regions)


def owed(rule: DailyReportRule, calendar: WorkCalendar, enterprise_id: str, region: str, day: date) -> bool:
    """Whether the enterprise (registered in `region`) owes a report on `day`."""
    return calendar.is_working_day(day) and in_scope(rule, enterprise_id, region)


def on_time(rule: DailyReportRule, day: date, filed_at: datetime) -> bool:
    """Filed strictly before the day's due time (14:59:59.999 yes, 15:00:00 no)."""
    return filed_at < deadline(rule, day)


def stream_id(enterprise_id: str, day: date) -> str:
    """The event stream of one enterprise's report of one day (at most 100 characters: a long enterprise
    id is shortened to a digest of it)."""
    sid = f"DR-{day:%Y%m%d}-{enterprise_id}"
    if len(sid) <= 100:
        return sid
    return f"DR-{day:%Y%m%d}-h{hashlib.sha256(enterprise_id.encode()).hexdigest()[:40]}"


class HazardFound(BaseModel):
    """One hazard the day's inspection found: becomes a hazard case of the enterprise."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    category: Literal["unsafe_condition", "unsafe_behavior", "management_defect"]
    description: str = Field(default="", max_length=4000)
    location: str = Field(default="", max_length=500)


class FileDailyReport(BaseModel):
    """The body of a daily report: the hazards found, or `nothing_found` (exactly one of the two)."""

    model_config = ConfigDict(extra="forbid")
    day: date | None = Field(default=None, description="the China day reported on; default today")
    nothing_found: bool = False
    hazards: list[HazardFound] = Field(default_factory=list, max_length=MAX_HAZARDS)
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _one_of(self) -> FileDailyReport:
        if self.nothing_found == bool(self.hazards):
            raise ValueError("give either the hazards found or nothing_found: true (exactly one of them)")
        return self


def filed_event(
    rule: DailyReportRule,
    calendar: WorkCalendar,
    *,
    enterprise_id: str,
    region: str,
    day: date,
    filed_at: datetime,
    nothing_found: bool,
    hazard_ids: list[str],
    note: str,
) -> dict[str, Any]:
    """The data of a `daily_report_filed` event."""
    is_owed = owed(rule, calendar, enterprise_id, region, day)
    return {
        "enterprise_id": enterprise_id,
        "region": region,
        "day": day.isoformat(),
        "owed": is_owed,
        "late": is_owed and not on_time(rule, day, filed_at),
        "due_at": deadline(rule, day).isoformat(),
        "nothing_found": nothing_found,
        "hazard_ids": hazard_ids,
        "note": note,
    }


def missed_event(rule: DailyReportRule, *, enterprise_id: str, region: str, day: date) -> dict[str, Any]:
    """The data of a `daily_report_missed` event (recorded at the due time, by the system)."""
    return {
        "enterprise_id": enterprise_id,
        "region": region,
        "day": day.isoformat(),
        "due_at": deadline(rule, day).isoformat(),
    }


def missed_notices(
    rule: DailyReportRule, *, enterprise_id: str, region: str, day: date
) -> list[dict[str, Any]]:
    """Who is told of a missed report: the enterprise's 三个责任人 and the region's inspector (in order)."""
    due = rule.due.strftime("%H:%M")
    subject = f"{enterprise_id} 未在 {day.isoformat()} {due} 前报送隐患排查日报告"
    subject_en = f"{enterprise_id} did not file its daily self-inspection report of {day} by {due}"
    data = {
        "title": "隐患排查日报告未按时报送",
        "subject_en": subject_en,
        "enterprise_id": enterprise_id,
        "region": region,
        "day": day.isoformat(),
    }
    return [
        {
            "recipient_role": "enterprise_responsible",
            "recipient_party": enterprise_id,
            "subject": subject,
            "data": data,
        },
        {"recipient_role": "inspector", "recipient_party": region, "subject": subject, "data": data},
    ]


# ---- who may --------------------------------------------------------------------------------------------

REGION_READERS = frozenset({Role.inspector, Role.supervisor, Role.operator, Role.auditor})


def check_file(actor: Actor, enterprise_id: str) -> None:
    """Only the enterprise itself files its report."""
    check_role(actor, [Role.enterprise], "filing a daily report")
    if actor.enterprise_id != enterprise_id:
        raise Forbidden("an enterprise files only its own daily report", rule="enterprise_scope")


def check_region_reader(actor: Actor, region: str) -> None:
    """A region's reports and missed marks: its officers and auditors (inspector, supervisor, operator,
    auditor) whose jurisdiction covers it."""
    check_role(actor, REGION_READERS, "a region's daily reports")
    check_covers(actor, region)


def check_day(day: date, now: datetime) -> None:
    """A report is of today or a past day, never of a day to come."""
    if day > report_day(now):
        raise InvalidCommand(f"{day} is after today ({report_day(now)})", field="day", rule="not_future")
