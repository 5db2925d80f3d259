"""The hazard decider, rule by rule (docs/rules.md#hazards): every move and every refusal, as domain
scenarios."""

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
from domain.hazard import HAZARD, HazardState
from domain.policy import parse_pack
from domain.registry import get_decider
from domain.timecalc import CN_TZ

ROOT = Path(__file__).resolve().parents[2]
PACK = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CN_TZ)  # a Monday
REGION, ENT = "500107", "ENT-1"
ENTERPRISE = Actor(id="ent-1", role=Role.enterprise, region=REGION, enterprise_id=ENT)
OTHER_ENTERPRISE = Actor(id="ent-2", role=Role.enterprise, region=REGION, enterprise_id="ENT-2")
INSPECTOR = Actor(id="insp-1", role=Role.inspector, region=REGION)
INSPECTOR2 = Actor(id="insp-2", role=Role.inspector, region=REGION)
FAR_INSPECTOR = Actor(id="insp-9", role=Role.inspector, region="500108")
SUPERVISOR = Actor(id="sup-1", role=Role.supervisor, region="500100")
EXPERT = Actor(id="exp-1", role=Role.expert, region=REGION)
OPERATOR = Actor(id="op-1", role=Role.operator, region=REGION)
AUDITOR = Actor(id="aud-1", role=Role.auditor, region="000000")
REPORT = {
    "type": "report",
    "title": "配电箱未接地",
    "enterprise_id": ENT,
    "region": REGION,
    "source": "self_inspection",
    "category": "unsafe_condition",
}
BASIS = {"standard": "应急管理部令第10号", "clause": "第四条"}


class Case:
    """Decides and folds like the workflow does, with a clock the test moves."""

    def __init__(self) -> None:
        self.state: HazardState = HAZARD.initial_state()
        self.now = T0
        self.events: list[Any] = []
        self.notices: list[Any] = []

    def do(self, actor: Actor, command: dict[str, Any], after: timedelta = timedelta(minutes=5)) -> list[str]:
        self.now += after
        ctx = Context(actor=actor, now=self.now, policy=PACK, case_id="HZ-1")
        events = HAZARD.decide(self.state, HAZARD.parse_command(command), ctx)
        for e in events:
            before, self.state = self.state, HAZARD.evolve(self.state, e)
            self.notices += HAZARD.notices(before, e, self.state)
        self.events += events
        for e in events:  # as stored: a JSON object, or its text read straight from the store
            assert (
                HAZARD.parse_event(e.model_dump(mode="json")) == e == HAZARD.parse_event(e.model_dump_json())
            )
        assert HAZARD.parse_state(self.state.model_dump(mode="json")) == self.state
        return [e.type for e in events]

    def fire_until(self, until: datetime) -> list[str]:
        """Fire every deadline due up to `until`, as the workflow's timers would."""
        fired: list[str] = []
        while True:
            due = [d for d in HAZARD.deadlines(self.state) if d.due_at <= until]
            if not due:
                break
            d = due[0]
            self.now = max(self.now, d.due_at)
            fired += self.do(
                SYSTEM,
                {"type": "deadline_elapsed", "key": d.key, "due_at": d.due_at.isoformat()},
                timedelta(0),
            )
        self.now = max(self.now, until)
        return fired

    @property
    def status(self) -> str:
        return self.state.status.value

    def keys(self) -> list[str]:
        return [d.key for d in HAZARD.deadlines(self.state)]


def general(deadline_days: int = 7) -> Case:
    c = Case()
    c.do(ENTERPRISE, REPORT)
    c.do(
        INSPECTOR,
        {
            "type": "grade",
            "level": "general",
            "deadline": (c.now + timedelta(days=deadline_days)).isoformat(),
        },
    )
    return c


def listed(days: int = 120) -> Case:
    c = Case()
    c.do(INSPECTOR, {**REPORT, "source": "inspection"})
    c.do(INSPECTOR, {"type": "grade", "level": "major", "basis": BASIS})
    c.do(
        SUPERVISOR,
        {
            "type": "list_for_supervision",
            "authority": "九龙坡区安委办",
            "deadline": (c.now + timedelta(days=days)).isoformat(),
            "requirements": "replace the valves",
            "stop_work": "partial",
        },
    )
    return c


