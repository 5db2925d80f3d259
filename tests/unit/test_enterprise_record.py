"""The enterprise record, rule by rule: 安全生产法 Art. 113 per enterprise (items 一 to 四) at the
boundaries of its windows, and the 严重失信主体名单 of 应急管理部令第11号 (listing, publication, duration,
early removal, 联合惩戒 notices)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.actors import SYSTEM, Actor, Role
from domain.decider import Context
from domain.enterprise import ENTERPRISE, EnterpriseState, case_facts, record_id
from domain.enterprise.state import CaseFacts, PenaltyFact
from domain.errors import Conflict, Forbidden, InvalidCommand, NotAllowedInState
from domain.hazard import HAZARD
from domain.policy import parse_pack
from domain.timecalc import CN_TZ

ROOT = Path(__file__).resolve().parents[2]
PACK = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CN_TZ)
REGION, ENT = "500107", "E-1"
INSPECTOR = Actor(id="insp-1", role=Role.inspector, region=REGION)
FAR_INSPECTOR = Actor(id="insp-9", role=Role.inspector, region="500108")
SUPERVISOR = Actor(id="sup-1", role=Role.supervisor, region="500100")
ENTERPRISE_USER = Actor(id="ent-1", role=Role.enterprise, region=REGION, enterprise_id=ENT)
DAY = timedelta(days=1)
HAZARD_REPORT = {
    "type": "report",
    "title": "t",
    "enterprise_id": ENT,
    "region": REGION,
    "source": "inspection",
    "category": "unsafe_condition",
}


class Record:
    """Decides and folds like the workflow does, with a clock the test moves."""

    def __init__(self) -> None:
        self.state: EnterpriseState = ENTERPRISE.initial_state()
        self.now = T0
        self.events: list[Any] = []
        self.notices: list[Any] = []
        self.cases: dict[str, CaseFacts] = {}
        self.do(SYSTEM, {"type": "open_record", "enterprise_id": ENT, "region": REGION})

    def do(self, actor: Actor, command: dict[str, Any], after: timedelta = timedelta(0)) -> list[str]:
        self.now += after
        ctx = Context(actor=actor, now=self.now, policy=PACK, case_id=record_id(ENT))
        events = ENTERPRISE.decide(self.state, ENTERPRISE.parse_command(command), ctx)
        for e in events:
            before, self.state = self.state, ENTERPRISE.evolve(self.state, e)
            self.notices += ENTERPRISE.notices(before, e, self.state)
            assert ENTERPRISE.parse_event(e.model_dump_json()) == e
        assert ENTERPRISE.parse_state(self.state.model_dump(mode="json")) == self.state
        self.events += events
        return [e.type for e in events]

    def tell(self, case_id: str, facts: CaseFacts, kind: str = "hazard") -> list[str]:
        self.cases[case_id] = facts
        return self.do(
            SYSTEM,
            {
                "type": "child_case_updated",
                "child_id": case_id,
                "child_kind": kind,
                "ref": "facts",
                "summary": facts.model_dump(mode="json"),
            },
        )

    def hazard(self, case_id: str, *, major: bool, open_: bool = True, **extra: Any) -> list[str]:
        old = self.cases.get(case_id)
        facts = CaseFacts(
            kind="hazard",
            status="listed" if open_ else "closed",
            terminal=not open_,
            level="major" if major else "general",
            major_open=major and open_,
            penalties=old.penalties if old else [],
            **extra,
        )
        return self.tell(case_id, facts)

    def penalty(self, case_id: str, at: datetime) -> list[str]:
        """A penalty decision on `case_id` imposed at `at` (the record hears of it at `at`)."""
        self.now = at
        old = self.cases[case_id]
        no = f"D-{len(old.penalties) + 1}-{case_id}"
        p = PenaltyFact(case_id=case_id, decision_no=no, amount=1000, at=at)  # type: ignore[arg-type]
        return self.tell(case_id, old.model_copy(update={"penalties": [*old.penalties, p]}))

    def fire_until(self, until: datetime) -> list[str]:
        fired: list[str] = []
        while due := [d for d in ENTERPRISE.deadlines(self.state) if d.due_at <= until]:
            d = due[0]
            self.now = max(self.now, d.due_at)
            fired += self.do(
                SYSTEM, {"type": "deadline_elapsed", "key": d.key, "due_at": d.due_at.isoformat()}
            )
        self.now = max(self.now, until)
        return fired

    @property
    def grounds(self) -> list[str]:
        return [p.ground for p in self.state.closure]


# ---- Art. 113 (一): per enterprise, with a major hazard, 3 in 180 days or 4 in one year ----------------


def test_the_third_penalty_within_180_days_with_a_major_hazard_proposes_closure() -> None:
    r = Record()
    r.hazard("HZ-1", major=True)
    assert r.penalty("HZ-1", T0) == ["case_facts_recorded"]
    assert r.penalty("HZ-1", T0 + 60 * DAY) == ["case_facts_recorded"]
    assert r.penalty("HZ-1", T0 + 120 * DAY) == [
        "case_facts_recorded",
        "closure_proposed",
        "credit_cause_found",
    ]
    assert r.grounds == ["一"] and [c.cause for c in r.state.credit_causes] == ["closure_proposed"]
    assert "closure_proposal" in [n.kind for n in r.notices]
    assert r.state.penalty_windows == {"P180D": 3, "P1Y": 3} and r.state.windows_as_of == r.now
    r.hazard("HZ-1", major=True)  # a later fact, 120 days on: the first penalty has left the 180 days
    r.now += 61 * DAY
    r.hazard("HZ-1", major=True, open_=False)
    assert r.state.penalty_windows == {"P180D": 2, "P1Y": 3}


def test_penalties_on_two_major_hazards_count_together() -> None:
    """2 + 1 penalties on two major hazards of one enterprise are three penalties of the enterprise."""
    r = Record()
    r.hazard("HZ-1", major=True)
    r.hazard("HZ-2", major=True)
    r.penalty("HZ-1", T0)
    r.penalty("HZ-1", T0 + DAY)
    assert "closure_proposed" in r.penalty("HZ-2", T0 + 2 * DAY)


def test_penalties_on_general_hazards_count_once_a_major_hazard_is_open() -> None:
    r = Record()
    for i in (1, 2, 3):
        r.hazard(f"HZ-{i}", major=False)
        r.penalty(f"HZ-{i}", T0 + i * DAY)
    assert r.grounds == []  # without a 重大事故隐患: no proposal, whatever the count
    assert "closure_proposed" in r.hazard("HZ-9", major=True)


@pytest.mark.parametrize(
    ("first_back", "proposed"), [(180 * DAY, True), (180 * DAY + timedelta(seconds=1), False)]
)
def test_the_180_day_window_includes_its_first_day(first_back: timedelta, proposed: bool) -> None:
    r = Record()
    r.hazard("HZ-1", major=True)
    third = T0 + 200 * DAY
    r.penalty("HZ-1", third - first_back)
    r.penalty("HZ-1", third - 90 * DAY)
    r.penalty("HZ-1", third)
    assert (r.grounds == ["一"]) is proposed


def test_the_fourth_penalty_within_one_year_proposes_closure() -> None:
    r = Record()
    r.hazard("HZ-1", major=True)
    for d in (0, 100, 200):  # three within a year, never three within 180 days
        r.penalty("HZ-1", T0 + d * DAY)
    assert r.grounds == []
    assert "closure_proposed" in r.penalty("HZ-1", T0 + 300 * DAY)
    assert r.grounds == ["一"] and "4 penalties within P1Y" in r.state.closure[0].reason


def test_a_fourth_penalty_just_beyond_a_year_proposes_nothing() -> None:
    r = Record()
    r.hazard("HZ-1", major=True)
    for d in (0, 100, 200):
        r.penalty("HZ-1", T0 + d * DAY)
    r.penalty("HZ-1", T0 + 366 * DAY)
    assert r.grounds == []


def test_a_written_off_major_hazard_no_longer_counts() -> None:
    r = Record()
    r.hazard("HZ-1", major=True)
    r.penalty("HZ-1", T0)
    r.penalty("HZ-1", T0 + DAY)
    r.hazard("HZ-1", major=True, open_=False)
    r.now = T0 + 2 * DAY
    r.hazard("HZ-2", major=False)
    r.penalty("HZ-2", T0 + 2 * DAY)
    assert r.grounds == []


def test_a_ground_is_proposed_once() -> None:
    r = Record()
    r.hazard("HZ-1", major=True)
    for d in range(5):
        r.penalty("HZ-1", T0 + d * DAY)
    assert r.grounds == ["一"] and len(r.state.credit_causes) == 1


# ---- Art. 113 (二), (三), (四) --------------------


def test_still_lacking_after_suspension_is_ground_two() -> None:
    r = Record()
    r.hazard("HZ-1", major=False, stop_work="full", stop_work_since=T0)
    assert r.grounds == [] and r.state.stop_work[0].scope == "full"
    assert "closure_proposed" in r.hazard(
        "HZ-1", major=False, stop_work="full", lacking_after_suspension=True
    )
    assert r.grounds == ["二"]


def test_a_major_accident_of_the_enterprise_is_ground_three_and_a_listing_cause() -> None:
    r = Record()
    r.tell("IN-1", CaseFacts(kind="incident", status="investigating", grade="larger"), kind="incident")
    assert r.grounds == []
    r.tell("IN-1", CaseFacts(kind="incident", status="investigating", grade="major"), kind="incident")
    assert r.grounds == ["三"] and [c.cause for c in r.state.credit_causes] == ["major_accident"]


def test_refusing_a_stop_work_order_is_ground_four() -> None:
    r = Record()
    with pytest.raises(NotAllowedInState):
        r.do(INSPECTOR, {"type": "record_refusal", "case_id": "HZ-1", "note": "still working"})
    r.hazard("HZ-1", major=False, stop_work="partial", stop_work_since=T0)
    with pytest.raises(InvalidCommand) as e:
        r.do(INSPECTOR, {"type": "record_refusal", "case_id": "HZ-2", "note": "still working"})
    assert e.value.to_dict()["allowed"] == ["HZ-1"]
    with pytest.raises(Forbidden):
        r.do(FAR_INSPECTOR, {"type": "record_refusal", "case_id": "HZ-1", "note": "still working"})
    events = r.do(INSPECTOR, {"type": "record_refusal", "case_id": "HZ-1", "note": "still working"})
    assert events == ["stop_work_refused", "closure_proposed", "credit_cause_found"]
    assert r.grounds == ["四"] and r.state.stop_work[0].refused_at == r.now
    r.hazard("HZ-1", major=False)  # lifted
    assert r.state.stop_work[0].lifted_at is not None


# ---- the credit listing (应急管理部令第11号) --------------------


def listed() -> Record:
    r = Record()
    r.hazard("HZ-1", major=True)
    for d in range(3):
        r.penalty("HZ-1", T0 + d * DAY)
    r.do(SUPERVISOR, {"type": "decide_listing", "listed": True, "decision_no": "渝应急失信〔2026〕1号"})
    return r


def test_a_listing_is_decided_by_the_supervisor_and_told_to_the_departments() -> None:
    r = Record()
    with pytest.raises(NotAllowedInState):
        r.do(SUPERVISOR, {"type": "decide_listing", "listed": True, "decision_no": "X"})
    r = listed()
    lst = r.state.listing
    assert lst is not None and r.state.listed and lst.causes == ["closure_proposed"]
    assert lst.until == PACK.add("credit.duration", lst.listed_at)
    assert lst.repair_from == lst.listed_at.replace(year=2027)
    departments = sorted(n.recipient_role for n in r.notices if n.kind == "joint_punishment")
    assert departments == [f"department:{d}" for d in sorted(PACK.table("credit.joint_punishment"))]
    assert ENTERPRISE.index(r.state).status == "listed"


def test_a_listing_needs_a_decision_number_and_a_refusal_a_reason() -> None:
    r = Record()
    r.hazard("HZ-1", major=True)
    for d in range(3):
        r.penalty("HZ-1", T0 + d * DAY)
    with pytest.raises(Forbidden):
        r.do(ENTERPRISE_USER, {"type": "decide_listing", "listed": True, "decision_no": "X"})
    with pytest.raises(InvalidCommand):
        r.do(SUPERVISOR, {"type": "decide_listing", "listed": True})
    with pytest.raises(InvalidCommand):
        r.do(SUPERVISOR, {"type": "decide_listing", "listed": False})
    assert r.do(SUPERVISOR, {"type": "decide_listing", "listed": False, "comment": "corrected"}) == [
        "listing_declined"
    ]
    assert r.state.credit_causes == [] and not r.state.listed


def test_an_unpublished_listing_is_escalated_when_its_publication_is_late() -> None:
    r = listed()
    lst = r.state.listing
    assert lst is not None
    assert r.fire_until(lst.publish_due - timedelta(seconds=1)) == []
    assert r.fire_until(lst.publish_due) == ["deadline_missed"]
    assert [n.recipient_party for n in r.notices if n.kind == "escalation"] == ["500100"]
    r.do(SUPERVISOR, {"type": "record_publication", "where": "国家企业信用信息公示系统"})
    assert r.state.listing is not None and r.state.listing.published_at == r.now


def test_a_listing_ends_after_its_duration() -> None:
    r = listed()
    r.do(SUPERVISOR, {"type": "record_publication", "where": "gsxt"})
    lst = r.state.listing
    assert lst is not None
    assert r.fire_until(lst.until - timedelta(seconds=1)) == []
    assert r.fire_until(lst.until) == ["listing_removed"]
    assert not r.state.listed and r.state.listing is not None and r.state.listing.removed_because == "expired"
    assert "joint_punishment_lifted" in [n.kind for n in r.notices]
    assert "record_publication" in ENTERPRISE.view(r.state)["allowed_commands"]


def test_early_removal_is_asked_after_twelve_months_and_decided_by_the_supervisor() -> None:
    r = listed()
    lst = r.state.listing
    assert lst is not None
    r.now = lst.repair_from - timedelta(seconds=1)
    with pytest.raises(Conflict):
        r.do(ENTERPRISE_USER, {"type": "request_removal", "reason": "corrected, trained, paid"})
    r.now = lst.repair_from
    assert r.do(ENTERPRISE_USER, {"type": "request_removal", "reason": "corrected"}) == ["removal_requested"]
    with pytest.raises(InvalidCommand):
        r.do(SUPERVISOR, {"type": "decide_removal", "approved": False})
    assert r.do(SUPERVISOR, {"type": "decide_removal", "approved": True}) == [
        "removal_decided",
        "listing_removed",
    ]
    assert r.state.listing is not None and r.state.listing.removed_because == "repaired"


def test_facts_from_a_real_hazard_reach_the_record() -> None:
    """domain/enterprise/facts.py reads a hazard's state: level, penalties, stop-work."""
    state = HAZARD.initial_state()
    now = T0
    steps = [
        HAZARD_REPORT,
        {"type": "grade", "level": "major", "basis": {"standard": "s", "clause": "c"}},
        {"type": "impose_penalty", "amount": "500", "decision_no": "D-1", "legal_basis": "Art. 102"},
        {"type": "order_stop_work", "scope": "full", "reason": "danger"},
    ]
    for cmd in steps:
        now += timedelta(minutes=1)
        ctx = Context(actor=INSPECTOR, now=now, policy=PACK, case_id="HZ-7")
        for e in HAZARD.decide(state, HAZARD.parse_command(cmd), ctx):
            state = HAZARD.evolve(state, e)
    told = case_facts("hazard", state)
    assert told is not None and told[:2] == (ENT, REGION)
    facts = CaseFacts.model_validate(told[2])
    assert (
        facts.major_open and facts.stop_work == "full" and [p.decision_no for p in facts.penalties] == ["D-1"]
    )
    assert case_facts("tip", state) is None and case_facts("hazard", HAZARD.initial_state()) is None
    assert record_id(ENT) == record_id(ENT) != record_id("E-2")


