"""The incident decider (docs/rules.md#incidents): the grading table at every boundary, each move and
each refusal."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domain.actors import SYSTEM, Actor, Role
from domain.decider import Context
from domain.errors import Conflict, Forbidden, InvalidCommand, NotAllowedInState
from domain.incident import INCIDENT, Grade, IncidentState, grade_of
from domain.incident.grading import InvestigatingLevel, authority_region, route
from domain.jurisdiction import incident_tree
from domain.policy import PolicyPack, parse_pack
from domain.registry import get_decider
from domain.timecalc import CN_TZ

ROOT = Path(__file__).resolve().parents[2]
PACK = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
TABLE = PACK.table("incident.grade_thresholds")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CN_TZ)
REGION, ENT = "500107", "ENT-1"
ENTERPRISE = Actor(id="ent-1", role=Role.enterprise, region=REGION, enterprise_id=ENT)
COUNTY = Actor(id="insp-1", role=Role.inspector, region=REGION)
COUNTY_SUP = Actor(id="sup-county", role=Role.supervisor, region=REGION)
# 重庆 is a 直辖市: the level above its districts (city and province alike) is the municipality, 500000
TEAM = Actor(id="insp-city", role=Role.inspector, region="500000")
CITY = Actor(id="sup-city", role=Role.supervisor, region="500000")
PROVINCE = Actor(id="sup-prov", role=Role.supervisor, region="500000")
AUDITOR = Actor(id="aud-1", role=Role.auditor, region="000000")


@pytest.mark.parametrize(
    ("deaths", "injuries", "loss", "grade"),
    [
        (0, 0, "0", Grade.general),
        (2, 0, "0", Grade.general),
        (3, 0, "0", Grade.larger),
        (9, 0, "0", Grade.larger),
        (10, 0, "0", Grade.major),
        (29, 0, "0", Grade.major),
        (30, 0, "0", Grade.especially_major),
        (0, 9, "0", Grade.general),
        (0, 10, "0", Grade.larger),
        (0, 49, "0", Grade.larger),
        (0, 50, "0", Grade.major),
        (0, 99, "0", Grade.major),
        (0, 100, "0", Grade.especially_major),
        (0, 0, "9999999.99", Grade.general),
        (0, 0, "10000000", Grade.larger),
        (0, 0, "49999999", Grade.larger),
        (0, 0, "50000000", Grade.major),
        (0, 0, "99999999", Grade.major),
        (0, 0, "100000000", Grade.especially_major),
        (2, 9, "9999999", Grade.general),
        (1, 60, "0", Grade.major),  # the highest triggered measure decides
        (3, 0, "100000000", Grade.especially_major),
    ],
)
def test_grade_is_the_highest_triggered_with_lower_bounds_inclusive(
    deaths: int, injuries: int, loss: str, grade: Grade
) -> None:
    assert grade_of(deaths, injuries, Decimal(loss), TABLE) == grade


def test_the_investigating_authority_and_the_reporting_route_by_level() -> None:
    """By the code's digits (a pack without a tree for incidents): county → city → province → nation."""
    assert route(REGION, Grade.general) == ["500100"]
    assert route(REGION, Grade.larger) == ["500100", "500000"]
    assert route(REGION, Grade.major) == ["500100", "500000", "000000"]
    assert authority_region(REGION, INCIDENT_LEVELS["city"]) == "500100"


TREE = incident_tree(PACK)


@pytest.mark.parametrize(
    ("region", "grade", "up"),
    [
        ("500107", Grade.general, ["500000"]),  # 重庆: a district reports to the municipality
        ("500107", Grade.larger, ["500000"]),
        ("500107", Grade.major, ["500000", "000000"]),
        ("500107", Grade.especially_major, ["500000", "000000"]),
        ("110105", Grade.general, ["110000"]),  # 北京
        ("330106", Grade.general, ["330100"]),  # 杭州: a province's districts keep the city level
        ("330106", Grade.larger, ["330100", "330000"]),
        ("330106", Grade.major, ["330100", "330000", "000000"]),
    ],
)
def test_the_reporting_route_follows_the_packs_jurisdiction_tree(
    region: str, grade: Grade, up: list[str]
) -> None:
    assert TREE is not None and route(region, grade, TREE) == up


