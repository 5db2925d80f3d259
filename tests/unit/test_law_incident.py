"""Issue #18 (incident side): 迟报/漏报/谎报/瞒报, the one-vote veto, the 30-minute phone report, the 批复
extension, the jurisdiction tree, the pinned pack and working days beyond the pack's calendar."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.actors import SYSTEM, Actor, Role
from domain.decider import Context
from domain.errors import Conflict, Forbidden, InvalidCommand, NotAllowedInState
from domain.incident import INCIDENT, Grade
from domain.incident.grading import InvestigatingLevel
from domain.policy import parse_pack
from domain.timecalc import CN_TZ
from tests.unit.test_incident_decider import (
    CITY,
    COUNTY,
    ENTERPRISE,
    PACK,
    REPORT_BODY,
    ROOT,
    T0,
    TEAM,
    Case,
    report,
)

NATIONAL = Actor(id="sup-nat", role=Role.supervisor, region="000000")
FAST = parse_pack((ROOT / "policies" / "test-fast.toml").read_text())


def reported_after(minutes: int, actor: Actor = ENTERPRISE, **over: Any) -> Case:
    """An accident at T0, reported `minutes` later."""
    c = Case()
    c.now = T0 + timedelta(minutes=minutes)
    c.do(actor, {**report(1), "occurred_at": T0.isoformat(), **over}, timedelta(0))
    return c


# ---- 迟报: the 30-minute phone report and the 1-hour written report (seed 002) ----------------------------


@pytest.mark.parametrize(("minutes", "late"), [(29, False), (30, False), (31, True)])
def test_the_first_report_is_late_after_30_minutes(minutes: int, late: bool) -> None:
    c = reported_after(minutes, channel="phone")
    assert c.state.late_report is late
    assert ("late_report" in c.state.veto_causes) is late


@pytest.mark.parametrize("minutes", [31, 59, 60, 61])
def test_a_written_first_report_after_30_minutes_is_late_too(minutes: int) -> None:
    assert reported_after(minutes).state.late_report


def test_a_phone_report_owes_the_written_report_within_the_hour() -> None:
    c = reported_after(10, channel="phone")
    due = T0 + timedelta(hours=1)
    assert [(d.key, d.due_at) for d in INCIDENT.deadlines(c.state) if d.key == "written_report"] == [
        ("written_report", due)
    ]
    assert "file_written_report" in INCIDENT.view(c.state)["allowed_commands"]
    c.now = due - timedelta(minutes=5)
    c.do(ENTERPRISE, {"type": "file_written_report", "uri": "doc://w"}, timedelta(minutes=5))  # at the hour
    assert c.state.written_report_at == due and not c.state.late_report
    assert "written_report" not in [d.key for d in INCIDENT.deadlines(c.state)]
    assert "file_written_report" not in INCIDENT.view(c.state)["allowed_commands"]


def test_a_written_report_a_minute_after_the_hour_is_late() -> None:
    c = reported_after(10, channel="phone")
    c.now = T0 + timedelta(minutes=60)
    c.do(ENTERPRISE, {"type": "file_written_report", "uri": "doc://w"}, timedelta(minutes=1))
    assert c.state.late_report and "one_vote_veto" in c.state.flags


def test_no_written_report_by_the_hour_is_late_and_escalated() -> None:
    c = reported_after(10, channel="phone")
    assert c.fire("written_report") == ["deadline_missed"]
    assert c.state.late_report and c.state.escalations[-1]["to"] == "500000"
    assert "file_written_report" in INCIDENT.view(c.state)["allowed_commands"]  # still owed


@pytest.mark.parametrize(("seconds", "late"), [(4, False), (5, False), (6, True)])
def test_a_pack_without_the_phone_clock_keeps_the_report_due_rule(seconds: int, late: bool) -> None:
    """Packs pinned before 2026.2 (and the test pack, report due in 5 s) have no phone clock: the first
    report is late after `incident.report_due` only, and no written report is owed."""
    now = T0 + timedelta(seconds=seconds)
    cmd = INCIDENT.parse_command({**report(1), "occurred_at": T0.isoformat(), "channel": "phone"})
    (e,) = INCIDENT.decide(
        INCIDENT.initial_state(), cmd, Context(actor=ENTERPRISE, now=now, policy=FAST, case_id="IN-9")
    )
    s = INCIDENT.evolve(INCIDENT.initial_state(), e)
    assert s.late_report is late
    assert "written_report" not in [d.key for d in INCIDENT.deadlines(s)]


# ---- 漏报, 谎报, 瞒报 and the veto (seed 001, tasks 21 and 61) --------------------------------------------


def test_a_timely_general_accident_reported_by_the_enterprise_brings_no_veto() -> None:
    c = reported_after(20)
    assert c.state.veto_causes == [] and c.state.flags == []


def test_a_larger_accident_brings_the_veto() -> None:
    c = Case()
    c.do(ENTERPRISE, report(3))
    assert c.state.veto_causes == ["larger_or_worse"]


@pytest.mark.parametrize("via", ["inspection", "hospital", "police", "other"])
def test_an_accident_reaching_the_regulator_another_way_is_omitted(via: str) -> None:
    c = reported_after(20, COUNTY, reported_via=via)
    assert c.state.omitted and c.state.veto_causes == ["omitted"]
    assert c.state.investigating_level == InvestigatingLevel.city  # 提级调查
    assert ("omitted_report", "500100") in [(n.kind, n.recipient_party) for n in c.notices]


def test_the_duty_office_entering_the_enterprises_own_report_is_no_omission() -> None:
    c = reported_after(20, COUNTY)
    assert not c.state.omitted and c.state.investigating_level == InvestigatingLevel.county


def test_an_enterprise_cannot_claim_its_report_came_from_elsewhere() -> None:
    with pytest.raises(InvalidCommand) as err:
        reported_after(20, ENTERPRISE, reported_via="police")
    assert err.value.extra["field"] == "reported_via"


def test_a_tip_uncovering_the_accident_is_concealment_and_omission() -> None:
    c = reported_after(20, SYSTEM, concealed=True, origin={"kind": "tip", "case_id": "TP-1", "ref": "action"})
    assert c.state.reporting_failures == ["omitted", "concealed"]
    assert c.state.supervised_by == "500000" and c.state.investigating_level == InvestigatingLevel.city
    assert INCIDENT.summary(c.state)["concealed_deaths"] == 1


def supplement(deaths: int, injuries: int) -> dict[str, Any]:
    return {
        "type": "supplement",
        "deaths": deaths,
        "serious_injuries": injuries,
        "direct_loss": "0",
        "note": "n",
    }


def test_later_figures_above_the_first_report_are_a_false_report() -> None:
    c = Case()
    c.do(ENTERPRISE, {**report(1), "serious_injuries": 2})
    c.do(COUNTY, supplement(1, 2))  # the same figures
    c.do(COUNTY, supplement(2, 1))  # one of the injured died: no more people than first reported
    assert not c.state.false_report and c.state.veto_causes == []
    c.do(COUNTY, supplement(2, 2))  # one more casualty than reported
    assert c.state.false_report and c.state.veto_causes == ["false_report"]
    assert c.state.investigating_level == InvestigatingLevel.city  # 提级调查
    assert [n.kind for n in c.notices].count("false_report") == 1


def test_each_reporting_failure_brings_the_veto() -> None:
    late = reported_after(31)
    omitted = reported_after(20, COUNTY, reported_via="hospital")
    concealed = reported_after(10)
    concealed.do(CITY, {"type": "flag_concealment", "source": "tip", "note": "hidden"})
    assert INCIDENT.view(late.state)["veto_causes"] == ["late_report"]
    assert late.state.veto_causes == ["late_report"]
    assert omitted.state.veto_causes == ["omitted"]
    assert concealed.state.veto_causes == ["concealed"]
    assert all("one_vote_veto" in x.state.flags for x in (late, omitted, concealed))


# ---- 批复 extension of an especially major accident (493号令 Art. 32) -------------------------------------


def awaiting_approval(deaths: int = 30) -> Case:
    c = Case()
    c.do(ENTERPRISE, report(deaths))
    c.do(NATIONAL, {"type": "open_investigation", "lead_authority": "国务院调查组", "team": ["a"]})
    c.do(NATIONAL, REPORT_BODY)
    return c


def test_the_approval_of_an_especially_major_accident_extends_by_30_days_not_31() -> None:
    c = awaiting_approval()
    due = c.state.approval_due
    assert due is not None and c.state.grade == Grade.especially_major
    with pytest.raises(InvalidCommand) as err:
        c.do(NATIONAL, {"type": "extend_approval", "days": 31, "reason": "r"})
    assert err.value.extra["rule"] == "extension_max"
    c.do(NATIONAL, {"type": "extend_approval", "days": 30, "reason": "r"})
    assert c.state.approval_due == due + timedelta(days=30)
    assert [d.due_at for d in INCIDENT.deadlines(c.state) if d.key == "approval"] == [
        due + timedelta(days=30)
    ]
    assert "extend_approval" not in INCIDENT.view(c.state)["allowed_commands"]


def test_only_an_especially_major_accident_and_only_before_the_deadline() -> None:
    major = awaiting_approval(29)
    assert "extend_approval" not in INCIDENT.view(major.state)["allowed_commands"]
    with pytest.raises(NotAllowedInState):
        major.do(NATIONAL, {"type": "extend_approval", "days": 1, "reason": "r"})
    late = awaiting_approval()
    late.now = late.state.approval_due or late.now
    with pytest.raises(Conflict):
        late.do(NATIONAL, {"type": "extend_approval", "days": 1, "reason": "r"}, timedelta(seconds=1))
    below = awaiting_approval()
    with pytest.raises(Forbidden):
        below.do(
            Actor(id="p", role=Role.supervisor, region="500000"),
            {"type": "extend_approval", "days": 1, "reason": "r"},
        )


# ---- the jurisdiction tree (pack `jurisdiction.tree`) ------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "up"),
    [
        ("500107", "500000"),  # 重庆: a district sits directly under the municipality
        ("110105", "110000"),
        ("120101", "120000"),
        ("310115", "310000"),
        ("500100", "500000"),
        ("500000", "000000"),
        ("320106", "320100"),  # a province: county → city → province
        ("320100", "320000"),
        ("320000", "000000"),
        ("000000", "000000"),
    ],
)
def test_the_next_level_comes_from_the_tree(code: str, up: str) -> None:
    from domain.jurisdiction import next_level

    assert next_level(PACK, code) == up


def test_a_pack_without_the_tree_keeps_the_digit_rule() -> None:
    from domain.jurisdiction import next_level

    assert next_level(FAST, "500107") == "500100"


def test_an_overdue_investigation_escalates_by_the_tree_in_a_province() -> None:
    c = Case()
    js = Actor(id="ent-js", role=Role.enterprise, region="320106", enterprise_id="E-JS")
    c.do(js, {**report(1), "region": "320106", "enterprise_id": "E-JS"})
    c.fire("investigation")
    assert c.state.escalations[-1]["to"] == "320100"


# ---- the pinned pack ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("foreign", [FAST, PACK.model_copy(update={"version": "1999.1"})])
def test_a_command_under_a_pack_other_than_the_pinned_one_is_refused(foreign: Any) -> None:
    c = reported_after(20)
    cmd = INCIDENT.parse_command({"type": "open_investigation", "lead_authority": "x", "team": ["a"]})
    ctx = Context(actor=TEAM, now=c.now, policy=foreign, case_id="IN-1")
    with pytest.raises(Conflict) as err:
        INCIDENT.decide(c.state, cmd, ctx)
    assert err.value.extra["rule"] == "pinned_policy"
    timer = INCIDENT.parse_command(
        {"type": "deadline_elapsed", "key": "investigation", "due_at": T0.isoformat()}
    )
    with pytest.raises(Conflict):  # system commands too
        INCIDENT.decide(c.state, timer, Context(actor=SYSTEM, now=c.now, policy=foreign, case_id="IN-1"))
    c.do(TEAM, {"type": "open_investigation", "lead_authority": "x", "team": ["a"]})  # its own pack


# ---- working days beyond the pack's calendar --------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 12, 23, 10, tzinfo=CN_TZ), datetime(2026, 12, 30, 10, tzinfo=CN_TZ)),
        (datetime(2026, 12, 24, 10, tzinfo=CN_TZ), datetime(2026, 12, 31, 10, tzinfo=CN_TZ)),
    ],
)
def test_working_days_within_the_covered_years_count(start: datetime, end: datetime) -> None:
    assert PACK.add("listing.publish_due", start) == end


def test_a_working_day_clock_running_into_an_uncovered_year_is_flagged_not_trusted() -> None:
    from domain.hazard import HAZARD
    from tests.unit import test_hazard_decider as hz

    for day, years in ((23, []), (24, []), (25, [2027])):  # 5 working days: the 25th's reach 2027
        assert PACK.provisional("listing.publish_due", datetime(2026, 12, day, 10, tzinfo=CN_TZ)) == years
    assert PACK.provisional("incident.report_due", datetime(2026, 12, 31, 23, tzinfo=CN_TZ)) == []
    c = hz.Case()
    c.now = datetime(2026, 12, 25, 9, tzinfo=CN_TZ)
    c.do(hz.INSPECTOR, {**hz.REPORT, "source": "inspection"})
    c.do(hz.INSPECTOR, {"type": "grade", "level": "major", "basis": hz.BASIS})
    assert c.state.calendar_provisional == []
    c.do(
        hz.SUPERVISOR,
        {
            "type": "list_for_supervision",
            "authority": "a",
            "deadline": (c.now + timedelta(days=60)).isoformat(),
            "requirements": "r",
            "stop_work": "partial",
        },
    )
    assert c.state.calendar_provisional == [2027]
    assert HAZARD.view(c.state)["calendar_provisional"] == [2027]
    flagged = [n for n in c.notices if n.kind == "calendar_provisional"]
    assert [(n.recipient_party, n.data["years"]) for n in flagged] == [(hz.REGION, [2027])]


# ---- the publication of a listing within 5 working days, recorded -----------------------------------------


def listed_hazard() -> Any:
    from tests.unit import test_hazard_decider as hz

    c = hz.listed()
    assert c.state.publish_due is not None
    return c


def test_a_listing_owes_its_publication_within_5_working_days() -> None:
    from domain.hazard import HAZARD

    c = listed_hazard()
    listed_at = c.now
    due = c.state.publish_due
    assert due == PACK.add("listing.publish_due", listed_at)
    assert ("listing_publication", due) in [(d.key, d.due_at) for d in HAZARD.deadlines(c.state)]
    assert "publish_listing" in HAZARD.view(c.state)["allowed_commands"]
    c.now = due - timedelta(minutes=5)
    c.do(c_supervisor(), {"type": "publish_listing", "uri": "https://example.org/listing"})  # at the due time
    assert c.state.publication is not None and c.state.publication.data["late"] is False
    assert "listing_publication" not in [d.key for d in HAZARD.deadlines(c.state)]
    assert "publish_listing" not in HAZARD.view(c.state)["allowed_commands"]


def test_a_publication_after_the_due_time_is_late_and_a_lapse_escalates() -> None:
    late = listed_hazard()
    late.now = late.state.publish_due
    late.do(c_supervisor(), {"type": "publish_listing", "uri": "u"}, timedelta(minutes=1))
    assert late.state.publication is not None and late.state.publication.data["late"] is True
    lapsed = listed_hazard()
    assert lapsed.fire_until(lapsed.state.publish_due) == ["deadline_missed"]
    assert lapsed.state.escalations[-1].data == {"clock": "listing_publication", "to": "500000"}


def test_a_pack_without_the_key_keeps_the_publication_a_notice() -> None:
    from domain.hazard import HAZARD
    from tests.unit import test_hazard_decider as hz

    c = hz.Case()
    ctx = Context(actor=hz.INSPECTOR, now=c.now, policy=FAST, case_id="HZ-9")
    s = HAZARD.initial_state()
    for actor, body in (
        (hz.INSPECTOR, {**hz.REPORT, "source": "inspection"}),
        (hz.INSPECTOR, {"type": "grade", "level": "major", "basis": hz.BASIS}),
        (
            hz.SUPERVISOR,
            {
                "type": "list_for_supervision",
                "authority": "a",
                "deadline": (c.now + timedelta(minutes=5)).isoformat(),
                "requirements": "r",
                "stop_work": "partial",
            },
        ),
    ):
        for e in HAZARD.decide(s, HAZARD.parse_command(body), ctx.model_copy(update={"actor": actor})):
            s = HAZARD.evolve(s, e)
    assert s.status.value == "listed" and not s.publication_owed
    assert "listing_publication" not in [d.key for d in HAZARD.deadlines(s)]
    assert "publish_listing" not in HAZARD.view(s)["allowed_commands"]


def c_supervisor() -> Actor:
    from tests.unit import test_hazard_decider as hz

    return hz.SUPERVISOR