def test_a_major_incident_reported_by_the_enterprise_tells_its_grade() -> None:
    """facts.py reads an incident's state: 10 deaths is a 重大 accident (493号令 Art. 3)."""
    from domain.incident import INCIDENT

    occurred = T0 - timedelta(minutes=20)
    report = {
        "type": "report",
        "occurred_at": occurred.isoformat(),
        "enterprise_id": ENT,
        "region": REGION,
        "incident_type": "industrial",
        "deaths": 10,
        "serious_injuries": 0,
        "direct_loss": "0",
        "description": "d",
    }
    ctx = Context(actor=ENTERPRISE_USER, now=T0, policy=PACK, case_id="IN-7")
    state = INCIDENT.initial_state()
    for e in INCIDENT.decide(state, INCIDENT.parse_command(report), ctx):
        state = INCIDENT.evolve(state, e)
    told = case_facts("incident", state)
    assert told is not None and told[:2] == (ENT, REGION)
    r = Record()
    r.tell("IN-7", CaseFacts.model_validate(told[2]), kind="incident")
    assert r.grounds == ["三"] and [c.cause for c in r.state.credit_causes] == ["major_accident"]


def test_a_failed_reinspection_under_a_full_stop_work_order_tells_ground_two() -> None:
    """facts.py: a non-compliant re-inspection after 停产停业整顿 was ordered is 'still lacking' (二);
    one before the order, or under a partial order, is not."""
    state = HAZARD.initial_state()
    now = T0

    def do(cmd: dict[str, Any]) -> CaseFacts:
        nonlocal state, now
        now += timedelta(minutes=1)
        ctx = Context(
            actor=SUPERVISOR if "lift" in cmd["type"] else INSPECTOR, now=now, policy=PACK, case_id="HZ-8"
        )
        for e in HAZARD.decide(state, HAZARD.parse_command(cmd), ctx):
            state = HAZARD.evolve(state, e)
        told = case_facts("hazard", state)
        assert told is not None
        return CaseFacts.model_validate(told[2])

    do(HAZARD_REPORT)
    do({"type": "grade", "level": "general", "deadline": (T0 + 7 * DAY).isoformat()})
    do({"type": "reinspect", "compliant": False, "note": "before any order"})
    assert not do({"type": "order_stop_work", "scope": "partial", "reason": "r"}).lacking_after_suspension
    assert not do({"type": "reinspect", "compliant": False, "note": "partial"}).lacking_after_suspension
    facts = do({"type": "order_stop_work", "scope": "full", "reason": "停产停业整顿"})
    assert facts.stop_work == "full" and not facts.lacking_after_suspension
    assert do({"type": "reinspect", "compliant": False, "note": "still lacking"}).lacking_after_suspension
    r = Record()
    r.tell("HZ-8", CaseFacts.model_validate(told_facts(state)))
    assert r.grounds == ["二"]


