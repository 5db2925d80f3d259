"""Campaigns (专项行动, seed 003 三、(一)), rule by rule: which hazards are under one (the deadline day and
the day after, Asia/Shanghai), the launch's scope, the deadline clock, the written explanations owed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.actors import SYSTEM, Actor, Role
from domain.campaign import CAMPAIGN, OVERDUE_LISTING, CampaignState, ends_at, out_of_scope
from domain.decider import ChildCaseUpdated, Context, DeadlineElapsed
from domain.errors import Forbidden, InvalidCommand, NotAllowedInState
from domain.policy import parse_pack
from domain.timecalc import CN_TZ

ROOT = Path(__file__).resolve().parents[2]
PACK = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=CN_TZ)
SUPERVISOR = Actor(id="sup-1", name="王主任", role=Role.supervisor, region="500100")
FAR_SUPERVISOR = Actor(id="sup-9", role=Role.supervisor, region="510100")
ENT_1 = Actor(id="ent-1", role=Role.enterprise, region="500107", enterprise_id="E-1")
ENT_2 = Actor(id="ent-2", role=Role.enterprise, region="500107", enterprise_id="E-2")
LAUNCH = {
    "type": "launch",
    "title": "隐患大排查大整治",
    "region": "500100",
    "regions": ["500107", "500108"],
    "industries": ["建筑施工"],
    "starts_on": "2026-03-10",
    "deadline": "2026-09-30",
}
SCOPE: dict[str, Any] = {
    "regions": ["500107"],
    "industries": ["建筑施工"],
    "starts_on": date(2026, 3, 10),
    "deadline": date(2026, 9, 30),
}


class Campaign:
    def __init__(self) -> None:
        self.state: CampaignState = CAMPAIGN.initial_state()
        self.now = T0
        self.notices: list[Any] = []

    def do(self, actor: Actor, command: Any, at: datetime | None = None) -> list[str]:
        self.now = at or self.now
        ctx = Context(actor=actor, now=self.now, policy=PACK, case_id="CP-1")
        parsed = CAMPAIGN.parse_command(command) if isinstance(command, dict) else command
        events = CAMPAIGN.decide(self.state, parsed, ctx)
        for e in events:
            before, self.state = self.state, CAMPAIGN.evolve(self.state, e)
            self.notices += CAMPAIGN.notices(before, e, self.state)
            assert CAMPAIGN.parse_event(e.model_dump_json()) == e
        assert CAMPAIGN.parse_state(self.state.model_dump(mode="json")) == self.state
        return [e.type for e in events]


def test_a_hazard_reported_on_the_deadline_day_is_under_the_campaign_the_day_after_is_not() -> None:
    last = datetime(2026, 9, 30, 23, 59, 59, tzinfo=CN_TZ)
    assert out_of_scope(**SCOPE, region="500107", industry="建筑施工", reported_at=last) is None
    why = out_of_scope(**SCOPE, region="500107", industry="建筑施工", reported_at=last + timedelta(seconds=1))
    assert why is not None and "after the campaign's deadline day 2026-09-30" in why
    assert ends_at(date(2026, 9, 30)).isoformat() == "2026-10-01T00:00:00+08:00"


def test_the_first_day_counts_and_region_and_industry_bound_the_scope() -> None:
    first = datetime(2026, 3, 10, 0, 0, tzinfo=CN_TZ)
    assert out_of_scope(**SCOPE, region="500107", industry="建筑施工", reported_at=first) is None
    before = out_of_scope(
        **SCOPE, region="500107", industry="建筑施工", reported_at=first - timedelta(seconds=1)
    )
    assert before is not None and "before the campaign started" in before
    region = out_of_scope(**SCOPE, region="500108", industry="建筑施工", reported_at=first)
    assert region is not None and "region 500108 is outside" in region
    industry = out_of_scope(**SCOPE, region="500107", industry="危险化学品", reported_at=first)
    assert industry is not None and "industry 危险化学品" in industry
    every_industry = {**SCOPE, "industries": [], "regions": ["500100"]}
    assert out_of_scope(**every_industry, region="500107", industry="", reported_at=first) is None


def test_a_scope_region_outside_the_campaign_region_is_refused_naming_it() -> None:
    c = Campaign()
    with pytest.raises(InvalidCommand) as e:
        c.do(SUPERVISOR, {**LAUNCH, "regions": ["500107", "510104"]})
    assert e.value.to_dict()["field"] == "regions" and e.value.to_dict()["rule"] == "campaign_scope"
    assert "510104" in e.value.detail
    with pytest.raises(Forbidden):
        c.do(FAR_SUPERVISOR, LAUNCH)
    with pytest.raises(InvalidCommand) as e:
        c.do(SUPERVISOR, {**LAUNCH, "deadline": "2026-03-09"})
    assert e.value.to_dict()["rule"] == "deadline_after_start"
    with pytest.raises(InvalidCommand) as e:
        c.do(SUPERVISOR, {**LAUNCH, "starts_on": "2026-03-01", "deadline": "2026-03-09"})
    assert e.value.to_dict()["rule"] == "future_deadline"


def test_the_deadline_clock_falls_at_the_end_of_the_deadline_day_and_lists_the_open_hazards() -> None:
    c = Campaign()
    assert c.do(SUPERVISOR, LAUNCH) == ["launched"]
    (clock,) = CAMPAIGN.deadlines(c.state)
    assert clock.due_at == datetime(2026, 10, 1, 0, 0, tzinfo=CN_TZ)
    assert c.do(
        SUPERVISOR,
        {
            "type": "sign_report",
            "period": "3月30日阶段情况",
            "content_sha256": "a" * 64,
            "signer_title": "分管领导",
        },
    ) == ["report_signed"]
    assert c.state.signatures[0].signer_name == "王主任" and c.state.signatures[0].content_sha256 == "a" * 64
    tick = DeadlineElapsed(key="deadline", due_at=clock.due_at)
    assert c.do(SYSTEM, tick, at=clock.due_at) == ["deadline_reached"]
    assert c.state.status == "deadline_passed" and CAMPAIGN.deadlines(c.state) == []
    listing = ChildCaseUpdated(
        child_id="CP-1",
        child_kind="hazard",
        ref=OVERDUE_LISTING,
        summary={
            "hazards": [
                {"id": "HZ-1", "enterprise_id": "E-1", "region": "500107", "status": "rectifying"},
                {"id": "HZ-2", "enterprise_id": "E-2", "region": "500108", "status": "treating"},
            ]
        },
    )
    assert c.do(SYSTEM, listing) == ["overdue_listed"]
    assert c.state.status == "explanations_owed" and CAMPAIGN.index(c.state).overdue
    asked = [(n.kind, n.recipient_role, n.recipient_party) for n in c.notices]
    assert ("explanation_required", "enterprise_responsible", "E-1") in asked
    assert ("explanation_required", "enterprise_responsible", "E-2") in asked
    assert ("overdue", "supervisor", "500100") in asked
    # a hazard that is not one of the listed: a clear refusal naming the field and the rule
    with pytest.raises(InvalidCommand) as e:
        c.do(ENT_1, {"type": "explain_overdue", "hazard_id": "HZ-9", "explanation": "x"})
    assert e.value.to_dict()["field"] == "hazard_id" and e.value.to_dict()["rule"] == "campaign_scope"
    # an enterprise explains its own hazards only
    with pytest.raises(Forbidden):
        c.do(ENT_2, {"type": "explain_overdue", "hazard_id": "HZ-1", "explanation": "x"})
    assert c.do(ENT_1, {"type": "explain_overdue", "hazard_id": "HZ-1", "explanation": "设备未到货"}) == [
        "overdue_explained"
    ]
    with pytest.raises(InvalidCommand):
        c.do(ENT_1, {"type": "explain_overdue", "hazard_id": "HZ-1", "explanation": "again"})
    assert [h.id for h in c.state.owing()] == ["HZ-2"]
    c.do(
        SUPERVISOR,
        {
            "type": "explain_overdue",
            "hazard_id": "HZ-2",
            "explanation": "体制原因",
            "refer_to_government": True,
        },
    )
    assert c.state.status == "closed" and CAMPAIGN.index(c.state).terminal
    with pytest.raises(NotAllowedInState):
        c.do(
            SUPERVISOR,
            {"type": "sign_report", "period": "p", "content_sha256": "b" * 64, "signer_title": "t"},
        )


def test_nothing_open_at_the_deadline_closes_the_campaign_and_a_stale_timer_records_nothing() -> None:
    c = Campaign()
    c.do(SUPERVISOR, LAUNCH)
    (clock,) = CAMPAIGN.deadlines(c.state)
    assert c.do(SYSTEM, DeadlineElapsed(key="deadline", due_at=clock.due_at - timedelta(days=1))) == []
    c.do(SYSTEM, DeadlineElapsed(key="deadline", due_at=clock.due_at), at=clock.due_at)
    c.do(
        SYSTEM,
        ChildCaseUpdated(child_id="CP-1", child_kind="hazard", ref=OVERDUE_LISTING, summary={"hazards": []}),
    )
    assert c.state.status == "closed"


def test_a_deadline_given_as_a_number_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        CAMPAIGN.parse_command({**LAUNCH, "deadline": 1790000000})