def plan(c: Case, **over: Any) -> dict[str, Any]:
    return {
        "type": "submit_plan",
        "responsible": {"name": "张三", "phone": "13800000000"},
        "measures": ["replace valves"],
        "funds": {"amount": "120000", "source": "safety budget"},
        "deadline": (c.now + timedelta(days=90)).isoformat(),
        "contingency_plan": "leak drill plan",
        **over,
    }


def treating() -> Case:
    c = listed()
    c.do(ENTERPRISE, plan(c))
    c.do(SUPERVISOR, {"type": "decide_plan", "approved": True, "comment": "ok"})
    return c


# ---- creation ------------------------------------------------------------------------------------------


def test_the_hazard_decider_is_registered_under_kind_hazard() -> None:
    assert get_decider("hazard") is HAZARD


def test_an_enterprise_reports_its_own_hazard_and_a_grading_clock_starts() -> None:
    c = Case()
    assert c.do(ENTERPRISE, REPORT) == ["hazard_reported"]
    assert c.status == "reported" and c.keys() == ["grading"]
    assert c.state.policy == PACK.ref
    assert [n.recipient_role for n in c.notices] == ["inspector"]


def test_an_enterprise_may_not_report_for_another_enterprise() -> None:
    with pytest.raises(Forbidden, match="own enterprise"):
        Case().do(OTHER_ENTERPRISE, REPORT)


def test_an_enterprise_reports_only_self_inspection_findings() -> None:
    with pytest.raises(Forbidden) as e:
        Case().do(ENTERPRISE, {**REPORT, "source": "inspection"})
    assert e.value.to_dict()["rule"] == "source"


def test_an_inspector_outside_the_region_may_not_report() -> None:
    with pytest.raises(Forbidden, match="jurisdiction"):
        Case().do(FAR_INSPECTOR, {**REPORT, "source": "inspection"})


def test_origin_is_for_the_system_only_and_the_system_needs_one() -> None:
    origin = {"kind": "tip", "case_id": "TP-1", "ref": "action"}
    with pytest.raises(InvalidCommand, match="origin"):
        Case().do(OPERATOR, {**REPORT, "source": "inspection", "origin": origin})
    with pytest.raises(Forbidden):
        Case().do(SYSTEM, REPORT)
    c = Case()
    c.do(SYSTEM, {**REPORT, "source": "tip", "origin": origin})
    assert c.state.origin is not None and c.state.origin.case_id == "TP-1"


def test_an_incident_measure_is_created_graded_with_its_deadline() -> None:
    c = Case()
    deadline = T0 + timedelta(days=30)
    origin = {"kind": "incident", "case_id": "IN-1", "ref": "m1"}
    report = {
        **REPORT,
        "source": "incident",
        "origin": origin,
        "level": "general",
        "deadline": deadline.isoformat(),
    }
    assert c.do(SYSTEM, report) == ["hazard_reported", "graded"]
    assert c.status == "rectifying" and c.state.deadline == deadline


def test_a_report_with_an_unknown_field_or_source_is_malformed() -> None:
    with pytest.raises(ValidationError):
        HAZARD.parse_command({**REPORT, "colour": "red"})
    with pytest.raises(ValidationError):
        HAZARD.parse_command({**REPORT, "source": "rumour"})
    with pytest.raises(ValidationError):
        HAZARD.parse_command({**REPORT, "region": "5001"})


def test_a_hazard_discovered_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="future"):
        Case().do(ENTERPRISE, {**REPORT, "discovered_at": (T0 + timedelta(days=1)).isoformat()})


def test_nothing_but_report_is_accepted_before_the_case_exists() -> None:
    with pytest.raises(NotAllowedInState) as e:
        Case().do(INSPECTOR, {"type": "grade", "level": "general"})
    assert e.value.to_dict()["allowed"] == ["report"]


# ---- the general path ------------------------------------------------------------------------------------


def test_grading_general_without_a_deadline_uses_the_policy_default_and_arms_reminders() -> None:
    c = Case()
    c.do(ENTERPRISE, REPORT)
    c.do(INSPECTOR, {"type": "grade", "level": "general"})
    assert c.state.deadline == c.now + timedelta(days=7)
    assert c.keys() == ["reminder:P3D", "reminder:P1D", "rectification"]
    assert c.state.original_deadline == c.state.deadline