@pytest.mark.parametrize(
    ("region", "level", "authority"),
    [
        ("500107", "county", "500107"),
        ("500107", "city", "500000"),
        ("500107", "province", "500000"),
        ("500107", "national", "000000"),
        ("330106", "city", "330100"),
        ("330106", "province", "330000"),
    ],
)
def test_the_investigating_authority_follows_the_packs_jurisdiction_tree(
    region: str, level: str, authority: str
) -> None:
    assert authority_region(region, INCIDENT_LEVELS[level], TREE) == authority


def test_a_case_pinned_to_a_pack_without_the_incident_route_decides_by_digits() -> None:
    """A pack whose tree lacks `incident_route` (the tree before it also routed incidents) and a pack
    without a tree (the test pack) route and name the authority by the code's digits, as before."""
    entry = PACK.values["jurisdiction.tree"]
    value = {k: v for k, v in entry.value.items() if k != "incident_route"}
    older = PACK.model_copy(
        update={"values": {**PACK.values, "jurisdiction.tree": entry.model_copy(update={"value": value})}}
    )
    fast = parse_pack((ROOT / "policies" / "test-fast.toml").read_text())
    assert incident_tree(older) is None and incident_tree(fast) is None
    c = Case(policy=older)
    c.do(ENTERPRISE, report(3))
    assert [st.region for st in c.state.route] == ["500100", "500000"] and c.state.tree is None
    assert INCIDENT.view(c.state)["investigating_authority"] == "500100"
    c = Case()
    c.do(ENTERPRISE, report(3))
    assert [st.region for st in c.state.route] == ["500000"]
    assert INCIDENT.view(c.state)["investigating_authority"] == "500000"


INCIDENT_LEVELS = {lvl.value: lvl for lvl in InvestigatingLevel}


class Case:
    def __init__(self, policy: PolicyPack = PACK) -> None:
        self.state: IncidentState = INCIDENT.initial_state()
        self.now = T0
        self.policy = policy
        self.notices: list[Any] = []

    def do(self, actor: Actor, command: dict[str, Any], after: timedelta = timedelta(minutes=5)) -> list[str]:
        self.now += after
        ctx = Context(actor=actor, now=self.now, policy=self.policy, case_id="IN-1")
        events = INCIDENT.decide(self.state, INCIDENT.parse_command(command), ctx)
        for e in events:
            before, self.state = self.state, INCIDENT.evolve(self.state, e)
            self.notices += INCIDENT.notices(before, e, self.state)
        assert INCIDENT.parse_state(self.state.model_dump(mode="json")) == self.state
        return [e.type for e in events]

    def fire(self, key_prefix: str) -> list[str]:
        d = next(d for d in INCIDENT.deadlines(self.state) if d.key.startswith(key_prefix))
        self.now = max(self.now, d.due_at)
        return self.do(
            SYSTEM, {"type": "deadline_elapsed", "key": d.key, "due_at": d.due_at.isoformat()}, timedelta(0)
        )

    @property
    def status(self) -> str:
        return self.state.status.value


def report(deaths: int = 3, *, late: bool = False, **over: Any) -> dict[str, Any]:
    occurred = T0 - (timedelta(hours=3) if late else timedelta(minutes=20))
    return {
        "type": "report",
        "occurred_at": occurred.isoformat(),
        "enterprise_id": ENT,
        "region": REGION,
        "incident_type": "industrial",
        "deaths": deaths,
        "serious_injuries": 0,
        "direct_loss": "0",
        "description": "d",
        **over,
    }


REPORT_BODY = {
    "type": "submit_report",
    "causes": ["c"],
    "enterprise_responsibility": ["e"],
    "regulatory_responsibility": ["r"],
    "sanctions": [{"target": "manager", "measure": "fine"}],
    "measures": [
        {"title": "fix", "owner_enterprise_id": ENT, "deadline": (T0 + timedelta(days=90)).isoformat()}
    ],
}


def approved() -> Case:
    c = Case()
    c.do(ENTERPRISE, report())
    c.do(TEAM, {"type": "open_investigation", "lead_authority": "市应急局", "team": ["a"]})
    c.do(TEAM, REPORT_BODY)
    c.do(CITY, {"type": "approve_report", "approved": True, "comment": "批复"})
    return c


def test_the_incident_decider_is_registered_under_kind_incident() -> None:
    assert get_decider("incident") is INCIDENT


