"""Tips under random commands by random actors, with time passing and deadlines firing (hypothesis).

Invariants after every step: the state round-trips; a fired deadline is never owed again and a stale
one does nothing; every non-terminal tip owes a clock, is overdue on one, or waits for its child;
a reward is never outside [min, max] and never for a duplicate; the verifier never approves; a
closed tip gave the reporter feedback; no view, notice or event carries reporter data.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from pydantic import ValidationError

from domain.actors import SYSTEM, Actor, Role
from domain.decider import Context
from domain.errors import DomainError
from domain.policy import parse_pack
from domain.timecalc import CN_TZ
from domain.tip import TIP, TipState
from domain.tip.commands import PUBLIC_INTAKE_ACTOR_ID

ROOT = Path(__file__).resolve().parents[2]
PACK = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "200"))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CN_TZ)
TIP_ID = "TP-STATEFUL"
REGION = "500107"
TOKEN_HASH = "c" * 64
MIN = PACK.decimal("tip.reward.min")
MAX = max(PACK.decimal("tip.reward.max"), PACK.decimal("tip.reward.concealed_max"))
FORBIDDEN_KEYS = {"reporter", "name", "contact", "phone", "claim_token_hash"}

PUBLIC = Actor(id=PUBLIC_INTAKE_ACTOR_ID, role=Role.operator, region=REGION)
ACTORS = [
    PUBLIC,
    Actor(id="op-1", role=Role.operator, region=REGION),
    Actor(id="insp-1", role=Role.inspector, region=REGION),
    Actor(id="insp-2", role=Role.inspector, region="500100"),
    Actor(id="sup-1", role=Role.supervisor, region=REGION),
    Actor(id="sup-1", role=Role.inspector, region=REGION),  # the same person acting as an inspector
    Actor(id="sup-2", role=Role.supervisor, region="500000"),
    Actor(id="insp-9", role=Role.inspector, region="500108"),
    Actor(id="sup-9", role=Role.supervisor, region="510000"),
    Actor(id="aud-1", role=Role.auditor, region="000000"),
    Actor(id="ent-1", role=Role.enterprise, region=REGION, enterprise_id="E-1"),
    Actor(id="exp-1", role=Role.expert, region=REGION),
    SYSTEM,
]
OFFICERS = [a for a in ACTORS if a.role in (Role.inspector, Role.supervisor) and a.covers(REGION)]
SUPERVISORS = [a for a in OFFICERS if a.role == Role.supervisor]

actors = st.sampled_from(ACTORS)
officers = st.sampled_from(OFFICERS)
supervisors = st.sampled_from(SUPERVISORS)


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Three times in four a value that fits, else anything (so refusals are exercised too)."""
    return st.one_of(valid, valid, valid, actors)


texts = st.sampled_from(["ok", "  ", "Verified: a rectification order was issued", "x" * 50])

HAZARD_ACTION: dict[str, Any] = {
    "kind": "hazard",
    "title": "Chained fire exit",
    "description": "The east exit is chained at night",
    "enterprise_id": "E-1",
    "region": REGION,
    "industry": "manufacturing",
    "location": "workshop 2",
    "category": "unsafe_condition",
}
INCIDENT_ACTION: dict[str, Any] = {
    "kind": "incident",
    "occurred_at": "2026-01-10T22:00:00+08:00",
    "enterprise_id": "E-1",
    "region": REGION,
    "type": "construction",
    "deaths": 3,
    "serious_injuries": 1,
    "direct_loss": "2000000",
    "description": "An unreported collapse",
}
actions = st.sampled_from(
    [
        None,
        HAZARD_ACTION,
        HAZARD_ACTION,
        INCIDENT_ACTION,
        INCIDENT_ACTION,
        {**HAZARD_ACTION, "region": "500108"},
    ]
)
amounts = st.one_of(
    st.none(),
    st.sampled_from(["0", "2999.99", "3000", "7500", "7500.5", "299999.99", "300000", "300000.01", "1e6"]),
    st.decimals(min_value=Decimal("-10"), max_value=Decimal("400000"), places=2, allow_nan=False),
)
maybe_amounts = st.one_of(st.none(), st.none(), amounts)
fines = st.one_of(
    st.none(),
    st.sampled_from(
        ["50000", "50000", "0", "0.01", "20000", "20000.01", "50000", "1999993.33", "2000000", "9999999"]
    ),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("5000000"), places=2, allow_nan=False).map(str),
)
grades = st.sampled_from(["general", "larger", "major", "especially_major"])
steps = st.sampled_from(
    [
        timedelta(hours=1),
        timedelta(days=1),
        timedelta(days=5),
        timedelta(days=11),
        timedelta(days=31),
        timedelta(days=61),
    ]
)


