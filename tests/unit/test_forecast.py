"""推演: folding a case's owed deadlines through its own rules, with nobody acting (domain/forecast.py)."""

from __future__ import annotations

from decimal import Decimal

from domain.forecast import forecast
from domain.hazard import HAZARD
from tests.unit.test_hazard_decider import INSPECTOR, OPERATOR, PACK, REPORT, Case, accruing, general


def test_forecast_of_a_general_hazard_matches_what_the_timers_would_do_and_rests() -> None:
    c = general(deadline_days=7)
    before = c.state
    f = forecast(HAZARD, c.state, PACK, "HZ-1")
    assert c.state == before  # pure: the case itself is untouched
    assert f.ends == "rests" and f.still_owed == []
    kinds = [s.clock for s in f.steps]
    assert "reminder" in kinds and "rectification" in kinds and "explanation" in kinds
    assert kinds.index("rectification") < kinds.index("explanation")
    went = next(s for s in f.steps if s.clock == "rectification")
    assert [e["type"] for e in went.events] == ["went_overdue"] and went.overdue_after
    escalation = next(s for s in f.steps if s.clock == "explanation")
    # one level up from 500107 by the pack's jurisdiction tree: Chongqing's districts answer to the city
    assert escalation.events[0]["escalated_to"] == "500000"
    assert any(n.kind == "escalation" or n.recipient_party == "500000" for n in escalation.notices)
    # the same events the workflow's timers would record, at the same instants
    already = len(c.events)
    c.fire_until(f.steps[-1].at)
    fired = [e.model_dump(mode="json") for e in c.events[already:]]
    assert fired == [e for s in f.steps for e in s.events]


def test_forecast_of_a_reported_hazard_escalates_the_missed_grading() -> None:
    c = Case()
    c.do(INSPECTOR, {**REPORT, "source": "inspection"})
    f = forecast(HAZARD, c.state, PACK, "HZ-1")
    assert [s.key for s in f.steps] == ["grading"]
    assert f.steps[0].events[0]["type"] == "deadline_missed"
    assert f.steps[0].status_after == "reported" and f.ends == "rests"


def test_daily_penalties_run_until_the_step_bound_and_say_so() -> None:
    c, _ = accruing()
    f = forecast(HAZARD, c.state, PACK, "HZ-1", max_steps=10)
    assert f.ends == "max_steps" and len(f.steps) == 10
    days = [s.events[0] for s in f.steps if s.key == "penalty_accrual"]
    assert days and all(Decimal(d["amount"]) == Decimal("10000") for d in days)
    assert [d["day"] for d in days] == list(range(6, 6 + len(days)))
    assert f.still_owed and f.still_owed[0].key in {s.key for s in f.steps}


def test_a_cancelled_case_has_no_future() -> None:
    c = general()
    c.do(OPERATOR, {"type": "cancel", "reason": "duplicate"})
    f = forecast(HAZARD, c.state, PACK, "HZ-1")
    assert f.steps == [] and f.ends == "rests" and f.status_at_end == "cancelled"