def told_facts(state: Any) -> dict[str, Any]:
    told = case_facts("hazard", state)
    assert told is not None
    return told[2]


# ---- 瞒报 / 谎报 of an accident: listing causes of 部令11 ------------------------------------------------


def incident_case() -> Any:
    """An incident of ENT reported by the enterprise within the half hour (no reporting failure)."""
    from tests.unit.test_incident_decider import Case, report

    c = Case()
    c.do(ENTERPRISE_USER, {**report(1), "enterprise_id": ENT, "serious_injuries": 2})
    return c


def incident_told(c: Any, **kw: Any) -> dict[str, Any]:
    told = case_facts("incident", c.state, **kw)
    assert told is not None
    return told[2]


def test_a_concealed_accident_is_a_listing_cause_once() -> None:
    from tests.unit.test_incident_decider import CITY

    c = incident_case()
    assert not {"concealed", "false_report"} & set(incident_told(c))  # the facts as told before
    c.do(CITY, {"type": "flag_concealment", "source": "tip", "note": "hidden"})
    facts = incident_told(c)
    assert facts["concealed"] is True and "false_report" not in facts
    assert "concealed" not in incident_told(c, reporting=False)  # as told before these facts existed
    r = Record()
    assert r.tell("IN-1", CaseFacts.model_validate(facts), kind="incident") == [
        "case_facts_recorded",
        "credit_cause_found",
    ]
    found = r.state.credit_causes
    assert [(x.cause, x.case_id) for x in found] == [("concealed", "IN-1")] and "瞒报" in found[0].reason
    assert r.notices[-1].data["cause"] == "concealed"
    # the incident moves on, still concealed: no second cause, even after the listing was declined
    r.tell("IN-1", CaseFacts.model_validate({**facts, "status": "investigating"}), kind="incident")
    r.do(SUPERVISOR, {"type": "decide_listing", "listed": False, "comment": "不予列入"})
    r.tell("IN-1", CaseFacts.model_validate({**facts, "status": "closed"}), kind="incident")
    assert r.state.credit_causes == []