def no_reporter_data(obj: Any) -> None:
    if isinstance(obj, dict):
        assert not FORBIDDEN_KEYS & set(obj), set(obj)
        for v in obj.values():
            no_reporter_data(v)
    elif isinstance(obj, list):
        for v in obj:
            no_reporter_data(v)
    else:
        assert obj != TOKEN_HASH


class TipMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state: TipState = TIP.initial_state()
        self.now = T0
        self.approvals: list[tuple[str, str | None]] = []  # (approver, verifier)

    # ---- driving ------------------------------------------------------------------------------------

    def do(self, actor: Actor, body: dict[str, Any]) -> list[Any] | None:
        try:
            command = TIP.parse_command(body)
        except ValidationError:  # the API answers 422
            return None
        before = self.state
        ctx = Context(actor=actor, now=self.now, policy=PACK, case_id=TIP_ID)
        try:
            events = TIP.decide(before, command, ctx)
        except DomainError as e:
            assert e.to_dict()["detail"]
            assert self.state is before
            return None
        is_system = body["type"] in ("deadline_elapsed", "child_case_updated")
        assert actor.role == Role.system or not is_system
        for e in events:
            assert TIP.parse_event(json.loads(e.model_dump_json())) == e
            prev = self.state
            self.state = TIP.evolve(prev, e)
            self.check_notices(prev, e)
            for child in TIP.children(prev, e, self.state):
                assert e.type == "verification_recorded"
                assert child.case_id in (f"{TIP_ID}-h", f"{TIP_ID}-i") and child.ref == "action"
                assert child.command["type"] == "report"
                assert child.command["origin"] == {"kind": "tip", "case_id": TIP_ID, "ref": "action"}
            if e.type == "reward_approved":
                assert self.state.verification is not None
                self.approvals.append((e.by, self.state.verification.by))
        if events:  # the costlier checks, only when the state changed
            self.state_round_trips()
            self.nothing_shows_reporter_data()
        if body["type"] == "deadline_elapsed":
            owed_before = {(d.key, d.due_at) for d in TIP.deadlines(before)}
            key = (command.key, command.due_at)
            if key in owed_before:
                assert events, "an owed deadline must produce events"
                assert key not in {(d.key, d.due_at) for d in TIP.deadlines(self.state)}
            else:
                assert events == [], "a stale deadline changes nothing"
        return events

    def check_notices(self, before: TipState, e: Any) -> None:
        for n in TIP.notices(before, e, self.state):
            assert n.recipient_role in ("operator", "inspector", "supervisor", "reporter"), n
            if n.recipient_role == "reporter":
                assert n.recipient_party == TIP_ID
            else:
                assert n.recipient_party.isdigit() and len(n.recipient_party) == 6
            no_reporter_data(n.model_dump(mode="json"))
            assert self.state.content not in json.dumps(n.data, ensure_ascii=False)

    @initialize(
        public=st.booleans(),
        identified=st.booleans(),
        channel=st.sampled_from(["web", "hotline_12350", "letter"]),
    )
    def receive(self, public: bool, identified: bool, channel: str) -> None:
        actor = PUBLIC if public else ACTORS[1]
        events = self.do(
            actor,
            {
                "type": "receive",
                "channel": channel,
                "region": REGION,
                "enterprise_id": "E-1",
                "content": "举报: 二车间消防通道夜间上锁",
                "evidence": [],
                "reporter_identified": identified,
                "claim_token_hash": TOKEN_HASH if public else None,
                "received_via": "public" if public else "operator",
            },
        )
        assert events and self.state.status == "received"

    # ---- the moves, mostly when they make sense -------------------------------------------------------

    @precondition(lambda self: self.state.status == "received")
    @rule(
        actor=mostly(officers),
        in_scope=st.sampled_from([True, True, True, False]),
        route=st.sampled_from([None, None, None, "市场监管局"]),
        dup=st.sampled_from([None, None, None, "TP-EARLIER"]),
        deaths=st.booleans(),
    )
    def triage(self, actor: Actor, in_scope: bool, route: str | None, dup: str | None, deaths: bool) -> None:
        body = {"type": "triage", "in_scope": in_scope, "route_to": route, "duplicate_of": dup}
        self.do(actor, {**body, "involves_deaths": deaths})

    @precondition(lambda self: self.state.status == "verifying")
    @rule(actor=mostly(supervisors), days=st.integers(min_value=1, max_value=40))
    def extend(self, actor: Actor, days: int) -> None:
        self.do(actor, {"type": "extend_verification", "days": days, "reason": "night inspection"})

    @precondition(lambda self: self.state.status == "verifying")
    @rule(actor=mostly(officers), substantiated=st.sampled_from([True, True, False]), action=actions)
    def verify(self, actor: Actor, substantiated: bool, action: dict[str, Any] | None) -> None:
        body: dict[str, Any] = {
            "type": "record_verification",
            "substantiated": substantiated,
            "findings": "seen",
        }
        if action is not None:
            body["action"] = action
        self.do(actor, body)

    @precondition(lambda self: self.state.feedback_owed)
    @rule(actor=mostly(officers), text=texts)
    def feedback(self, actor: Actor, text: str) -> None:
        self.do(actor, {"type": "send_feedback", "text": text})

    @precondition(lambda self: self.state.waits_for_child)
    @rule(
        status=st.sampled_from(["closed", "closed", "cancelled", "rectifying", "investigating"]),
        terminal=st.booleans(),
        fine=fines,
        grade=grades,
        deaths=st.integers(min_value=0, max_value=12),
        ours=st.sampled_from([True, True, True, False]),
    )
    def child_update(
        self, status: str, terminal: bool, fine: str | None, grade: str, deaths: int, ours: bool
    ) -> None:
        assert self.state.child is not None
        terminal = terminal or status in ("closed", "cancelled")
        summary: dict[str, Any] = {"status": status, "terminal": terminal}
        if self.state.child.kind == "hazard":
            summary["fine_total"] = fine
        else:
            summary.update(grade=grade, concealed_deaths=deaths)
        child_id = self.state.child.case_id if ours else "TP-OTHER-h"
        body = {
            "type": "child_case_updated",
            "child_id": child_id,
            "child_kind": self.state.child.kind,
            "ref": "action",
            "summary": summary,
        }
        self.do(SYSTEM, body)

    @precondition(lambda self: self.state.status == "reward_assessing")
    @rule(actor=mostly(officers), amount=maybe_amounts, comment=st.sampled_from(["", "two violations"]))
    def assess(self, actor: Actor, amount: Decimal | str | None, comment: str) -> None:
        body: dict[str, Any] = {"type": "assess_reward", "comment": comment}
        if amount is not None:
            body["amount"] = str(amount)
        self.do(actor, body)

    @precondition(lambda self: self.state.status == "reward_assessing")
    @rule(actor=mostly(supervisors), amount=maybe_amounts, comment=st.sampled_from(["", "approved"]))
    def approve(self, actor: Actor, amount: Decimal | str | None, comment: str) -> None:
        body: dict[str, Any] = {"type": "approve_reward", "comment": comment}
        if amount is not None:
            body["amount"] = str(amount)
        self.do(actor, body)

    @precondition(lambda self: self.state.status == "reward_approved")
    @rule(actor=actors, reference=st.sampled_from(["PAY-1", " "]))
    def pay(self, actor: Actor, reference: str) -> None:
        self.do(actor, {"type": "record_payment", "reference": reference})

    @precondition(lambda self: self.state.status in ("reward_assessing", "reward_approved"))
    @rule(actor=mostly(supervisors), reason=st.sampled_from([" ", "", "declined by the reporter"]))
    def waive(self, actor: Actor, reason: str) -> None:
        self.do(actor, {"type": "waive_reward", "reason": reason})

    @rule(
        actor=actors,
        body=st.sampled_from(
            [
                {"type": "triage", "in_scope": True},
                {"type": "extend_verification", "days": 5, "reason": "x"},
                {"type": "record_verification", "substantiated": False, "findings": "x"},
                {"type": "assess_reward"},
                {"type": "approve_reward"},
                {"type": "record_payment", "reference": "PAY-2"},
                {"type": "waive_reward", "reason": "x"},
                {
                    "type": "receive",
                    "channel": "web",
                    "region": REGION,
                    "content": "again",
                    "reporter_identified": False,
                    "received_via": "operator",
                },
                {"type": "deadline_elapsed", "key": "verification", "due_at": "2026-05-01T09:00:00+08:00"},
                {
                    "type": "child_case_updated",
                    "child_id": f"{TIP_ID}-h",
                    "child_kind": "hazard",
                    "ref": "action",
                    "summary": {"status": "closed", "terminal": True, "fine_total": "50000"},
                },
                {"type": "send_feedback", "text": "t", "reporter": {"name": "张三"}},
            ]
        ),
    )
    def anything_by_anyone(self, actor: Actor, body: dict[str, Any]) -> None:
        """Any command in any status by any actor: refused cleanly or applied within the rules."""
        self.do(actor, body)

    @rule(
        verifier=st.sampled_from(OFFICERS),
        approver=st.sampled_from(SUPERVISORS),
        action=st.sampled_from([HAZARD_ACTION, HAZARD_ACTION, INCIDENT_ACTION]),
        fine=fines,
        grade=grades,
        deaths=st.integers(min_value=0, max_value=12),
        dup=st.sampled_from([None, None, "TP-EARLIER"]),
    )
    def progress(
        self,
        verifier: Actor,
        approver: Actor,
        action: dict[str, Any],
        fine: str | None,
        grade: str,
        deaths: int,
        dup: str | None,
    ) -> None:
        """The next move of the reward path, by an actor who may make it (refusals come from other rules)."""
        s = self.state
        if s.status == "received":
            self.do(ACTORS[1], {"type": "triage", "in_scope": True, "duplicate_of": dup})
        elif s.status == "verifying":
            body = {
                "type": "record_verification",
                "substantiated": True,
                "findings": "seen",
                "action": action,
            }
            self.do(verifier, body)
        elif s.feedback_owed:
            self.do(verifier, {"type": "send_feedback", "text": "verified"})
        elif s.waits_for_child and s.child is not None:
            summary: dict[str, Any] = {"status": "closed", "terminal": True}
            if s.child.kind == "hazard":
                summary["fine_total"] = fine
            else:
                summary.update(grade=grade, concealed_deaths=deaths)
            self.do(
                SYSTEM,
                {
                    "type": "child_case_updated",
                    "child_id": s.child.case_id,
                    "child_kind": s.child.kind,
                    "ref": "action",
                    "summary": summary,
                },
            )
        elif s.status == "reward_assessing" and s.reward is not None and s.reward.assessed_amount is None:
            self.do(verifier, {"type": "assess_reward"})
        elif s.status == "reward_assessing":
            self.do(approver, {"type": "approve_reward"})
        elif s.status == "reward_approved":
            self.do(ACTORS[1], {"type": "record_payment", "reference": "PAY-1"})

    @rule(step=steps)
    def time_passes(self, step: timedelta) -> None:
        """The clock moves; every deadline that came due fires in order, as the workflow does."""
        self.now += step
        for _ in range(20):
            due = sorted(
                (d for d in TIP.deadlines(self.state) if d.due_at <= self.now), key=lambda d: d.due_at
            )
            if not due:
                return
            self.do(
                SYSTEM, {"type": "deadline_elapsed", "key": due[0].key, "due_at": due[0].due_at.isoformat()}
            )
        raise AssertionError("deadlines keep firing")

    @rule(key=st.sampled_from(["triage", "verification", "feedback", "reward_assessment", "claim", "nope"]))
    def stale_timer(self, key: str) -> None:
        owed = {d.key: d.due_at for d in TIP.deadlines(self.state)}
        due = owed.get(key, self.now) + timedelta(seconds=1)
        assert self.do(SYSTEM, {"type": "deadline_elapsed", "key": key, "due_at": due.isoformat()}) == []

    # ---- invariants -------------------------------------------------------------------------------------

    def state_round_trips(self) -> None:
        data = json.loads(json.dumps(self.state.model_dump(mode="json")))
        assert TIP.parse_state(data) == self.state

    @invariant()
    def clocks_are_owed_consistently(self) -> None:
        s = self.state
        owed = TIP.deadlines(s)
        assert len({d.key for d in owed}) == len(owed)
        idx = TIP.index(s)
        assert idx.terminal == (s.status == "closed") == TIP.summary(s)["terminal"]
        assert idx.next_due_at == min((d.due_at for d in owed), default=None)
        assert idx.enterprise_id is None and idx.status == s.status
        if idx.terminal:
            assert owed == [] and not idx.overdue
        elif s.status != "none":
            assert owed or s.waits_for_child or s.lapsed, f"{s.status} owes nothing"

    @invariant()
    def rewards_stay_within_the_rules(self) -> None:
        s, r = self.state, self.state.reward
        summary = TIP.summary(s)
        if r is None:
            assert s.status not in ("reward_assessing", "reward_approved")
            assert summary["reward_amount"] is None
            return
        for amount in (r.computed, r.assessed_amount, r.approved_amount):
            if amount is not None:
                assert MIN <= amount <= MAX
                assert r.minimum is not None and r.maximum is not None
                assert r.minimum <= amount <= r.maximum
        if s.duplicate:
            assert r.status == "not_due" and r.approved_amount is None and summary["reward_amount"] is None
        if s.status == "reward_assessing":
            assert r.status == "assessing"
        if s.status == "reward_approved":
            assert r.status == "approved" and r.claim_due is not None and s.feedback is not None
        if summary["paid"]:
            assert r.approved_amount is not None and s.status == "closed"

    @invariant()
    def the_verifier_never_approves(self) -> None:
        for approver, verifier in self.approvals:
            assert approver != verifier
        r, v = self.state.reward, self.state.verification
        if r is not None and r.approved_by is not None:
            assert v is not None and r.approved_by != v.by

    @invariant()
    def a_closed_tip_told_the_reporter(self) -> None:
        if self.state.status == "closed":
            assert self.state.feedback is not None and self.state.closure_reason

    def nothing_shows_reporter_data(self) -> None:
        view = TIP.view(self.state)
        no_reporter_data(view)
        json.dumps(view)
        public = TIP.public_status(self.state)
        assert set(public) == {"id", "status", "feedback", "reward"}
        no_reporter_data(public)
        assert self.state.content not in json.dumps(public, ensure_ascii=False)


TipMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestTipStateful = TipMachine.TestCase
