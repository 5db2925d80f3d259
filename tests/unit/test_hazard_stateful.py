"""Hazards under random commands by random actors, with time passing and deadlines firing (hypothesis).

Invariants after every step: the state round-trips through JSON; no major hazard is closed without an
approved five-part plan, a passed assessment and a passed review; a closed or cancelled hazard owes
nothing and accepts nothing; every open hazard owes a clock, or is overdue, or has a lapsed clock on
record; a fired deadline is never owed again; accrued penalty = fine × days; refused commands change
nothing.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.actors import SYSTEM, Actor, Role
from domain.decider import Context
from domain.errors import DomainError
from domain.hazard import HAZARD, TERMINAL, HazardState, Level, Status
from domain.policy import parse_pack
from domain.timecalc import CN_TZ

ROOT = Path(__file__).resolve().parents[2]
PACK = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "200"))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CN_TZ)
REGION, ENT = "500107", "E-1"
ACTORS = [
    Actor(id="ent-1", role=Role.enterprise, region=REGION, enterprise_id=ENT),
    Actor(id="ent-2", role=Role.enterprise, region=REGION, enterprise_id="E-2"),
    Actor(id="insp-1", role=Role.inspector, region=REGION),
    Actor(id="insp-2", role=Role.inspector, region="500100"),
    Actor(id="insp-9", role=Role.inspector, region="500108"),
    Actor(id="sup-1", role=Role.supervisor, region="500100"),
    Actor(id="sup-1", role=Role.inspector, region=REGION),  # the same person as an inspector
    Actor(id="exp-1", role=Role.expert, region=REGION),
    Actor(id="op-1", role=Role.operator, region=REGION),
    Actor(id="aud-1", role=Role.auditor, region="000000"),
    SYSTEM,
]


def commands(now: datetime) -> st.SearchStrategy[dict[str, Any]]:
    days = st.integers(min_value=-2, max_value=200).map(
        lambda d: (now + timedelta(days=d, hours=1)).isoformat()
    )
    text = st.sampled_from(["", "ok", "parts delayed"])
    basis = st.sampled_from([None, {"standard": "s", "clause": "c"}])
    plan = st.fixed_dictionaries(
        {
            "type": st.just("submit_plan"),
            "responsible": st.sampled_from([{"name": "张三", "phone": "1"}, {"name": "", "phone": ""}]),
            "measures": st.sampled_from([["m"], []]),
            "funds": st.sampled_from([{"amount": "1000", "source": "b"}, {"amount": "0", "source": "b"}]),
            "deadline": days,
            "contingency_plan": st.sampled_from(["drill", ""]),
        }
    )
    return st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("grade"), "level": st.sampled_from(["general", "major"]), "basis": basis}
        ),
        st.fixed_dictionaries(
            {"type": st.just("grade"), "level": st.just("general"), "on_the_spot": st.booleans()}
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("regrade"),
                "level": st.sampled_from(["general", "major"]),
                "basis": basis,
                "reason": text,
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("list_for_supervision"),
                "authority": st.just("a"),
                "deadline": days,
                "requirements": st.just("r"),
                "stop_work": st.sampled_from(["none", "partial", "full"]),
            }
        ),
        plan,
        st.fixed_dictionaries({"type": st.just("decide_plan"), "approved": st.booleans(), "comment": text}),
        st.fixed_dictionaries(
            {"type": st.just("report_progress"), "percent": st.integers(0, 100), "note": text}
        ),
        st.fixed_dictionaries(
            {"type": st.just("request_extension"), "new_deadline": days, "reason": st.just("r")}
        ),
        st.fixed_dictionaries(
            {"type": st.just("decide_extension"), "approved": st.booleans(), "comment": text}
        ),
        st.fixed_dictionaries({"type": st.just("submit_explanation"), "text": st.just("why")}),
        st.fixed_dictionaries(
            {"type": st.just("submit_rectification"), "summary": st.just("done"), "evidence": st.just([])}
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("submit_assessment"),
                "assessor": st.just("a"),
                "organization": st.just("o"),
                "passed": st.booleans(),
                "report_uri": st.just("u"),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("review"),
                "passed": st.booleans(),
                "comment": text,
                "new_deadline": st.one_of(st.none(), days),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("impose_penalty"),
                "amount": st.sampled_from(["100", "20000"]),
                "decision_no": st.sampled_from(["D1", "D2", "D3", "D4"]),
                "legal_basis": st.just("L"),
            }
        ),
        st.fixed_dictionaries(
            {"type": st.just("reinspect"), "compliant": st.booleans(), "note": st.just("n")}
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("order_stop_work"),
                "scope": st.sampled_from(["partial", "full"]),
                "reason": st.just("r"),
            }
        ),
        st.fixed_dictionaries({"type": st.just("lift_stop_work"), "reason": st.just("r")}),
        st.fixed_dictionaries({"type": st.just("cancel"), "reason": st.just("r")}),
    )


class HazardMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state: HazardState = HAZARD.initial_state()
        self.now = T0
        self.fired: set[tuple[str, datetime]] = set()

    def _apply(self, actor: Actor, command: dict[str, Any]) -> bool:
        before = self.state
        try:
            events = HAZARD.decide(
                before,
                HAZARD.parse_command(command),
                Context(actor=actor, now=self.now, policy=PACK, case_id="HZ-S"),
            )
        except DomainError:
            assert self.state == before
            return False
        for e in events:
            after = HAZARD.evolve(self.state, e)
            for n in HAZARD.notices(self.state, e, after):
                assert n.recipient_party
            self.state = after
        return True

    @initialize(source=st.sampled_from(["self_inspection", "inspection"]))
    def report(self, source: str) -> None:
        actor = ACTORS[0] if source == "self_inspection" else ACTORS[2]
        body = {
            "type": "report",
            "title": "t",
            "enterprise_id": ENT,
            "region": REGION,
            "source": source,
            "category": "unsafe_act",
        }
        assert self._apply(actor, body)

    @rule(actor=st.sampled_from(ACTORS), data=st.data())
    def command(self, actor: Actor, data: st.DataObject) -> None:
        self._apply(actor, data.draw(commands(self.now)))

    @rule(hours=st.integers(min_value=1, max_value=24 * 40))
    def time_passes(self, hours: int) -> None:
        until = self.now + timedelta(hours=hours)
        for _ in range(500):
            due = [d for d in HAZARD.deadlines(self.state) if d.due_at <= until]
            if not due:
                break
            d = due[0]
            self.now = max(self.now, d.due_at)
            assert self._apply(
                SYSTEM, {"type": "deadline_elapsed", "key": d.key, "due_at": d.due_at.isoformat()}
            )
            self.fired.add((d.key, d.due_at))
            assert (d.key, d.due_at) not in {(x.key, x.due_at) for x in HAZARD.deadlines(self.state)}
        self.now = until

    @rule()
    def stale_timer_does_nothing(self) -> None:
        if self.fired:
            key, due = sorted(self.fired)[0]
            before = self.state
            if (key, due) not in {(d.key, d.due_at) for d in HAZARD.deadlines(before)}:
                assert (
                    HAZARD.decide(
                        before,
                        HAZARD.parse_command(
                            {"type": "deadline_elapsed", "key": key, "due_at": due.isoformat()}
                        ),
                        Context(actor=SYSTEM, now=self.now, policy=PACK, case_id="HZ-S"),
                    )
                    == []
                )

    @invariant()
    def round_trips(self) -> None:
        assert HAZARD.parse_state(self.state.model_dump(mode="json")) == self.state

    @invariant()
    def no_major_hazard_closed_without_the_three_gates(self) -> None:
        s = self.state
        if s.status == Status.closed and s.level == Level.major:
            assert s.plan is not None and s.plan.status == "approved"
            assert s.assessment is not None and s.assessment.data["passed"] is True
            assert s.reviews and s.reviews[-1].data["passed"] is True

    @invariant()
    def closed_accepts_nothing(self) -> None:
        if self.state.status in TERMINAL:
            assert HAZARD.deadlines(self.state) == []
            assert HAZARD.view(self.state)["allowed_commands"] == []

    @invariant()
    def every_open_hazard_owes_a_clock_or_is_overdue(self) -> None:
        s = self.state
        if s.status not in TERMINAL:
            assert HAZARD.deadlines(s) or s.overdue or s.progress_overdue or s.lapsed, s.status

    @invariant()
    def accrued_penalty_is_fine_times_days(self) -> None:
        p = self.state.penalty
        assert p.accrued_total == p.accrual_base * p.days_accrued

    @invariant()
    def closed_general_hazards_were_reviewed_by_someone_else(self) -> None:
        s = self.state
        if s.status == Status.closed:
            assert s.reviews and s.rectifications and s.reviews[-1].by != s.rectifications[-1].by


TestHazardStateful = HazardMachine.TestCase
TestHazardStateful.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