def test_an_enterprise_may_not_grade_its_own_hazard() -> None:
    c = Case()
    c.do(ENTERPRISE, REPORT)
    with pytest.raises(Forbidden, match="inspector or supervisor"):
        c.do(ENTERPRISE, {"type": "grade", "level": "general"})


def test_a_deadline_in_the_past_is_refused_at_grading() -> None:
    c = Case()
    c.do(ENTERPRISE, REPORT)
    with pytest.raises(InvalidCommand) as e:
        c.do(INSPECTOR, {"type": "grade", "level": "general", "deadline": T0.isoformat()})
    assert e.value.to_dict()["field"] == "deadline"


def test_general_hazard_rectified_and_reviewed_by_another_person_closes() -> None:
    c = general()
    assert c.do(ENTERPRISE, {"type": "submit_rectification", "summary": "earthed", "evidence": []}) == [
        "rectification_submitted"
    ]
    assert c.status == "verifying" and c.keys() == ["review"]
    c.do(INSPECTOR, {"type": "review", "passed": True, "comment": "ok"})
    assert c.status == "closed" and HAZARD.deadlines(c.state) == []
    assert HAZARD.summary(c.state)["terminal"] is True


def test_the_submitter_of_a_rectification_may_not_review_it() -> None:
    c = Case()
    c.do(ENTERPRISE, REPORT)
    c.do(INSPECTOR, {"type": "grade", "level": "general", "on_the_spot": True})
    assert c.status == "verifying"  # 立查立改
    with pytest.raises(Forbidden) as e:
        c.do(INSPECTOR, {"type": "review", "passed": True, "comment": "ok"})
    assert e.value.to_dict()["rule"] == "separation_of_duties"
    c.do(INSPECTOR2, {"type": "review", "passed": True, "comment": "ok"})
    assert c.status == "closed"


def test_on_the_spot_is_for_general_hazards_only() -> None:
    c = Case()
    c.do(ENTERPRISE, REPORT)
    with pytest.raises(InvalidCommand):
        c.do(INSPECTOR, {"type": "grade", "level": "major", "basis": BASIS, "on_the_spot": True})


def test_a_failed_review_needs_a_new_deadline_and_loops_back() -> None:
    c = general()
    c.do(ENTERPRISE, {"type": "submit_rectification", "summary": "x", "evidence": []})
    with pytest.raises(InvalidCommand) as e:
        c.do(INSPECTOR, {"type": "review", "passed": False, "comment": "no"})
    assert e.value.to_dict()["field"] == "new_deadline"
    new = c.now + timedelta(days=10)
    c.do(INSPECTOR, {"type": "review", "passed": False, "comment": "no", "new_deadline": new.isoformat()})
    assert c.status == "rectifying" and c.state.deadline == new
    assert c.state.original_deadline != new


def test_an_enterprise_may_not_review() -> None:
    c = general()
    c.do(OPERATOR, {"type": "submit_rectification", "summary": "x", "evidence": []})
    with pytest.raises(Forbidden):
        c.do(ENTERPRISE, {"type": "review", "passed": True, "comment": ""})


def test_reminders_then_overdue_then_escalation_without_an_explanation() -> None:
    c = general()
    deadline = c.state.deadline
    assert deadline is not None
    fired = c.fire_until(deadline + timedelta(minutes=1))
    assert fired == ["reminder_sent", "reminder_sent", "went_overdue"]
    assert c.state.overdue and c.keys() == ["explanation"]
    assert HAZARD.index(c.state).overdue is True
    kinds = {(n.kind, n.recipient_role, n.recipient_party) for n in c.notices}
    assert ("overdue", "enterprise_responsible", ENT) in kinds and ("overdue", "supervisor", REGION) in kinds
    assert c.fire_until(c.now + timedelta(days=4)) == ["deadline_missed"]
    assert ("escalation", "supervisor", "500000") in {  # 重庆: a district's next level is the municipality
        (n.kind, n.recipient_role, n.recipient_party) for n in c.notices
    }