def test_a_false_report_is_a_listing_cause_and_two_incidents_list_it_once() -> None:
    from tests.unit.test_incident_decider import COUNTY

    c = incident_case()
    supplement = {"type": "supplement", "deaths": 2, "serious_injuries": 2, "direct_loss": "0", "note": "n"}
    c.do(COUNTY, supplement)  # one more casualty than first reported: 谎报
    facts = incident_told(c)
    assert facts["false_report"] is True and "concealed" not in facts
    r = Record()
    r.tell("IN-1", CaseFacts.model_validate(facts), kind="incident")
    r.tell("IN-2", CaseFacts.model_validate(facts), kind="incident")
    assert [(x.cause, x.case_id) for x in r.state.credit_causes] == [
        ("false_report", "IN-1"),
        ("false_report", "IN-2"),
    ]
    r.do(SUPERVISOR, {"type": "decide_listing", "listed": True, "decision_no": "渝应急失信〔2026〕2号"})
    assert r.state.listing is not None and r.state.listing.causes == ["false_report"]


def test_a_pack_without_the_reporting_causes_decides_as_before() -> None:
    """A record pinned to a pack whose `credit.listing_causes` lacks 瞒报/谎报 finds no such cause."""
    causes = dict(PACK.values["credit.listing_causes"].value)
    old = PACK.model_copy(
        update={
            "values": {
                **PACK.values,
                "credit.listing_causes": PACK.values["credit.listing_causes"].model_copy(
                    update={
                        "value": {k: v for k, v in causes.items() if k not in ("concealed", "false_report")}
                    }
                ),
            }
        }
    )
    facts = CaseFacts(kind="incident", status="reported", concealed=True, false_report=True)
    state = ENTERPRISE.initial_state()
    for cmd in (
        {"type": "open_record", "enterprise_id": ENT, "region": REGION},
        {
            "type": "child_case_updated",
            "child_id": "IN-1",
            "child_kind": "incident",
            "ref": "facts",
            "summary": facts.model_dump(mode="json"),
        },
    ):
        ctx = Context(actor=SYSTEM, now=T0, policy=old, case_id=record_id(ENT))
        for e in ENTERPRISE.decide(state, ENTERPRISE.parse_command(cmd), ctx):
            state = ENTERPRISE.evolve(state, e)
    assert state.cases["IN-1"].concealed and state.credit_causes == []
