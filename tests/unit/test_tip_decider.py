"""Whistleblower tips (安全生产举报), docs/rules.md#tips: every transition and every refusal of the tip
decider."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from domain.actors import SYSTEM, Actor, Role
from domain.decider import ChildSpec, Context, Notice
from domain.errors import Conflict, DomainError, Forbidden, InvalidCommand, NotAllowedInState
from domain.policy import PolicyPack, PolicyValue, parse_pack
from domain.registry import get_decider
from domain.timecalc import CN_TZ
from domain.tip import TIP, TipState, concealed_reward, fine_reward
from domain.tip.commands import PUBLIC_INTAKE_ACTOR_ID

ROOT = Path(__file__).resolve().parents[2]
PACK = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
FAST = parse_pack((ROOT / "policies" / "test-fast.toml").read_text())
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CN_TZ)
TIP_ID = "tip-0001"
TOKEN_HASH = "a" * 64
REGION = "500107"

PUBLIC = Actor(id=PUBLIC_INTAKE_ACTOR_ID, name="public", role=Role.operator, region=REGION)
OPERATOR = Actor(id="op-1", role=Role.operator, region=REGION)
INSPECTOR = Actor(id="insp-1", role=Role.inspector, region=REGION)
SUPERVISOR = Actor(id="sup-1", role=Role.supervisor, region=REGION)
CITY_SUPERVISOR = Actor(id="sup-city", role=Role.supervisor, region="500100")
# the next-higher level of a 重庆 district is the municipality: it approves a verification extension
ABOVE = Actor(id="sup-muni", role=Role.supervisor, region="500000")
OTHER_INSPECTOR = Actor(id="insp-9", role=Role.inspector, region="500108")
AUDITOR = Actor(id="aud-1", role=Role.auditor, region="500000")
ENTERPRISE = Actor(id="ent-user", role=Role.enterprise, region=REGION, enterprise_id="E-1")
EXPERT = Actor(id="exp-1", role=Role.expert, region=REGION)

HAZARD_ACTION: dict[str, Any] = {
    "kind": "hazard",
    "title": "Blocked fire exit in workshop 2",
    "description": "The east fire exit is locked with a chain during shifts",
    "enterprise_id": "E-1",
    "region": REGION,
    "industry": "manufacturing",
    "location": "workshop 2",
    "category": "unsafe_condition",
    "risk_color": "orange",
}
INCIDENT_ACTION: dict[str, Any] = {
    "kind": "incident",
    "occurred_at": "2026-01-10T22:00:00+08:00",
    "enterprise_id": "E-1",
    "region": REGION,
    "type": "industrial",
    "deaths": 2,
    "serious_injuries": 0,
    "direct_loss": "1500000",
    "description": "A fall from height that the enterprise did not report",
}


def receive_body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "receive",
        "channel": "web",
        "region": REGION,
        "enterprise_id": "E-1",
        "content": "The fire exit of workshop 2 is chained shut every night.",
        "evidence": [{"uri": "s3://tips/1.jpg", "sha256": "b" * 64}],
        "reporter_identified": False,
        "claim_token_hash": TOKEN_HASH,
        "received_via": "public",
    }
    body.update(over)
    return body


class Tip:
    """A tip under test: runs commands through parse → decide → evolve, keeps notices and children."""

    def __init__(self, policy: PolicyPack = PACK) -> None:
        self.policy = policy
        self.state: TipState = TIP.initial_state()
        self.now = T0
        self.events: list[Any] = []
        self.notices: list[Notice] = []
        self.children: list[ChildSpec] = []

    def ctx(self, actor: Actor) -> Context:
        return Context(actor=actor, now=self.now, policy=self.policy, case_id=TIP_ID)

    def do(self, actor: Actor, body: dict[str, Any]) -> list[Any]:
        command = TIP.parse_command(body)
        events = TIP.decide(self.state, command, self.ctx(actor))
        for e in events:
            before = self.state
            self.state = TIP.evolve(self.state, e)
            self.notices.extend(TIP.notices(before, e, self.state))
            self.children.extend(TIP.children(before, e, self.state))
        self.events.extend(events)
        return events

    def refused(self, actor: Actor, body: dict[str, Any], error: type[DomainError]) -> DomainError:
        before = self.state
        with pytest.raises(error) as info:
            self.do(actor, body)
        assert self.state == before
        return info.value

    def advance(self, **delta: float) -> None:
        self.now = self.now + timedelta(**delta)

    def fire(self, key: str) -> list[Any]:
        (d,) = [d for d in TIP.deadlines(self.state) if d.key == key]
        self.now = max(self.now, d.due_at)
        events = self.do(SYSTEM, {"type": "deadline_elapsed", "key": d.key, "due_at": d.due_at.isoformat()})
        assert (key, d.due_at) not in {(x.key, x.due_at) for x in TIP.deadlines(self.state)}
        return events

    def child_update(self, summary: dict[str, Any], child_id: str | None = None) -> list[Any]:
        assert self.state.child is not None
        return self.do(
            SYSTEM,
            {
                "type": "child_case_updated",
                "child_id": child_id or self.state.child.case_id,
                "child_kind": self.state.child.kind,
                "ref": "action",
                "summary": summary,
            },
        )

    def keys(self) -> set[str]:
        return {d.key for d in TIP.deadlines(self.state)}

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    # ---- canned paths -----------------------------------------------------------------------------------

    def received(self, **over: Any) -> Tip:
        self.do(PUBLIC, receive_body(**over))
        return self

    def verifying(self, **triage: Any) -> Tip:
        self.received()
        self.do(OPERATOR, {"type": "triage", "in_scope": True, **triage})
        return self

    def substantiated(self, action: dict[str, Any] | None = None, **triage: Any) -> Tip:
        self.verifying(**triage)
        body: dict[str, Any] = {"type": "record_verification", "substantiated": True, "findings": "Confirmed"}
        if action is not None:
            body["action"] = action
        self.do(INSPECTOR, body)
        return self

    def feedback(self) -> Tip:
        self.do(INSPECTOR, {"type": "send_feedback", "text": "Your tip was verified; action was taken."})
        return self

    def reward_assessing(self, fine: str = "50000", **triage: Any) -> Tip:
        self.substantiated(HAZARD_ACTION, **triage)
        self.feedback()
        self.child_update({"status": "closed", "terminal": True, "fine_total": fine})
        assert self.state.status == "reward_assessing"
        return self

    def approved(self) -> Tip:
        self.reward_assessing()
        self.do(INSPECTOR, {"type": "assess_reward", "comment": ""})
        self.do(SUPERVISOR, {"type": "approve_reward", "comment": "ok"})
        return self


FORBIDDEN_KEYS = {"reporter", "name", "contact", "phone", "claim_token_hash", "reporter_name"}


def assert_no_reporter_data(obj: Any) -> None:
    """No key that could hold a reporter's identity, and not even the claim token's hash."""
    if isinstance(obj, dict):
        assert not FORBIDDEN_KEYS & set(obj), set(obj)
        for v in obj.values():
            assert_no_reporter_data(v)
    elif isinstance(obj, list):
        for v in obj:
            assert_no_reporter_data(v)
    else:
        assert obj != TOKEN_HASH


# ---- receive ----------------------------------------------------------------------------------------------


def test_tip_decider_is_registered_under_kind_tip() -> None:
    assert get_decider("tip") is TIP
    assert TIP.kind == "tip"


def test_public_tip_is_received_with_only_identity_flags_and_the_claim_token_hash() -> None:
    t = Tip().received()
    s = t.state
    assert (s.id, s.status, s.region, s.enterprise_id) == (TIP_ID, "received", REGION, "E-1")
    assert s.anonymous and not s.reporter_identified
    assert s.claim_token_hash == TOKEN_HASH
    assert s.received_by == PUBLIC_INTAKE_ACTOR_ID and s.received_via == "public"
    assert s.policy == PACK.ref
    assert t.types() == ["tip_received"]


def test_operator_takes_a_hotline_call_from_an_identified_reporter() -> None:
    t = Tip()
    t.do(
        OPERATOR,
        receive_body(
            channel="hotline_12350", reporter_identified=True, claim_token_hash=None, received_via="operator"
        ),
    )
    assert t.state.reporter_identified and not t.state.anonymous
    assert t.state.claim_token_hash is None


@pytest.mark.parametrize("field", ["reporter", "name", "contact", "reporter_name", "phone"])
def test_receive_refuses_any_reporter_identity_field(field: str) -> None:
    with pytest.raises(ValidationError):
        TIP.parse_command(receive_body(**{field: {"name": "张三", "contact": "138"}}))


def test_a_tip_received_by_an_inspector_at_a_visit_is_accepted() -> None:
    t = Tip()
    t.do(INSPECTOR, receive_body(channel="visit", received_via="operator", claim_token_hash=None))
    assert t.state.status == "received"


def test_public_route_is_only_for_the_public_intake_actor() -> None:
    err = Tip().refused(OPERATOR, receive_body(received_via="public"), InvalidCommand)
    assert err.extra["field"] == "received_via"
    err = Tip().refused(PUBLIC, receive_body(received_via="operator"), InvalidCommand)
    assert err.extra["rule"] == "intake_route"


@pytest.mark.parametrize(
    "over",
    [
        {"content": ""},
        {"content": "x" * 10_001},
        {"channel": "wechat"},
        {"region": "5001"},
        {"claim_token_hash": "not-a-sha256"},
        {"evidence": [{"uri": "s3://x", "sha256": "short"}]},
        {"received_via": "internet"},
        {"reporter_identified": None},
    ],
)
def test_malformed_intake_is_a_validation_error(over: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        TIP.parse_command(receive_body(**over))


def test_content_of_10000_characters_is_accepted_and_blank_content_refused() -> None:
    Tip().received(content="x" * 10_000)
    err = Tip().refused(PUBLIC, receive_body(content="   "), InvalidCommand)
    assert err.extra["field"] == "content"


@pytest.mark.parametrize("who", [ENTERPRISE, EXPERT, SYSTEM])
def test_enterprise_expert_and_system_cannot_receive_a_tip(who: Actor) -> None:
    err = Tip().refused(who, receive_body(received_via="operator"), Forbidden)
    assert err.extra["rule"] == "role"


def test_auditor_changes_nothing() -> None:
    err = Tip().refused(AUDITOR, receive_body(received_via="operator"), Forbidden)
    assert err.extra["rule"] == "auditor_read_only"


def test_operator_cannot_receive_a_tip_outside_the_jurisdiction() -> None:
    err = Tip().refused(OPERATOR, receive_body(region="510104", received_via="operator"), Forbidden)
    assert err.extra["rule"] == "jurisdiction"


def test_a_tip_is_received_only_once() -> None:
    t = Tip().received()
    err = t.refused(PUBLIC, receive_body(), NotAllowedInState)
    assert err.extra["case_status"] == "received" and err.extra["allowed"] == ["triage"]


def test_nothing_but_receive_before_the_tip_exists() -> None:
    err = Tip().refused(OPERATOR, {"type": "triage", "in_scope": True}, NotAllowedInState)
    assert err.extra["allowed"] == ["receive"]


def test_unknown_command_type_is_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        TIP.parse_command({"type": "grade", "level": "major"})


def test_received_tip_owes_triage_and_notifies_intake_and_inspectors_without_content() -> None:
    t = Tip().received()
    (d,) = TIP.deadlines(t.state)
    assert d.key == "triage" and d.due_at == T0 + timedelta(days=10)
    assert {(n.recipient_role, n.recipient_party) for n in t.notices} == {
        ("operator", REGION),
        ("inspector", REGION),
    }
    for n in t.notices:
        assert t.state.content not in json.dumps(n.model_dump(mode="json"))


def test_triage_clock_uses_tip_triage_due_when_the_pack_has_it() -> None:
    values = {**PACK.values, "tip.triage_due": PolicyValue(value="P5D", source="[local] test")}
    t = Tip(PACK.model_copy(update={"values": values})).received()
    assert TIP.deadlines(t.state)[0].due_at == T0 + timedelta(days=5)


def test_public_intake_actor_can_do_nothing_but_receive() -> None:
    t = Tip().received()
    err = t.refused(PUBLIC, {"type": "triage", "in_scope": True}, Forbidden)
    assert err.extra["rule"] == "public_intake_only"


# ---- triage -----------------------------------------------------------------------------------------------


def test_in_scope_tip_is_verified_within_60_days_of_acceptance() -> None:
    t = Tip().received()
    t.advance(days=2)
    t.do(OPERATOR, {"type": "triage", "in_scope": True})
    assert t.state.status == "verifying"
    (d,) = TIP.deadlines(t.state)
    assert d.key == "verification" and d.due_at == T0 + timedelta(days=62)
    assert t.state.triage is not None and t.state.triage.by == OPERATOR.id


@pytest.mark.parametrize("who", [INSPECTOR, SUPERVISOR, CITY_SUPERVISOR])
def test_inspectors_and_supervisors_of_the_region_may_triage(who: Actor) -> None:
    t = Tip().received()
    t.do(who, {"type": "triage", "in_scope": True})
    assert t.state.status == "verifying"


@pytest.mark.parametrize(
    ("who", "rule"), [(OTHER_INSPECTOR, "jurisdiction"), (ENTERPRISE, "role"), (EXPERT, "role")]
)
def test_triage_refused_outside_role_or_jurisdiction(who: Actor, rule: str) -> None:
    t = Tip().received()
    assert t.refused(who, {"type": "triage", "in_scope": True}, Forbidden).extra["rule"] == rule


def test_out_of_scope_tip_is_not_substantiated_and_closes_once_the_reporter_is_told() -> None:
    t = Tip().received()
    t.do(OPERATOR, {"type": "triage", "in_scope": False})
    assert t.state.status == "not_substantiated"
    assert t.keys() == {"feedback"}
    assert TIP.deadlines(t.state)[0].due_at == T0 + timedelta(days=10)
    t.feedback()
    assert t.state.status == "closed" and t.state.closure_reason == "out_of_scope"
    assert TIP.deadlines(t.state) == [] and TIP.index(t.state).terminal


def test_tip_for_another_department_is_routed_and_closed_for_us_after_feedback() -> None:
    t = Tip().received()
    t.do(OPERATOR, {"type": "triage", "in_scope": False, "route_to": "市场监管局"})
    assert t.state.status == "routed"
    assert any(n.kind == "routed" and n.data["route_to"] == "市场监管局" for n in t.notices)
    assert t.keys() == {"feedback"}
    t.feedback()
    assert t.state.status == "closed" and t.state.closure_reason == "routed"


def test_an_in_scope_tip_cannot_also_be_routed() -> None:
    t = Tip().received()
    err = t.refused(OPERATOR, {"type": "triage", "in_scope": True, "route_to": "市场监管局"}, InvalidCommand)
    assert err.extra["field"] == "route_to"


def test_blank_route_is_refused() -> None:
    t = Tip().received()
    assert t.refused(OPERATOR, {"type": "triage", "in_scope": False, "route_to": "  "}, InvalidCommand)


def test_only_an_in_scope_tip_can_be_a_duplicate_and_never_of_itself() -> None:
    t = Tip().received()
    err = t.refused(
        OPERATOR, {"type": "triage", "in_scope": False, "duplicate_of": "tip-0000"}, InvalidCommand
    )
    assert err.extra["rule"] == "duplicate_needs_in_scope"
    err = t.refused(OPERATOR, {"type": "triage", "in_scope": True, "duplicate_of": TIP_ID}, InvalidCommand)
    assert err.extra["rule"] == "duplicate_of_itself"


def test_duplicate_tip_is_still_verified() -> None:
    t = Tip().verifying(duplicate_of="tip-0000")
    assert t.state.duplicate and t.state.status == "verifying"
    assert TIP.view(t.state)["duplicate"] is True


def test_tip_involving_deaths_is_flagged_and_the_county_government_told() -> None:
    t = Tip().verifying(involves_deaths=True)
    assert t.state.triage is not None and t.state.triage.involves_deaths
    assert t.state.status == "verifying"
    (n,) = [n for n in t.notices if n.kind == "deaths_involved"]
    assert (n.recipient_role, n.recipient_party) == ("supervisor", REGION)


def test_missed_triage_is_overdue_and_escalated_one_level_up() -> None:
    t = Tip().received()
    t.notices.clear()
    assert t.fire("triage")[0].type == "deadline_missed"
    assert TIP.index(t.state).overdue
    assert ("escalation", "supervisor", "500100") in {
        (n.kind, n.recipient_role, n.recipient_party) for n in t.notices
    }
    assert {n.recipient_role for n in t.notices if n.kind == "overdue"} == {"inspector", "supervisor"}
    t.do(OPERATOR, {"type": "triage", "in_scope": True})
    assert not TIP.index(t.state).overdue


# ---- verification -----------------------------------------------------------------------------------------


def test_supervisor_extends_verification_once_by_at_most_30_days() -> None:
    t = Tip().verifying()
    original = t.state.verification_due
    assert original is not None
    t.do(ABOVE, {"type": "extend_verification", "days": 30, "reason": "needs a night inspection"})
    assert t.state.verification_due == original + timedelta(days=30)
    assert t.state.extension is not None and t.state.extension.previous_due == original
    assert TIP.deadlines(t.state)[0].due_at == original + timedelta(days=30)
    err = t.refused(ABOVE, {"type": "extend_verification", "days": 1, "reason": "again"}, Conflict)
    assert "only one" in err.detail


def test_stale_verification_timer_after_an_extension_does_nothing() -> None:
    t = Tip().verifying()
    original = t.state.verification_due
    assert original is not None
    t.do(ABOVE, {"type": "extend_verification", "days": 10, "reason": "more time"})
    before = t.state
    stale = {"type": "deadline_elapsed", "key": "verification", "due_at": original.isoformat()}
    assert t.do(SYSTEM, stale) == [] and t.state == before


def test_extension_beyond_the_maximum_is_refused() -> None:
    t = Tip().verifying()
    err = t.refused(ABOVE, {"type": "extend_verification", "days": 31, "reason": "x"}, InvalidCommand)
    assert err.extra["rule"] == "extension_max"


def test_only_a_supervisor_extends_verification() -> None:
    t = Tip().verifying()
    err = t.refused(INSPECTOR, {"type": "extend_verification", "days": 5, "reason": "x"}, Forbidden)
    assert err.extra["rule"] == "role"


def test_an_extension_is_approved_by_the_next_higher_level_not_the_same_level() -> None:
    t = Tip().verifying()
    err = t.refused(SUPERVISOR, {"type": "extend_verification", "days": 5, "reason": "x"}, Forbidden)
    assert err.extra["rule"] == "next_level_approves" and "500000" in err.detail
    # 500100 is no government in 重庆: the tree puts the district directly under the municipality
    t.refused(CITY_SUPERVISOR, {"type": "extend_verification", "days": 5, "reason": "x"}, Forbidden)
    t.do(ABOVE, {"type": "extend_verification", "days": 5, "reason": "x"})
    assert t.state.extension is not None


def test_extension_needs_a_reason_and_must_come_before_the_deadline() -> None:
    t = Tip().verifying()
    assert t.refused(ABOVE, {"type": "extend_verification", "days": 5, "reason": " "}, InvalidCommand)
    with pytest.raises(ValidationError):
        TIP.parse_command({"type": "extend_verification", "days": 0, "reason": "x"})
    t.fire("verification")
    t.refused(ABOVE, {"type": "extend_verification", "days": 5, "reason": "late"}, Conflict)


def test_missed_verification_is_overdue_and_escalated_and_a_late_verification_clears_it() -> None:
    t = Tip().verifying()
    t.fire("verification")
    assert TIP.index(t.state).overdue and TIP.deadlines(t.state) == []
    assert any(n.kind == "escalation" and n.recipient_party == "500100" for n in t.notices)
    t.do(INSPECTOR, {"type": "record_verification", "substantiated": False, "findings": "Nothing found"})
    assert not TIP.index(t.state).overdue


def test_unsubstantiated_tip_owes_feedback_within_10_days_then_closes() -> None:
    t = Tip().verifying()
    t.advance(days=20)
    t.do(INSPECTOR, {"type": "record_verification", "substantiated": False, "findings": "Exit was open"})
    assert t.state.status == "not_substantiated"
    assert t.state.verification is not None and t.state.verification.by == INSPECTOR.id
    (d,) = TIP.deadlines(t.state)
    assert d.key == "feedback" and d.due_at == t.now + timedelta(days=10)
    t.feedback()
    assert t.state.status == "closed" and t.state.closure_reason == "not_substantiated"


def test_substantiated_tip_with_a_hazard_action_opens_a_hazard_from_the_tip() -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    assert t.state.status == "substantiated" and t.state.waits_for_child
    (child,) = t.children
    assert child.kind == "hazard" and child.case_id == f"{TIP_ID}-h" and child.ref == "action"
    cmd = child.command
    assert cmd["type"] == "report" and cmd["source"] == "tip"
    assert cmd["origin"] == {"kind": "tip", "case_id": TIP_ID, "ref": "action"}
    assert cmd["title"] == HAZARD_ACTION["title"] and cmd["risk_color"] == "orange"
    assert "kind" not in cmd and "discovered_at" not in cmd
    assert t.keys() == {"feedback"}


def test_substantiated_tip_about_a_concealed_accident_opens_a_concealed_incident() -> None:
    t = Tip().substantiated(INCIDENT_ACTION)
    (child,) = t.children
    assert child.kind == "incident" and child.case_id == f"{TIP_ID}-i"
    cmd = child.command
    assert cmd["type"] == "report" and cmd["concealed"] is True and cmd["deaths"] == 2
    assert cmd["incident_type"] == "industrial"
    assert cmd["origin"] == {"kind": "tip", "case_id": TIP_ID, "ref": "action"}
    assert Decimal(cmd["direct_loss"]) == Decimal("1500000")


def test_substantiated_tip_without_action_earns_no_reward_and_closes_after_feedback() -> None:
    t = Tip().substantiated()
    assert t.children == [] and t.state.reward is not None and t.state.reward.status == "not_due"
    assert t.state.status == "substantiated" and t.keys() == {"feedback"}
    t.feedback()
    assert t.state.status == "closed" and t.state.closure_reason == "no_reward"


def test_an_action_needs_a_substantiated_tip() -> None:
    t = Tip().verifying()
    body = {"type": "record_verification", "substantiated": False, "findings": "x", "action": HAZARD_ACTION}
    assert t.refused(INSPECTOR, body, InvalidCommand).extra["field"] == "action"


def test_an_action_outside_the_verifiers_jurisdiction_is_refused() -> None:
    t = Tip().verifying()
    action = {**HAZARD_ACTION, "region": "500108"}
    body = {"type": "record_verification", "substantiated": True, "findings": "x", "action": action}
    assert t.refused(INSPECTOR, body, Forbidden).extra["rule"] == "jurisdiction"


@pytest.mark.parametrize(
    "action",
    [
        {**HAZARD_ACTION, "category": "bad_luck"},
        {**HAZARD_ACTION, "source": "inspection"},
        {**HAZARD_ACTION, "reporter": "x"},
        {k: v for k, v in HAZARD_ACTION.items() if k != "title"},
        {**INCIDENT_ACTION, "deaths": -1},
        {**INCIDENT_ACTION, "occurred_at": "2026-01-10T22:00:00"},
        {**HAZARD_ACTION, "kind": "audit"},
    ],
)
def test_malformed_actions_are_validation_errors(action: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        TIP.parse_command(
            {"type": "record_verification", "substantiated": True, "findings": "x", "action": action}
        )


@pytest.mark.parametrize(("who", "rule"), [(OPERATOR, "role"), (OTHER_INSPECTOR, "jurisdiction")])
def test_only_officers_of_the_region_verify(who: Actor, rule: str) -> None:
    t = Tip().verifying()
    body = {"type": "record_verification", "substantiated": False, "findings": "x"}
    assert t.refused(who, body, Forbidden).extra["rule"] == rule


def test_blank_findings_are_refused() -> None:
    t = Tip().verifying()
    body = {"type": "record_verification", "substantiated": False, "findings": "  "}
    assert t.refused(INSPECTOR, body, InvalidCommand).extra["field"] == "findings"


def test_verification_commands_are_refused_before_triage() -> None:
    t = Tip().received()
    body = {"type": "record_verification", "substantiated": False, "findings": "x"}
    err = t.refused(INSPECTOR, body, NotAllowedInState)
    assert err.extra["case_status"] == "received"


# ---- feedback ---------------------------------------------------------------------------------------------


def test_feedback_goes_to_the_reporter_by_tip_id_only() -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    t.notices.clear()
    t.feedback()
    (n,) = t.notices
    assert (n.kind, n.recipient_role, n.recipient_party) == ("feedback", "reporter", TIP_ID)
    assert_no_reporter_data(n.model_dump(mode="json"))
    assert t.state.status == "substantiated" and t.state.waits_for_child and TIP.deadlines(t.state) == []


def test_feedback_text_must_not_be_empty() -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    with pytest.raises(ValidationError):
        TIP.parse_command({"type": "send_feedback", "text": ""})
    assert (
        t.refused(INSPECTOR, {"type": "send_feedback", "text": "  \n"}, InvalidCommand).extra["field"]
        == "text"
    )


def test_feedback_is_sent_once() -> None:
    t = Tip().substantiated(HAZARD_ACTION).feedback()
    t.refused(INSPECTOR, {"type": "send_feedback", "text": "again"}, Conflict)


def test_feedback_is_sent_by_an_officer_not_by_the_operator() -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    assert t.refused(OPERATOR, {"type": "send_feedback", "text": "x"}, Forbidden).extra["rule"] == "role"


def test_feedback_before_verification_is_refused() -> None:
    t = Tip().verifying()
    err = t.refused(INSPECTOR, {"type": "send_feedback", "text": "x"}, NotAllowedInState)
    assert err.extra["allowed"] == ["extend_verification", "record_verification"]


def test_missed_feedback_is_overdue_and_escalated_until_sent() -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    t.fire("feedback")
    assert TIP.index(t.state).overdue and t.state.waits_for_child
    t.feedback()
    assert not TIP.index(t.state).overdue


# ---- child case outcome -----------------------------------------------------------------------------------


def test_tip_waits_while_the_hazard_is_open() -> None:
    t = Tip().substantiated(HAZARD_ACTION).feedback()
    events = t.child_update({"status": "rectifying", "terminal": False, "fine_total": "0"})
    assert [e.type for e in events] == ["child_outcome_recorded"]
    assert t.state.status == "substantiated" and t.state.child is not None
    assert t.state.child.status == "rectifying"
    assert t.child_update({"status": "rectifying", "terminal": False, "fine_total": "0"}) == []


def test_an_unknown_child_is_ignored() -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    assert t.child_update({"status": "closed", "terminal": True}, child_id="other-h") == []


def test_only_the_system_reports_child_updates_and_deadlines() -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    body = {
        "type": "child_case_updated",
        "child_id": f"{TIP_ID}-h",
        "child_kind": "hazard",
        "ref": "action",
        "summary": {"status": "closed", "terminal": True, "fine_total": "50000"},
    }
    assert t.refused(SUPERVISOR, body, Forbidden).extra["rule"] == "system_command"
    (d,) = TIP.deadlines(t.state)
    body = {"type": "deadline_elapsed", "key": d.key, "due_at": d.due_at.isoformat()}
    assert t.refused(SUPERVISOR, body, Forbidden).extra["rule"] == "system_command"


def test_closed_hazard_with_a_fine_opens_the_reward_assessment() -> None:
    t = Tip().reward_assessing(fine="50000.00")
    r = t.state.reward
    assert r is not None and r.computed == Decimal("7500.00") and r.basis == "fine"
    assert t.keys() == {"reward_assessment"}
    assert TIP.deadlines(t.state)[0].due_at == t.now + timedelta(days=10)


def test_closed_hazard_without_a_fine_earns_no_reward() -> None:
    t = Tip().substantiated(HAZARD_ACTION).feedback()
    t.child_update({"status": "closed", "terminal": True, "fine_total": "0"})
    assert t.state.status == "closed" and t.state.closure_reason == "no_reward"
    assert t.state.reward is not None and "no fine" in (t.state.reward.reason or "")


def test_no_fine_field_means_no_fine() -> None:
    t = Tip().substantiated(HAZARD_ACTION).feedback()
    t.child_update({"status": "closed", "terminal": True})
    assert t.state.status == "closed" and t.state.closure_reason == "no_reward"


def test_a_tip_with_no_reward_waits_for_its_feedback_before_closing() -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    t.child_update({"status": "closed", "terminal": True, "fine_total": None})
    assert t.state.status == "substantiated" and t.keys() == {"feedback"}
    t.feedback()
    assert t.state.status == "closed"


def test_cancelled_hazard_earns_no_reward() -> None:
    t = Tip().substantiated(HAZARD_ACTION).feedback()
    t.child_update({"status": "cancelled", "terminal": True, "fine_total": "10000"})
    assert t.state.status == "closed" and t.state.reward is not None
    assert "cancelled" in (t.state.reward.reason or "")


def test_the_reward_base_is_fines_daily_penalties_and_confiscations() -> None:
    """2018 奖励办法: the base is the case's 罚没款 — fines and confiscated illegal gains, the daily
    penalties (按日连续处罚) included: 15% of 10,000 + 20,000 + 10,000 = 6,000 yuan."""
    t = Tip().substantiated(HAZARD_ACTION).feedback()
    t.child_update(
        {
            "status": "closed",
            "terminal": True,
            "fine_total": "10000",
            "accrued_total": "20000",
            "confiscated_total": "10000",
        }
    )
    assert t.state.reward is not None
    assert t.state.reward.computed == Decimal("6000.00")


def test_a_duplicate_is_never_rewarded_even_with_a_fine() -> None:
    t = Tip().substantiated(HAZARD_ACTION, duplicate_of="tip-0000").feedback()
    t.child_update({"status": "closed", "terminal": True, "fine_total": "50000"})
    assert t.state.status == "closed" and t.state.closure_reason == "no_reward"
    assert t.state.reward is not None and "duplicate" in (t.state.reward.reason or "")
    assert TIP.summary(t.state)["reward_amount"] is None


def test_closed_concealed_accident_rewards_per_concealed_death_by_grade() -> None:
    t = Tip().substantiated(INCIDENT_ACTION).feedback()
    t.child_update({"status": "implementing", "terminal": False, "grade": "general", "concealed_deaths": 2})
    assert t.state.status == "substantiated"
    t.child_update({"status": "closed", "terminal": True, "grade": "larger", "concealed_deaths": 3})
    r = t.state.reward
    assert t.state.status == "reward_assessing"
    assert r is not None and r.basis == "concealed_deaths" and r.computed == Decimal("120000.00")
    assert r.maximum == Decimal("300000.00")


def test_concealed_accident_without_concealed_deaths_earns_no_reward() -> None:
    t = Tip().substantiated(INCIDENT_ACTION).feedback()
    t.child_update({"status": "closed", "terminal": True, "grade": "general", "concealed_deaths": 0})
    assert t.state.status == "closed" and t.state.closure_reason == "no_reward"


@pytest.mark.parametrize(
    "summary",
    [
        {"status": "closed", "terminal": True, "fine_total": "lots"},
        {"status": "closed", "terminal": True, "fine_total": "-5"},
    ],
)
def test_a_malformed_hazard_summary_is_refused(summary: dict[str, Any]) -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    with pytest.raises(InvalidCommand):
        t.child_update(summary)


@pytest.mark.parametrize(
    "summary",
    [
        {"status": "closed", "terminal": True, "grade": "huge", "concealed_deaths": 2},
        {"status": "closed", "terminal": True, "grade": "general", "concealed_deaths": "2"},
    ],
)
def test_a_malformed_incident_summary_is_refused(summary: dict[str, Any]) -> None:
    t = Tip().substantiated(INCIDENT_ACTION)
    with pytest.raises(InvalidCommand):
        t.child_update(summary)


# ---- the reward table --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fine", "reward"),
    [
        ("0.01", "3000.00"),
        ("19999.99", "3000.00"),
        ("20000", "3000.00"),
        ("20000.01", "3000.00"),
        ("20000.04", "3000.01"),
        ("50000", "7500.00"),
        ("1999993.33", "299999.00"),
        ("1999999.99", "300000.00"),
        ("2000000", "300000.00"),
        ("2000000.01", "300000.00"),
        ("10000000", "300000.00"),
    ],
)
def test_violation_reward_is_15_percent_of_the_fine_between_3000_and_300000(fine: str, reward: str) -> None:
    assert fine_reward(PACK, Decimal(fine)) == Decimal(reward)
    assert str(fine_reward(PACK, Decimal(fine))) == reward


@pytest.mark.parametrize(
    ("grade", "deaths", "reward"),
    [
        ("general", 1, "30000.00"),
        ("larger", 1, "40000.00"),
        ("major", 1, "50000.00"),
        ("especially_major", 1, "60000.00"),
        ("larger", 3, "120000.00"),
        ("major", 6, "300000.00"),
        ("major", 7, "300000.00"),
        ("general", 10, "300000.00"),
        ("general", 11, "300000.00"),
        ("especially_major", 4, "240000.00"),
        ("especially_major", 5, "300000.00"),
        ("especially_major", 30, "300000.00"),
    ],
)
def test_concealed_accident_reward_per_death_by_grade_capped_at_300000(
    grade: str, deaths: int, reward: str
) -> None:
    assert concealed_reward(PACK, grade, deaths) == Decimal(reward)


def test_reward_numbers_come_from_the_policy_pack() -> None:
    values = {
        **PACK.values,
        "tip.reward.rate": PolicyValue(value="0.10", source="t"),
        "tip.reward.min": PolicyValue(value=1000, source="t"),
        "tip.reward.max": PolicyValue(value=100000, source="t"),
    }
    pack = PACK.model_copy(update={"values": values})
    assert fine_reward(pack, Decimal("50000")) == Decimal("5000.00")
    assert fine_reward(pack, Decimal("100")) == Decimal("1000.00")
    assert fine_reward(pack, Decimal("5000000")) == Decimal("100000.00")


# ---- assessment and approval ------------------------------------------------------------------------------


def test_assessed_amount_defaults_to_the_computed_one() -> None:
    t = Tip().reward_assessing()
    t.do(INSPECTOR, {"type": "assess_reward"})
    r = t.state.reward
    assert r is not None and r.assessed_amount == Decimal("7500.00") and r.assessed_by == INSPECTOR.id
    assert t.state.status == "reward_assessing"


def test_an_assessed_amount_differing_from_the_rules_needs_a_comment() -> None:
    t = Tip().reward_assessing()
    err = t.refused(INSPECTOR, {"type": "assess_reward", "amount": "8000"}, InvalidCommand)
    assert err.extra["field"] == "comment"
    t.do(INSPECTOR, {"type": "assess_reward", "amount": "8000", "comment": "two violations found"})
    assert t.state.reward is not None and t.state.reward.assessed_amount == Decimal("8000.00")


@pytest.mark.parametrize(
    ("amount", "rule"),
    [
        ("300000.01", "reward_max"),
        ("1000000", "reward_max"),
        ("2999.99", "reward_min"),
        ("0", "reward_min"),
        ("-5", "reward_min"),
    ],
)
def test_assessed_amount_stays_within_the_rules(amount: str, rule: str) -> None:
    t = Tip().reward_assessing()
    err = t.refused(INSPECTOR, {"type": "assess_reward", "amount": amount, "comment": "why"}, InvalidCommand)
    assert err.extra["rule"] == rule


@pytest.mark.parametrize("amount", ["7500.001", "1e100", "NaN", "Infinity", "lots"])
@pytest.mark.parametrize("command", ["assess_reward", "approve_reward"])
def test_malformed_reward_amounts_are_validation_errors(command: str, amount: str) -> None:
    with pytest.raises(ValidationError):
        TIP.parse_command({"type": command, "amount": amount, "comment": "x"})


def test_an_absurd_fine_still_caps_the_reward() -> None:
    assert fine_reward(PACK, Decimal("1e100")) == Decimal("300000.00")
    t = Tip().substantiated(HAZARD_ACTION).feedback()
    t.child_update({"status": "closed", "terminal": True, "fine_total": "1e60"})
    assert t.state.reward is not None and t.state.reward.computed == Decimal("300000.00")


def test_the_maximum_itself_may_be_assessed_with_a_comment() -> None:
    t = Tip().reward_assessing()
    t.do(INSPECTOR, {"type": "assess_reward", "amount": "300000", "comment": "exceptional"})


@pytest.mark.parametrize(
    ("who", "rule"), [(OPERATOR, "role"), (OTHER_INSPECTOR, "jurisdiction"), (AUDITOR, "auditor_read_only")]
)
def test_only_officers_of_the_region_assess(who: Actor, rule: str) -> None:
    t = Tip().reward_assessing()
    assert t.refused(who, {"type": "assess_reward"}, Forbidden).extra["rule"] == rule


def test_the_verifier_cannot_approve_the_reward() -> None:
    t = Tip().verifying()
    t.do(
        SUPERVISOR,
        {"type": "record_verification", "substantiated": True, "findings": "x", "action": HAZARD_ACTION},
    )
    t.feedback()
    t.child_update({"status": "closed", "terminal": True, "fine_total": "50000"})
    t.do(INSPECTOR, {"type": "assess_reward"})
    err = t.refused(SUPERVISOR, {"type": "approve_reward"}, Forbidden)
    assert err.extra["rule"] == "separation_of_duties"
    t.do(CITY_SUPERVISOR, {"type": "approve_reward"})
    assert t.state.status == "reward_approved"


def test_only_a_supervisor_approves_a_reward() -> None:
    t = Tip().reward_assessing()
    t.do(INSPECTOR, {"type": "assess_reward"})
    assert t.refused(INSPECTOR, {"type": "approve_reward"}, Forbidden).extra["rule"] == "role"


def test_a_reward_is_assessed_before_it_is_approved() -> None:
    t = Tip().reward_assessing()
    err = t.refused(SUPERVISOR, {"type": "approve_reward"}, Conflict)
    assert "assess" in err.detail


def test_a_reward_is_approved_only_after_the_reporter_had_feedback() -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    t.child_update({"status": "closed", "terminal": True, "fine_total": "50000"})
    assert t.state.status == "reward_assessing" and t.keys() == {"feedback", "reward_assessment"}
    t.do(INSPECTOR, {"type": "assess_reward"})
    assert "feedback" in t.refused(SUPERVISOR, {"type": "approve_reward"}, Conflict).detail
    t.feedback()
    t.do(SUPERVISOR, {"type": "approve_reward"})
    assert t.state.status == "reward_approved"


def test_approved_amount_differing_from_the_assessment_needs_a_comment_and_stays_within_the_cap() -> None:
    t = Tip().reward_assessing()
    t.do(INSPECTOR, {"type": "assess_reward"})
    assert (
        t.refused(SUPERVISOR, {"type": "approve_reward", "amount": "7000"}, InvalidCommand).extra["field"]
        == "comment"
    )
    err = t.refused(
        SUPERVISOR, {"type": "approve_reward", "amount": "300001", "comment": "x"}, InvalidCommand
    )
    assert err.extra["rule"] == "reward_max"
    t.do(SUPERVISOR, {"type": "approve_reward", "amount": "7000", "comment": "partly substantiated"})
    assert t.state.reward is not None and t.state.reward.approved_amount == Decimal("7000.00")


def test_approval_starts_the_claim_window_and_tells_the_reporter_by_tip_id() -> None:
    t = Tip().reward_assessing()
    t.do(INSPECTOR, {"type": "assess_reward"})
    t.notices.clear()
    t.advance(days=3)
    t.do(SUPERVISOR, {"type": "approve_reward", "comment": ""})
    assert t.state.status == "reward_approved"
    (d,) = TIP.deadlines(t.state)
    assert d.key == "claim" and d.due_at == t.now + timedelta(days=60)
    (n,) = [n for n in t.notices if n.recipient_role == "reporter"]
    assert n.kind == "reward_approved" and n.recipient_party == TIP_ID and n.data["amount"] == "7500.00"
    assert_no_reporter_data(n.model_dump(mode="json"))
    assert TIP.summary(t.state) == {
        "status": "reward_approved",
        "terminal": False,
        "reward_amount": "7500.00",
        "paid": False,
    }


def test_missed_reward_assessment_is_overdue_and_escalated() -> None:
    t = Tip().reward_assessing()
    t.fire("reward_assessment")
    assert TIP.index(t.state).overdue and t.state.status == "reward_assessing"
    t.do(INSPECTOR, {"type": "assess_reward"})
    t.do(SUPERVISOR, {"type": "approve_reward"})
    assert not TIP.index(t.state).overdue


# ---- payment, waiver, claim window ------------------------------------------------------------------------


def test_payment_closes_the_tip() -> None:
    t = Tip().approved()
    t.do(OPERATOR, {"type": "record_payment", "reference": "PAY-2026-001"})
    assert t.state.status == "closed" and t.state.closure_reason == "paid"
    assert TIP.summary(t.state) == {
        "status": "closed",
        "terminal": True,
        "reward_amount": "7500.00",
        "paid": True,
    }
    assert TIP.deadlines(t.state) == []


def test_payment_refusals() -> None:
    t = Tip().approved()
    assert (
        t.refused(INSPECTOR, {"type": "record_payment", "reference": "x"}, Forbidden).extra["rule"] == "role"
    )
    assert t.refused(SUPERVISOR, {"type": "record_payment", "reference": " "}, InvalidCommand)
    t2 = Tip().reward_assessing()
    t2.refused(OPERATOR, {"type": "record_payment", "reference": "x"}, NotAllowedInState)


def test_unclaimed_reward_is_waived_when_the_claim_window_lapses() -> None:
    t = Tip().approved()
    events = t.fire("claim")
    assert [e.type for e in events] == ["reward_waived", "tip_closed"]
    assert t.state.status == "closed" and t.state.closure_reason == "unclaimed"
    assert t.state.reward is not None and t.state.reward.status == "waived"
    assert TIP.summary(t.state)["paid"] is False


def test_supervisor_waives_a_reward_and_the_tip_closes() -> None:
    t = Tip().reward_assessing()
    assert t.refused(INSPECTOR, {"type": "waive_reward", "reason": "x"}, Forbidden).extra["rule"] == "role"
    assert t.refused(SUPERVISOR, {"type": "waive_reward", "reason": " "}, InvalidCommand)
    t.do(SUPERVISOR, {"type": "waive_reward", "reason": "the reporter declined the reward"})
    assert t.state.status == "closed" and t.state.closure_reason == "waived"


def test_an_approved_reward_can_still_be_waived() -> None:
    t = Tip().approved()
    t.do(SUPERVISOR, {"type": "waive_reward", "reason": "reporter is a staff member of the regulator"})
    assert t.state.status == "closed" and t.state.closure_reason == "waived"


def test_waiving_before_feedback_keeps_the_tip_open_until_the_reporter_is_told() -> None:
    t = Tip().substantiated(HAZARD_ACTION)
    t.child_update({"status": "closed", "terminal": True, "fine_total": "50000"})
    t.do(SUPERVISOR, {"type": "waive_reward", "reason": "declined"})
    assert t.state.status == "substantiated" and t.keys() == {"feedback"}
    t.feedback()
    assert t.state.status == "closed" and t.state.closure_reason == "waived"


def test_a_closed_tip_accepts_nothing() -> None:
    t = Tip().approved()
    t.do(OPERATOR, {"type": "record_payment", "reference": "PAY-1"})
    err = t.refused(SUPERVISOR, {"type": "waive_reward", "reason": "x"}, NotAllowedInState)
    assert err.extra["case_status"] == "closed" and err.extra["allowed"] == []
    assert t.child_update({"status": "closed", "terminal": True, "fine_total": "1"}) == []


# ---- the whole story ---------------------------------------------------------------------------------------


def test_full_scenario_from_an_anonymous_web_tip_to_a_paid_reward() -> None:
    t = Tip()
    t.do(PUBLIC, receive_body())
    t.advance(days=1)
    t.do(OPERATOR, {"type": "triage", "in_scope": True})
    t.advance(days=12)
    t.do(
        INSPECTOR,
        {
            "type": "record_verification",
            "substantiated": True,
            "findings": "Exit chained",
            "action": HAZARD_ACTION,
        },
    )
    assert [c.case_id for c in t.children] == [f"{TIP_ID}-h"]
    t.advance(days=2)
    t.do(INSPECTOR, {"type": "send_feedback", "text": "Verified. A rectification order was issued."})
    t.advance(days=20)
    t.child_update({"status": "rectifying", "terminal": False, "fine_total": "50000"})
    t.advance(days=10)
    t.child_update({"status": "closed", "terminal": True, "fine_total": "50000.00"})
    assert t.state.status == "reward_assessing"
    t.do(INSPECTOR, {"type": "assess_reward", "comment": ""})
    assert t.state.reward is not None and t.state.reward.assessed_amount == Decimal("7500.00")
    t.refused(INSPECTOR, {"type": "approve_reward"}, Forbidden)  # not a supervisor (and the verifier)
    t.do(SUPERVISOR, {"type": "approve_reward", "comment": "per the 2018 rules"})
    assert t.state.status == "reward_approved"
    t.advance(days=15)
    t.do(OPERATOR, {"type": "record_payment", "reference": "PAY-2026-0042"})
    assert t.state.status == "closed" and t.state.closure_reason == "paid"
    assert t.types() == [
        "tip_received",
        "triaged",
        "verification_recorded",
        "feedback_sent",
        "child_outcome_recorded",
        "child_outcome_recorded",
        "reward_assessment_opened",
        "reward_assessed",
        "reward_approved",
        "reward_paid",
        "tip_closed",
    ]
    # events, state and views round-trip through JSON and never carry reporter data
    for e in t.events:
        assert TIP.parse_event(json.loads(e.model_dump_json())) == e
    assert TIP.parse_state(json.loads(json.dumps(t.state.model_dump(mode="json")))) == t.state
    for n in t.notices:
        assert not n.recipient_role.startswith("enterprise")
        assert_no_reporter_data(n.model_dump(mode="json"))
        assert t.state.content not in json.dumps(n.model_dump(mode="json"), ensure_ascii=False)
    assert_no_reporter_data(TIP.view(t.state))
    assert TIP.public_status(t.state) == {
        "id": TIP_ID,
        "status": "closed",
        "feedback": {
            "text": "Verified. A rectification order was issued.",
            "at": (T0 + timedelta(days=15)).isoformat(),
        },
        "reward": {
            "amount": "7500.00",
            "status": "paid",
            "claim_due": (T0 + timedelta(days=105)).isoformat(),
        },
    }


# ---- reads ---------------------------------------------------------------------------------------------


def test_view_has_the_case_fields_and_no_claim_token_hash() -> None:
    t = Tip().verifying()
    v = TIP.view(t.state)
    for key in (
        "id",
        "status",
        "policy",
        "enterprise_id",
        "region",
        "deadlines",
        "overdue",
        "created_at",
        "updated_at",
    ):
        assert key in v
    assert v["policy"] == {"id": PACK.id, "version": PACK.version}
    assert v["deadlines"] == [
        {"key": "verification", "kind": "verification", "due_at": t.state.verification_due.isoformat()}
    ]  # type: ignore[union-attr]
    assert_no_reporter_data(v)
    json.dumps(v)


def test_index_is_pii_free_and_keeps_the_target_enterprise_out() -> None:
    t = Tip().verifying()
    idx = TIP.index(t.state)
    assert idx.status == "verifying" and idx.region == REGION and idx.enterprise_id is None
    assert idx.next_due_at == t.state.verification_due and not idx.terminal and not idx.overdue


def test_public_status_shows_only_status_feedback_and_an_approved_reward() -> None:
    t = Tip().verifying()
    assert TIP.public_status(t.state) == {
        "id": TIP_ID,
        "status": "verifying",
        "feedback": None,
        "reward": None,
    }
    t2 = Tip().reward_assessing()
    t2.do(INSPECTOR, {"type": "assess_reward"})
    assert TIP.public_status(t2.state)["reward"] is None  # assessed but not approved
    t2.do(SUPERVISOR, {"type": "approve_reward"})
    ps = TIP.public_status(t2.state)
    assert set(ps) == {"id", "status", "feedback", "reward"}
    assert ps["reward"]["amount"] == "7500.00" and ps["reward"]["status"] == "approved"
    assert_no_reporter_data(ps)


def test_summary_of_a_fresh_tip() -> None:
    t = Tip().received()
    assert TIP.summary(t.state) == {
        "status": "received",
        "terminal": False,
        "reward_amount": None,
        "paid": False,
    }


def test_second_scale_test_pack_runs_the_same_rules() -> None:
    t = Tip(FAST).received()
    assert TIP.deadlines(t.state)[0].due_at == T0 + timedelta(seconds=30)
    t.do(OPERATOR, {"type": "triage", "in_scope": True})
    assert t.state.verification_due == T0 + timedelta(seconds=60)
    err = t.refused(ABOVE, {"type": "extend_verification", "days": 1, "reason": "x"}, InvalidCommand)
    assert err.extra["rule"] == "extension_max"