def test_an_explanation_is_owed_only_when_overdue_and_only_once() -> None:
    c = general()
    with pytest.raises(NotAllowedInState, match="explanation"):
        c.do(ENTERPRISE, {"type": "submit_explanation", "text": "why"})
    c.fire_until(c.now + timedelta(days=8))
    c.do(ENTERPRISE, {"type": "submit_explanation", "text": "parts delayed"})
    assert "explanation" not in c.keys()
    with pytest.raises(NotAllowedInState):
        c.do(ENTERPRISE, {"type": "submit_explanation", "text": "again"})


def test_a_stale_timer_does_nothing() -> None:
    c = general()
    old = c.state.deadline
    assert old is not None
    c.do(ENTERPRISE, {"type": "submit_rectification", "summary": "x", "evidence": []})
    assert c.do(SYSTEM, {"type": "deadline_elapsed", "key": "rectification", "due_at": old.isoformat()}) == []


def test_deadline_elapsed_from_a_person_is_forbidden() -> None:
    c = general()
    with pytest.raises(Forbidden):
        c.do(INSPECTOR, {"type": "deadline_elapsed", "key": "rectification", "due_at": T0.isoformat()})


def test_a_general_extension_moves_the_deadline_and_keeps_the_original() -> None:
    c = general()
    original = c.state.deadline
    assert original is not None
    new = original + timedelta(days=5)
    c.do(ENTERPRISE, {"type": "request_extension", "new_deadline": new.isoformat(), "reason": "parts"})
    assert "extension_decision" in c.keys()
    with pytest.raises(NotAllowedInState):
        c.do(ENTERPRISE, {"type": "request_extension", "new_deadline": new.isoformat(), "reason": "again"})
    c.do(SUPERVISOR, {"type": "decide_extension", "approved": True, "comment": "ok"})
    assert c.state.deadline == new and c.state.original_deadline == original
    assert c.state.extensions[0].previous_deadline == original


def test_an_extension_must_be_later_and_asked_before_the_deadline() -> None:
    c = general()
    assert c.state.deadline is not None
    with pytest.raises(InvalidCommand):
        c.do(
            ENTERPRISE,
            {"type": "request_extension", "new_deadline": c.state.deadline.isoformat(), "reason": "r"},
        )
    c.fire_until(c.state.deadline + timedelta(hours=1))
    with pytest.raises(Conflict):
        later = c.now + timedelta(days=30)
        c.do(ENTERPRISE, {"type": "request_extension", "new_deadline": later.isoformat(), "reason": "r"})


def test_a_refused_extension_needs_a_reason_and_keeps_the_deadline() -> None:
    c = general()
    deadline = c.state.deadline
    assert deadline is not None
    c.do(
        ENTERPRISE,
        {
            "type": "request_extension",
            "new_deadline": (deadline + timedelta(days=3)).isoformat(),
            "reason": "r",
        },
    )
    with pytest.raises(InvalidCommand):
        c.do(SUPERVISOR, {"type": "decide_extension", "approved": False, "comment": ""})
    c.do(SUPERVISOR, {"type": "decide_extension", "approved": False, "comment": "no grounds"})
    assert c.state.deadline == deadline and c.state.extensions[-1].status == "rejected"


# ---- the major path ------------------------------------------------------------------------------------


def test_major_grading_needs_a_basis_and_owes_the_listing_clock() -> None:
    c = Case()
    c.do(ENTERPRISE, REPORT)
    with pytest.raises(InvalidCommand) as e:
        c.do(INSPECTOR, {"type": "grade", "level": "major"})
    assert e.value.to_dict()["field"] == "basis"
    c.do(INSPECTOR, {"type": "grade", "level": "major", "basis": BASIS})
    assert c.status == "reported_major" and c.keys() == ["listing"]
    assert [d.due_at for d in HAZARD.deadlines(c.state)] == [c.now + timedelta(hours=24)]


def test_only_a_supervisor_lists_a_major_hazard() -> None:
    c = Case()
    c.do(ENTERPRISE, REPORT)
    c.do(INSPECTOR, {"type": "grade", "level": "major", "basis": BASIS})
    body = {
        "type": "list_for_supervision",
        "authority": "a",
        "deadline": (c.now + timedelta(days=30)).isoformat(),
        "requirements": "r",
        "stop_work": "none",
    }
    with pytest.raises(Forbidden):
        c.do(INSPECTOR, body)
    c.do(SUPERVISOR, body)
    assert c.status == "listed"