def test_a_timely_report_is_graded_and_routed_up_with_two_hour_clocks() -> None:
    c = Case()
    c.do(ENTERPRISE, report(3))
    s = c.state
    assert (s.grade, s.investigating_level) == (Grade.larger, INCIDENT_LEVELS["city"])
    assert s.flags == ["one_vote_veto"]
    assert [(st.region, st.due_at - c.now) for st in s.route] == [("500000", timedelta(hours=2))]
    c = Case()
    c.do(
        Actor(id="ent-hz", role=Role.enterprise, region="330106", enterprise_id=ENT),
        report(3, region="330106"),
    )
    assert [(st.region, st.due_at - c.now) for st in c.state.route] == [
        ("330100", timedelta(hours=2)),
        ("330000", timedelta(hours=4)),
    ]


def test_a_report_after_one_hour_is_flagged_late_at_once() -> None:
    c = Case()
    c.do(ENTERPRISE, report(1, late=True))
    assert "late_report" in c.state.flags
    assert "late_report" in [n.kind for n in c.notices]


def test_an_accident_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidCommand):
        Case().do(ENTERPRISE, report(occurred_at=(T0 + timedelta(hours=1)).isoformat()))


def test_only_the_system_reports_a_concealed_accident_from_a_tip() -> None:
    with pytest.raises(InvalidCommand):
        Case().do(COUNTY, report(concealed=True))
    c = Case()
    c.do(SYSTEM, report(2, concealed=True, origin={"kind": "tip", "case_id": "TP-1", "ref": "action"}))
    assert c.state.concealed and c.state.investigating_level == INCIDENT_LEVELS["city"]
    assert INCIDENT.summary(c.state)["concealed_deaths"] == 2


def test_an_unacknowledged_onward_report_escalates_to_that_level() -> None:
    c = Case()
    c.do(ENTERPRISE, report(1))
    with pytest.raises(Forbidden):
        c.do(Actor(id="sup-sc", role=Role.supervisor, region="510000"), {"type": "acknowledge_report"})
    c.do(CITY, {"type": "acknowledge_report", "note": "received"})
    assert not [d for d in INCIDENT.deadlines(c.state) if d.key.startswith("onward")]
    c2 = Case()
    c2.do(ENTERPRISE, report(1))
    assert c2.fire("onward:500000") == ["deadline_missed"]  # 重庆: the district's next level
    assert ("escalation", "500000") in [(n.kind, n.recipient_party) for n in c2.notices]


def test_a_supplement_regrades_and_moves_the_investigation_up_but_never_down() -> None:
    c = Case()
    c.do(ENTERPRISE, report(1))
    c.do(
        COUNTY,
        {
            "type": "supplement",
            "deaths": 4,
            "serious_injuries": 0,
            "direct_loss": "0",
            "note": "two more died",
        },
    )
    assert c.state.grade == Grade.larger and c.state.investigating_level == INCIDENT_LEVELS["city"]
    assert "500000" in [st.region for st in c.state.route]
    c.do(
        COUNTY,
        {"type": "supplement", "deaths": 2, "serious_injuries": 0, "direct_loss": "0", "note": "recount"},
    )
    assert c.state.grade == Grade.general and c.state.investigating_level == INCIDENT_LEVELS["city"]


def test_supplements_close_after_seven_days_for_fire() -> None:
    c = Case()
    c.do(ENTERPRISE, report(1, incident_type="fire"))
    with pytest.raises(Conflict, match="supplementary"):
        c.do(
            COUNTY,
            {"type": "supplement", "deaths": 1, "serious_injuries": 0, "direct_loss": "0", "note": "n"},
            timedelta(days=8),
        )


def test_concealment_lists_one_level_up_and_moves_the_investigation_up() -> None:
    c = Case()
    c.do(ENTERPRISE, report(1))
    c.do(CITY, {"type": "flag_concealment", "source": "tip", "note": "hidden deaths"})
    # the jurisdiction tree: a district of 重庆 (50) sits directly under the municipality
    assert c.state.concealed and c.state.supervised_by == "500000"
    assert c.state.investigating_level == INCIDENT_LEVELS["city"]
    with pytest.raises(Conflict):
        c.do(CITY, {"type": "flag_concealment", "source": "tip", "note": "again"})


