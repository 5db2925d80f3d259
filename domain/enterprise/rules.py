"""The enterprise record's rules: who may send what, and what the facts amount to.

- 安全生产法 Art. 113, the proposal to close the enterprise (提请关闭), per enterprise over all its cases:
  (一) it has an open 重大事故隐患 and was penalised under this law `penalties` times within `window`
       (3 in 180 days) or `penalties_year_major` times within `window_year` (4 in one year) —
       `enforcement.closure_threshold`, windows inclusive (a penalty exactly 180 days back counts);
  (二) a full stop-work order (停产停业整顿) is in force and a re-inspection still finds it lacking;
  (三) an incident of the enterprise is graded 重大 or 特别重大 (the accident it caused);
  (四) it refused to execute a stop-work / 停产停业整顿 decision (`record_refusal`).
- 应急管理部令第11号 (2023): each ground yields a listing cause of `credit.listing_causes`; the authority
  decides the listing (谁处罚、谁决定), publishes it within `credit.publish_due`, the listing lasts
  `credit.duration` (3 years) and may be removed early (信用修复) on request after `credit.repair_after`
  (12 months); a listing and its removal are told to the departments of `credit.joint_punishment`.
- 应急管理部令第11号 also lists 瞒报 and 谎报 of a 生产安全事故 among the causes: an incident of the
  enterprise that tells the record it was concealed (`concealed`) or falsely reported (`false_report`)
  yields the cause of that name, once per incident, when the pinned pack's `credit.listing_causes` has
  it (cases pinned to a pack without it decide as before).
"""

from __future__ import annotations

from datetime import datetime

from domain.actors import Role
from domain.enterprise.state import EnterpriseState, PenaltyFact, Status
from domain.policy import PolicyPack
from domain.timecalc import IsoDuration

E, INS, S, OP, SYS = Role.enterprise, Role.inspector, Role.supervisor, Role.operator, Role.system

ROLES: dict[str, frozenset[Role]] = {
    "open_record": frozenset({SYS}),
    "record_refusal": frozenset({INS, S}),
    "decide_listing": frozenset({S}),
    "record_publication": frozenset({S, OP}),
    "request_removal": frozenset({E, OP}),
    "decide_removal": frozenset({S}),
}

MAJOR_GRADES = frozenset({"major", "especially_major"})

# Art. 113 item → the listing cause it yields (keys of `credit.listing_causes`)
CAUSE_OF_GROUND = {
    "一": "closure_proposed",
    "二": "closure_proposed",
    "三": "major_accident",
    "四": "stop_work_refused",
}

# an incident's reporting failure (a fact of CaseFacts) → the listing cause of the same key
REPORTING_CAUSES = ("concealed", "false_report")


def allowed_commands(s: EnterpriseState) -> list[str]:
    if s.status == Status.none:
        return ["open_record"]
    out = []
    if any(r.lifted_at is None and r.refused_at is None for r in s.stop_work):
        out.append("record_refusal")
    if s.credit_causes and not s.listed:
        out.append("decide_listing")
    lst = s.listing
    if lst is not None and (
        (lst.removed_at is None and lst.published_at is None)
        or (lst.removed_at is not None and lst.removal_published_at is None)
    ):
        out.append("record_publication")
    if s.listed and lst is not None and lst.removal_requested_at is None:
        out.append("request_removal")
    if s.listed and lst is not None and lst.removal_requested_at is not None:
        out.append("decide_removal")
    return out


def _back(policy: PolicyPack, window: str, now: datetime) -> datetime:
    d = IsoDuration(window)
    d.sign = -d.sign
    return policy.add_iso(d, now)


def penalties_within(penalties: list[PenaltyFact], since: datetime, now: datetime) -> int:
    return sum(1 for p in penalties if since <= p.at <= now)


def penalty_windows(penalties: list[PenaltyFact], policy: PolicyPack, now: datetime) -> dict[str, int]:
    """The enterprise's penalties within each window of `enforcement.closure_threshold`, ending now."""
    t = policy.table("enforcement.closure_threshold")
    return {
        str(w): penalties_within(penalties, _back(policy, str(w), now), now)
        for w in (t["window"], t["window_year"])
    }


def closure_grounds(s: EnterpriseState, policy: PolicyPack, now: datetime) -> list[tuple[str, str]]:
    """The items of Art. 113 the record's facts meet now: [(item, reason)]."""
    out: list[tuple[str, str]] = []
    if any(c.major_open for c in s.cases.values()):
        t = policy.table("enforcement.closure_threshold")
        counts = penalty_windows(s.penalties, policy, now)
        short, year = counts[str(t["window"])], counts[str(t["window_year"])]
        if short >= int(t["penalties"]):
            out.append(("一", f"a 重大事故隐患 and {short} penalties within {t['window']}"))
        elif year >= int(t["penalties_year_major"]):
            out.append(("一", f"a 重大事故隐患 and {year} penalties within {t['window_year']}"))
    lacking = sorted(cid for cid, c in s.cases.items() if c.lacking_after_suspension)
    if lacking:
        out.append(("二", f"still lacking the safety conditions after 停产停业整顿 ({', '.join(lacking)})"))
    accidents = sorted(cid for cid, c in s.cases.items() if c.kind == "incident" and c.grade in MAJOR_GRADES)
    if accidents:
        out.append(("三", f"a 重大 or 特别重大 accident ({', '.join(accidents)})"))
    refused = sorted({r.case_id for r in s.stop_work if r.refused_at is not None})
    if refused:
        out.append(("四", f"refused to execute a stop-work decision ({', '.join(refused)})"))
    return out


def reporting_failures(s: EnterpriseState, policy: PolicyPack) -> list[tuple[str, str]]:
    """[(cause, incident id)] of the 瞒报/谎报 the record's incidents told, for the causes the pack lists."""
    listed = policy.table("credit.listing_causes")
    return [
        (cause, cid)
        for cid, c in sorted(s.cases.items())
        if c.kind == "incident"
        for cause in REPORTING_CAUSES
        if cause in listed and getattr(c, cause)
    ]