def test_a_listing_lasts_at_most_a_year() -> None:
    c = Case()
    c.do(ENTERPRISE, REPORT)
    c.do(INSPECTOR, {"type": "grade", "level": "major", "basis": BASIS})
    with pytest.raises(InvalidCommand) as e:
        c.do(
            SUPERVISOR,
            {
                "type": "list_for_supervision",
                "authority": "a",
                "deadline": (c.now + timedelta(days=400)).isoformat(),
                "requirements": "r",
                "stop_work": "none",
            },
        )
    assert e.value.to_dict()["rule"] == "listing_max_duration"


def test_listing_with_stop_work_records_the_scope_and_arms_plan_progress_and_treatment_clocks() -> None:
    c = listed()
    assert c.state.stop_work.value == "partial"
    assert {"plan", "progress", "rectification", "listing_max"} <= set(c.keys())


def test_a_plan_missing_any_of_the_five_is_refused_naming_them() -> None:
    c = listed()
    with pytest.raises(InvalidCommand) as e:
        c.do(ENTERPRISE, {"type": "submit_plan", "measures": [], "contingency_plan": " "})
    missing = e.value.to_dict()["missing"]
    assert [m.split()[0] for m in missing] == ["责任", "措施", "资金", "时限", "预案"]
    for part, bad in (
        ("responsible", {"name": "张三", "phone": ""}),
        ("measures", []),
        ("funds", {"amount": "0", "source": "budget"}),
        ("contingency_plan", ""),
    ):
        with pytest.raises(InvalidCommand) as e:
            c.do(ENTERPRISE, plan(c, **{part: bad}))
        assert len(e.value.to_dict()["missing"]) == 1, part
    assert c.status == "listed"


def test_the_plan_deadline_must_fall_within_the_listing_deadline() -> None:
    c = listed(days=60)
    with pytest.raises(InvalidCommand) as e:
        c.do(ENTERPRISE, plan(c, deadline=(c.now + timedelta(days=90)).isoformat()))
    assert e.value.to_dict()["rule"] == "plan_deadline"


def test_a_rejected_plan_returns_to_listed_with_a_new_plan_clock() -> None:
    c = listed()
    c.do(ENTERPRISE, plan(c))
    with pytest.raises(InvalidCommand):
        c.do(SUPERVISOR, {"type": "decide_plan", "approved": False, "comment": ""})
    c.do(SUPERVISOR, {"type": "decide_plan", "approved": False, "comment": "funds unclear"})
    assert c.status == "listed" and "plan" in c.keys()


def test_major_hazard_cannot_close_without_passed_assessment() -> None:
    c = treating()
    c.do(ENTERPRISE, {"type": "submit_rectification", "summary": "treated", "evidence": []})
    assert c.status == "assessing"
    with pytest.raises(NotAllowedInState):
        c.do(SUPERVISOR, {"type": "review", "passed": True, "comment": "ok"})
    c.do(
        EXPERT,
        {
            "type": "submit_assessment",
            "assessor": "a",
            "organization": "o",
            "passed": False,
            "report_uri": "u",
        },
    )
    assert c.status == "treating"


def awaiting_review() -> Case:
    """A listed hazard treated and assessed: its write-off (核销) review is next."""
    c = treating()
    c.do(ENTERPRISE, {"type": "submit_rectification", "summary": "treated", "evidence": []})
    c.do(
        EXPERT,
        {
            "type": "submit_assessment",
            "assessor": "a",
            "organization": "o",
            "passed": True,
            "report_uri": "u",
        },
    )
    return c


def test_major_hazard_written_off_only_by_the_supervisor_after_a_passed_assessment() -> None:
    c = awaiting_review()
    assert c.status == "awaiting_review" and "review" in c.keys()
    with pytest.raises(Forbidden):
        c.do(INSPECTOR, {"type": "review", "passed": True, "comment": "ok"})
    c.do(SUPERVISOR, {"type": "review", "passed": True, "comment": "核销"})
    assert c.status == "written_off" and c.state.stop_work.value == "none"  # its publication owed
    assert c.state.listing is not None and c.state.listing.lifted_at == c.now