def test_the_investigation_belongs_to_the_investigating_authority() -> None:
    c = Case()
    c.do(ENTERPRISE, report(3))
    with pytest.raises(Forbidden) as e:
        c.do(COUNTY, {"type": "open_investigation", "lead_authority": "区", "team": ["a"]})
    assert e.value.to_dict()["rule"] == "investigating_authority"
    with pytest.raises(Forbidden):
        c.do(ENTERPRISE, {"type": "open_investigation", "lead_authority": "x", "team": ["a"]})


def test_appraisal_time_does_not_count_against_the_sixty_days() -> None:
    c = Case()
    c.do(ENTERPRISE, report(1))
    c.do(COUNTY, {"type": "open_investigation", "lead_authority": "区", "team": ["a"]})
    due = c.state.investigation_due
    assert due is not None
    c.do(COUNTY, {"type": "pause_investigation", "reason": "appraisal"})
    assert [d.key for d in INCIDENT.deadlines(c.state) if d.key == "investigation"] == []
    c.do(COUNTY, {"type": "resume_investigation", "reason": "back"}, timedelta(days=10))
    assert c.state.investigation_due == due + timedelta(days=10)


def test_one_extension_of_at_most_sixty_days_approved_by_the_authority() -> None:
    c = Case()
    c.do(ENTERPRISE, report(1))
    c.do(COUNTY, {"type": "open_investigation", "lead_authority": "区", "team": ["a"]})
    with pytest.raises(InvalidCommand):
        c.do(COUNTY, {"type": "request_investigation_extension", "days": 61, "reason": "r"})
    c.do(COUNTY, {"type": "request_investigation_extension", "days": 30, "reason": "r"})
    with pytest.raises(Forbidden):
        c.do(COUNTY, {"type": "decide_investigation_extension", "approved": True})
    due = c.state.investigation_due
    assert due is not None
    c.do(COUNTY_SUP, {"type": "decide_investigation_extension", "approved": True, "comment": "ok"})
    assert c.state.investigation_due == due + timedelta(days=30)
    with pytest.raises(NotAllowedInState):
        c.do(COUNTY, {"type": "request_investigation_extension", "days": 10, "reason": "again"})


def test_an_overdue_investigation_escalates_above_the_authority() -> None:
    c = Case()
    c.do(ENTERPRISE, report(1))
    assert c.fire("investigation") == ["deadline_missed"]
    # above the district authority is the municipality (jurisdiction tree), not the code-level 500100
    assert c.state.overdue and ("escalation", "500000") in [(n.kind, n.recipient_party) for n in c.notices]


@pytest.mark.parametrize("missing", ["causes", "enterprise_responsibility", "regulatory_responsibility"])
def test_a_report_missing_causes_or_either_responsibility_is_refused(missing: str) -> None:
    c = Case()
    c.do(ENTERPRISE, report(3))
    c.do(TEAM, {"type": "open_investigation", "lead_authority": "市", "team": ["a"]})
    with pytest.raises(InvalidCommand) as e:
        c.do(TEAM, {**REPORT_BODY, missing: []})
    assert e.value.to_dict()["field"] == missing
    assert c.status == "investigating"


def test_approval_is_due_in_fifteen_days_and_the_submitter_does_not_approve() -> None:
    c = Case()
    c.do(ENTERPRISE, report(3))
    c.do(CITY, {"type": "open_investigation", "lead_authority": "市", "team": ["a"]})
    c.do(CITY, REPORT_BODY)
    assert c.state.approval_due == c.now + timedelta(days=15)
    with pytest.raises(Forbidden, match="separation"):
        c.do(CITY, {"type": "approve_report", "approved": True})


def test_a_refused_report_goes_back_to_the_investigation() -> None:
    c = Case()
    c.do(ENTERPRISE, report(3))
    c.do(TEAM, {"type": "open_investigation", "lead_authority": "市", "team": ["a"]})
    c.do(TEAM, REPORT_BODY)
    with pytest.raises(InvalidCommand):
        c.do(CITY, {"type": "approve_report", "approved": False, "comment": ""})
    c.do(CITY, {"type": "approve_report", "approved": False, "comment": "causes too thin"})
    assert c.status == "investigating"