def test_a_failed_write_off_review_returns_to_treatment_with_a_new_deadline() -> None:
    c = treating()
    c.do(ENTERPRISE, {"type": "submit_rectification", "summary": "treated", "evidence": []})
    c.do(
        EXPERT,
        {
            "type": "submit_assessment",
            "assessor": "a",
            "organization": "o",
            "passed": True,
            "report_uri": "u",
        },
    )
    new = c.now + timedelta(days=30)
    c.do(SUPERVISOR, {"type": "review", "passed": False, "comment": "leaks", "new_deadline": new.isoformat()})
    assert c.status == "treating" and c.state.deadline == new


def test_an_only_an_expert_submits_the_assessment() -> None:
    c = treating()
    c.do(ENTERPRISE, {"type": "submit_rectification", "summary": "treated", "evidence": []})
    with pytest.raises(Forbidden):
        c.do(
            ENTERPRISE,
            {
                "type": "submit_assessment",
                "assessor": "a",
                "organization": "o",
                "passed": True,
                "report_uri": "u",
            },
        )


def test_a_listed_extension_is_refused_inside_the_lead_time_in_working_days() -> None:
    c = listed(days=20)
    assert c.state.deadline is not None
    new = c.state.deadline + timedelta(days=30)
    with pytest.raises(Conflict) as e:
        c.do(ENTERPRISE, {"type": "request_extension", "new_deadline": new.isoformat(), "reason": "r"})
    assert e.value.to_dict()["rule"] == "extension_lead"


def test_a_listed_hazard_overdue_goes_on_the_warning_list() -> None:
    c = treating()
    assert c.state.deadline is not None
    c.fire_until(c.state.deadline + timedelta(minutes=1))
    assert c.state.overdue and c.state.warning_list
    assert "warning_list" in [n.kind for n in c.notices]


def test_a_missing_progress_report_marks_overdue_and_the_clock_rearms() -> None:
    c = treating()
    due = c.state.progress_due
    assert due is not None
    c.fire_until(due + timedelta(minutes=1))
    assert (
        HAZARD.index(c.state).overdue is True
        and c.state.progress_due is not None
        and c.state.progress_due > due
    )
    c.do(ENTERPRISE, {"type": "report_progress", "percent": 50, "note": "half"})
    assert HAZARD.index(c.state).overdue is False


def test_regrading_moves_between_the_paths() -> None:
    c = general()
    with pytest.raises(InvalidCommand):
        c.do(INSPECTOR, {"type": "regrade", "level": "general", "reason": "same"})
    c.do(INSPECTOR, {"type": "regrade", "level": "major", "basis": BASIS, "reason": "worse than thought"})
    assert c.status == "reported_major" and c.state.deadline is None
    c.do(SUPERVISOR, {"type": "regrade", "level": "general", "reason": "re-assessed"})
    assert c.status == "rectifying" and c.state.deadline is not None


def test_cancel_needs_a_reason_and_the_right_role_and_ends_everything() -> None:
    c = general()
    with pytest.raises(Forbidden):
        c.do(ENTERPRISE, {"type": "cancel", "reason": "r"})
    c.do(OPERATOR, {"type": "cancel", "reason": "duplicate of HZ-0"})
    assert c.status == "cancelled" and HAZARD.deadlines(c.state) == []
    with pytest.raises(NotAllowedInState) as e:
        c.do(OPERATOR, {"type": "cancel", "reason": "again"})
    assert e.value.to_dict()["allowed"] == []


def test_an_auditor_changes_nothing() -> None:
    c = general()
    with pytest.raises(Forbidden, match="auditors"):
        c.do(AUDITOR, {"type": "cancel", "reason": "r"})


# ---- enforcement ----------------------------------------------------------------------------------------


def accruing() -> tuple[Case, datetime]:
    """A fined hazard found not rectified at re-inspection 5 days after the order: daily penalties run."""
    c = general(deadline_days=5)
    ordered = c.state.ordered_at
    assert ordered is not None
    c.do(
        INSPECTOR,
        {"type": "impose_penalty", "amount": "10000", "decision_no": "D-1", "legal_basis": "Art. 102"},
    )
    c.fire_until(ordered + timedelta(days=5, hours=1))
    c.do(INSPECTOR, {"type": "reinspect", "compliant": False, "note": "not fixed"})  # after the deadline
    return c, ordered


def test_daily_penalties_accrue_from_the_day_after_the_order_until_compliance() -> None:
    c, ordered = accruing()
    p = c.state.penalty
    assert p.accruing and p.days_accrued == 5 and p.accrued_total == Decimal("50000")
    c.fire_until(ordered + timedelta(days=15, hours=2))
    p = c.state.penalty
    assert p.days_accrued == 15 and p.accrued_total == Decimal("10000") * 15
    c.do(INSPECTOR, {"type": "reinspect", "compliant": True, "note": "fixed"})
    assert not c.state.penalty.accruing and c.status == "verifying"
    c.fire_until(c.now + timedelta(days=3))
    assert c.state.penalty.days_accrued == 15


def ordered_at(hour: int, minute: int, deadline_days: int) -> Case:
    """A general hazard ordered corrected at hour:minute (Asia/Shanghai), fined 1000 yuan."""
    c = Case()
    c.do(ENTERPRISE, REPORT)
    c.now = c.now.replace(hour=hour, minute=minute) - timedelta(minutes=1)
    c.do(
        INSPECTOR,
        {
            "type": "grade",
            "level": "general",
            "deadline": (c.now + timedelta(minutes=1, days=deadline_days)).isoformat(),
        },
        timedelta(minutes=1),
    )
    c.do(INSPECTOR, {"type": "impose_penalty", "amount": "1000", "decision_no": "D-1", "legal_basis": "L"})
    return c


def reinspect_at(c: Case, at: datetime) -> None:
    c.fire_until(at)
    c.do(INSPECTOR, {"type": "reinspect", "compliant": False, "note": "not fixed"}, at - c.now)


@pytest.mark.parametrize("before", [timedelta(days=3), timedelta(days=1), timedelta(seconds=1)])
def test_a_failed_reinspection_before_the_deadline_establishes_no_refusal(before: timedelta) -> None:
    """Art. 112: refusal to correct is established at or after the correction deadline, not before."""
    c = ordered_at(10, 0, deadline_days=7)
    deadline = c.state.deadline
    assert deadline is not None
    reinspect_at(c, deadline - before)
    assert not c.state.penalty.accruing and c.state.penalty.accrued_total == 0
    assert not [d for d in HAZARD.deadlines(c.state) if d.key == "penalty_accrual"]


@pytest.mark.parametrize(
    ("after", "days"),
    [
        (timedelta(0), 7),
        (timedelta(hours=13, minutes=59), 7),
        (timedelta(hours=14), 8),
        (timedelta(days=1), 8),
    ],
)
def test_daily_penalty_from_the_day_of_the_deadline_counts_calendar_days(after: timedelta, days: int) -> None:
    """At the deadline (the day of) or after it (the day after): the original fine for every calendar day
    (Asia/Shanghai) from the day after the day of the order; 14:00 + 10 h is the next day's midnight."""
    c = ordered_at(10, 0, deadline_days=7)
    deadline = c.state.deadline
    assert deadline is not None
    reinspect_at(c, deadline + after)
    p = c.state.penalty
    assert p.accruing and p.days_accrued == days and p.accrued_total == Decimal(1000) * days
    today = c.now.astimezone(CN_TZ).date()
    assert p.next_accrual_at == datetime.combine(today + timedelta(days=1), datetime.min.time(), CN_TZ)


def test_a_late_evening_order_counts_days_not_24_hour_periods() -> None:
    """Ordered Monday 23:30, re-inspected Thursday 00:30 (49 hours later): Tuesday, Wednesday and
    Thursday are owed (the calendar days after the day of the order), not two 24-hour periods; Friday's
    day is added at Friday's midnight."""
    c = ordered_at(23, 30, deadline_days=1)
    ordered = c.state.ordered_at
    assert ordered is not None
    reinspect_at(c, ordered + timedelta(hours=49))
    assert c.state.penalty.days_accrued == 3
    c.fire_until(c.now + timedelta(hours=23))
    assert c.state.penalty.days_accrued == 3
    c.fire_until(c.now + timedelta(hours=1))
    assert c.state.penalty.days_accrued == 4 and c.state.penalty.accrued_total == Decimal(4000)