def test_approval_starts_each_measure_as_a_child_hazard() -> None:
    c = Case()
    c.do(ENTERPRISE, report(3))
    c.do(TEAM, {"type": "open_investigation", "lead_authority": "市", "team": ["a"]})
    c.do(TEAM, REPORT_BODY)
    ctx = Context(actor=CITY, now=c.now, policy=PACK, case_id="IN-1")
    [e] = INCIDENT.decide(c.state, INCIDENT.parse_command({"type": "approve_report", "approved": True}), ctx)
    after = INCIDENT.evolve(c.state, e)
    [child] = INCIDENT.children(c.state, e, after)
    assert (child.kind, child.case_id, child.ref) == ("hazard", "IN-1-m1", "m1")
    assert child.command["source"] == "incident" and child.command["level"] == "general"


def test_child_updates_track_measures_and_only_the_system_sends_them() -> None:
    c = approved()
    update = {
        "type": "child_case_updated",
        "child_id": "IN-1-m1",
        "child_kind": "hazard",
        "ref": "m1",
        "summary": {"status": "closed", "terminal": True},
    }
    with pytest.raises(Forbidden):
        c.do(CITY, update)
    c.do(SYSTEM, update)
    assert c.state.measures[0].status == "closed"
    assert c.do(SYSTEM, update) == []  # nothing changed


def test_the_evaluation_opens_after_ten_months_prefilled() -> None:
    c = approved()
    assert c.state.evaluation is not None
    assert c.fire("evaluation_opens") == ["evaluation_opened"]
    assert c.status == "evaluating"
    pre = c.state.evaluation.prefill if c.state.evaluation else None
    assert (
        pre is not None and pre.causes_identified and not pre.measures_implemented and not pre.people_educated
    )


def evaluation(**over: bool) -> dict[str, Any]:
    base = {
        "causes_identified": True,
        "responsible_handled": True,
        "measures_implemented": True,
        "people_educated": True,
    }
    return {"type": "submit_evaluation", **base, **over, "report_uri": "u", "comment": "c"}


def test_a_yes_the_record_contradicts_is_refused_naming_the_check() -> None:
    c = approved()
    c.fire("evaluation_opens")
    with pytest.raises(InvalidCommand) as e:
        c.do(PROVINCE, evaluation())
    assert e.value.to_dict()["field"] == "responsible_handled"


def test_a_failed_check_means_accountability_and_the_evaluation_repeats_then_closes() -> None:
    c = approved()
    c.do(CITY, {"type": "record_sanction", "index": 0, "executed": True, "note": "done"})
    c.do(
        SYSTEM,
        {
            "type": "child_case_updated",
            "child_id": "IN-1-m1",
            "child_kind": "hazard",
            "ref": "m1",
            "summary": {"status": "closed"},
        },
    )
    c.fire("evaluation_opens")
    c.do(PROVINCE, evaluation(people_educated=False))
    assert c.status == "accountability" and c.state.evaluation and c.state.evaluation.round == 2
    c.do(CITY, {"type": "record_education", "note": "warning education", "attendees": 50})
    c.do(PROVINCE, evaluation())
    assert c.status == "closed" and INCIDENT.deadlines(c.state) == []


def test_publication_records_the_copy_and_only_once() -> None:
    c = approved()
    with pytest.raises(ValidationError):
        INCIDENT.parse_command({"type": "publish", "uri": "u"})
    c.do(CITY, {"type": "publish", "uri": "https://x", "copied_to": "区综合执法局"})
    assert "publication" not in [d.key for d in INCIDENT.deadlines(c.state)]
    with pytest.raises(Conflict):
        c.do(CITY, {"type": "publish", "uri": "https://x", "copied_to": "区综合执法局"})


def test_a_sanction_index_outside_the_report_is_refused() -> None:
    c = approved()
    with pytest.raises(InvalidCommand) as e:
        c.do(CITY, {"type": "record_sanction", "index": 3, "executed": True})
    assert e.value.to_dict()["field"] == "index"


def test_an_auditor_changes_nothing_and_a_closed_case_accepts_nothing() -> None:
    c = Case()
    c.do(ENTERPRISE, report(1))
    with pytest.raises(Forbidden):
        c.do(AUDITOR, {"type": "cancel", "reason": "r"})
    c.do(COUNTY_SUP, {"type": "cancel", "reason": "not a production accident"})
    with pytest.raises(NotAllowedInState) as e:
        c.do(COUNTY_SUP, {"type": "open_investigation", "lead_authority": "x", "team": ["a"]})
    assert e.value.to_dict()["allowed"] == []