def test_confiscations_count_in_the_hazard_summary() -> None:
    """没收违法所得 is recorded with the penalty decision and shown for the reward base."""
    c = general()
    c.do(
        INSPECTOR,
        {
            "type": "impose_penalty",
            "amount": "1000",
            "decision_no": "D-1",
            "legal_basis": "L",
            "confiscated": "250.50",
        },
    )
    assert HAZARD.summary(c.state)["confiscated_total"] == "250.50"
    assert HAZARD.view(c.state)["penalty"]["confiscated_total"] == "250.50"
    with pytest.raises(ValidationError):
        HAZARD.parse_command(
            {
                "type": "impose_penalty",
                "amount": "1",
                "decision_no": "D",
                "legal_basis": "L",
                "confiscated": "-1",
            }
        )


def test_without_a_fine_a_failed_reinspection_accrues_nothing() -> None:
    c = general()
    c.do(INSPECTOR, {"type": "reinspect", "compliant": False, "note": "not fixed"})
    assert not c.state.penalty.accruing


def test_a_penalty_needs_a_positive_amount_and_a_new_decision_number() -> None:
    with pytest.raises(ValidationError):
        HAZARD.parse_command(
            {"type": "impose_penalty", "amount": "0", "decision_no": "D", "legal_basis": "L"}
        )
    c = general()
    c.do(INSPECTOR, {"type": "impose_penalty", "amount": "100", "decision_no": "D-1", "legal_basis": "L"})
    with pytest.raises(Conflict):
        c.do(INSPECTOR, {"type": "impose_penalty", "amount": "100", "decision_no": "D-1", "legal_basis": "L"})
    assert HAZARD.summary(c.state)["fine_total"] == "100"


def test_a_hazard_alone_never_proposes_closing_the_enterprise() -> None:
    """Art. 113 counts an enterprise's penalties across all its cases (the enterprise record decides):
    three penalties on one general hazard propose nothing here."""
    c = general(deadline_days=300)
    for i in range(3):
        assert c.do(
            INSPECTOR,
            {"type": "impose_penalty", "amount": "100", "decision_no": f"D-{i}", "legal_basis": "L"},
            timedelta(days=30),
        ) == ["penalty_imposed"]
    assert not c.state.closure_proposed
    assert "closure_proposal" not in [n.kind for n in c.notices]


def test_stop_work_ordered_and_lifted_by_the_supervisor() -> None:
    c = general()
    with pytest.raises(NotAllowedInState):
        c.do(SUPERVISOR, {"type": "lift_stop_work", "reason": "r"})
    c.do(INSPECTOR, {"type": "order_stop_work", "scope": "full", "reason": "imminent danger"})
    assert c.state.stop_work.value == "full"
    with pytest.raises(Conflict):
        c.do(INSPECTOR, {"type": "order_stop_work", "scope": "full", "reason": "again"})
    with pytest.raises(Forbidden):
        c.do(INSPECTOR, {"type": "lift_stop_work", "reason": "safe"})
    c.do(SUPERVISOR, {"type": "lift_stop_work", "reason": "safe"})
    assert c.state.stop_work.value == "none"


def test_the_view_index_and_summary_show_what_the_api_promises() -> None:
    c = general()
    c.do(INSPECTOR, {"type": "impose_penalty", "amount": "2500.50", "decision_no": "D-1", "legal_basis": "L"})
    v = HAZARD.view(c.state)
    for key in (
        "id",
        "status",
        "policy",
        "enterprise_id",
        "region",
        "level",
        "risk_color",
        "listing",
        "plan",
        "penalty",
        "deadlines",
        "overdue",
        "original_deadline",
        "created_at",
        "updated_at",
    ):
        assert key in v, key
    assert v["penalty"]["fine_total"] == "2500.50"
    idx = HAZARD.index(c.state)
    assert (idx.status, idx.level, idx.region, idx.enterprise_id) == ("rectifying", "general", REGION, ENT)
    assert idx.next_due_at == HAZARD.deadlines(c.state)[0].due_at
