"""Incidents under random commands by random actors with time passing (hypothesis).

Invariants: the state round-trips; a terminal case owes and accepts nothing; an open case owes a clock
or has one lapsed on record; the investigating level never moves down; the grade always equals the
table applied to the current counts; a closed case passed all four checks of its last evaluation;
refused commands change nothing; a fired deadline is never owed again.
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
from domain.incident import INCIDENT, TERMINAL, IncidentState, Status, grade_of
from domain.incident.grading import LEVEL_ORDER
from domain.policy import parse_pack
from domain.timecalc import CN_TZ

ROOT = Path(__file__).resolve().parents[2]
PACK = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
TABLE = PACK.table("incident.grade_thresholds")
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "200"))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CN_TZ)
REGION, ENT = "500107", "E-1"
ACTORS = [
    Actor(id="ent-1", role=Role.enterprise, region=REGION, enterprise_id=ENT),
    Actor(id="insp-1", role=Role.inspector, region=REGION),
    Actor(id="sup-1", role=Role.supervisor, region=REGION),
    Actor(id="insp-c", role=Role.inspector, region="500100"),
    Actor(id="sup-c", role=Role.supervisor, region="500100"),
    Actor(id="sup-p", role=Role.supervisor, region="500000"),
    Actor(id="op-1", role=Role.operator, region=REGION),
    Actor(id="aud-1", role=Role.auditor, region="000000"),
    SYSTEM,
]


def commands(now: datetime) -> st.SearchStrategy[dict[str, Any]]:
    counts = {
        "deaths": st.integers(0, 40),
        "serious_injuries": st.integers(0, 120),
        "direct_loss": st.sampled_from(["0", "10000000", "60000000"]),
    }
    b = st.booleans()
    return st.one_of(
        st.fixed_dictionaries({"type": st.just("supplement"), **counts, "note": st.just("n")}),
        st.fixed_dictionaries({"type": st.just("acknowledge_report")}),
        st.fixed_dictionaries(
            {"type": st.just("open_investigation"), "lead_authority": st.just("x"), "team": st.just(["a"])}
        ),
        st.fixed_dictionaries({"type": st.just("pause_investigation"), "reason": st.just("r")}),
        st.fixed_dictionaries({"type": st.just("resume_investigation")}),
        st.fixed_dictionaries(
            {
                "type": st.just("request_investigation_extension"),
                "days": st.integers(1, 70),
                "reason": st.just("r"),
            }
        ),
        st.fixed_dictionaries({"type": st.just("decide_investigation_extension"), "approved": b}),
        st.fixed_dictionaries(
            {
                "type": st.just("submit_report"),
                "causes": st.sampled_from([["c"], []]),
                "enterprise_responsibility": st.sampled_from([["e"], []]),
                "regulatory_responsibility": st.sampled_from([["r"], []]),
                "sanctions": st.sampled_from([[], [{"target": "t", "measure": "m"}]]),
                "measures": st.just(
                    [
                        {
                            "title": "m",
                            "owner_enterprise_id": ENT,
                            "deadline": (now + timedelta(days=30)).isoformat(),
                        }
                    ]
                ),
            }
        ),
        st.fixed_dictionaries(
            {"type": st.just("approve_report"), "approved": b, "comment": st.sampled_from(["", "c"])}
        ),
        st.fixed_dictionaries(
            {"type": st.just("record_sanction"), "index": st.integers(0, 1), "executed": b}
        ),
        st.fixed_dictionaries(
            {"type": st.just("publish"), "uri": st.just("u"), "copied_to": st.just("区综合执法局")}
        ),
        st.fixed_dictionaries(
            {"type": st.just("record_education"), "note": st.just("n"), "attendees": st.just(5)}
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("submit_evaluation"),
                "causes_identified": b,
                "responsible_handled": b,
                "measures_implemented": b,
                "people_educated": b,
                "report_uri": st.just("u"),
            }
        ),
        st.fixed_dictionaries({"type": st.just("flag_concealment"), "source": st.just("tip")}),
        st.fixed_dictionaries({"type": st.just("cancel"), "reason": st.just("r")}),
        st.fixed_dictionaries(
            {
                "type": st.just("child_case_updated"),
                "child_id": st.just("IN-S-m1"),
                "child_kind": st.just("hazard"),
                "ref": st.just("m1"),
                "summary": st.fixed_dictionaries({"status": st.sampled_from(["rectifying", "closed"])}),
            }
        ),
    )


class IncidentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.state: IncidentState = INCIDENT.initial_state()
        self.now = T0
        self.max_level = 0

    def _apply(self, actor: Actor, command: dict[str, Any]) -> bool:
        before = self.state
        try:
            events = INCIDENT.decide(
                before,
                INCIDENT.parse_command(command),
                Context(actor=actor, now=self.now, policy=PACK, case_id="IN-S"),
            )
        except DomainError:
            assert self.state == before
            return False
        for e in events:
            after = INCIDENT.evolve(self.state, e)
            INCIDENT.notices(self.state, e, after)
            INCIDENT.children(self.state, e, after)
            self.state = after
        return True

    @initialize(deaths=st.integers(0, 35), late=st.booleans())
    def report(self, deaths: int, late: bool) -> None:
        occurred = self.now - (timedelta(hours=2) if late else timedelta(minutes=10))
        body = {
            "type": "report",
            "occurred_at": occurred.isoformat(),
            "enterprise_id": ENT,
            "region": REGION,
            "incident_type": "industrial",
            "deaths": deaths,
            "serious_injuries": 0,
            "direct_loss": "0",
            "description": "d",
        }
        assert self._apply(ACTORS[0], body)

    @rule(actor=st.sampled_from(ACTORS), data=st.data())
    def command(self, actor: Actor, data: st.DataObject) -> None:
        self._apply(actor, data.draw(commands(self.now)))

    @rule(days=st.integers(min_value=1, max_value=120))
    def time_passes(self, days: int) -> None:
        until = self.now + timedelta(days=days)
        for _ in range(200):
            due = [d for d in INCIDENT.deadlines(self.state) if d.due_at <= until]
            if not due:
                break
            d = due[0]
            self.now = max(self.now, d.due_at)
            assert self._apply(
                SYSTEM, {"type": "deadline_elapsed", "key": d.key, "due_at": d.due_at.isoformat()}
            )
            assert (d.key, d.due_at) not in {(x.key, x.due_at) for x in INCIDENT.deadlines(self.state)}
        self.now = until

    @invariant()
    def round_trips(self) -> None:
        assert INCIDENT.parse_state(self.state.model_dump(mode="json")) == self.state

    @invariant()
    def terminal_owes_and_accepts_nothing(self) -> None:
        if self.state.status in TERMINAL:
            assert (
                INCIDENT.deadlines(self.state) == [] and INCIDENT.view(self.state)["allowed_commands"] == []
            )

    @invariant()
    def open_cases_owe_a_clock_or_have_one_lapsed(self) -> None:
        s = self.state
        if s.status not in TERMINAL:
            assert INCIDENT.deadlines(s) or s.lapsed or s.status == Status.appraisal_pause

    @invariant()
    def the_investigation_never_moves_down(self) -> None:
        level = self.state.investigating_level
        assert level is not None
        idx = LEVEL_ORDER.index(level)
        assert idx >= self.max_level
        self.max_level = idx

    @invariant()
    def the_grade_follows_the_table(self) -> None:
        s = self.state
        assert s.grade == grade_of(s.deaths, s.serious_injuries, s.direct_loss, TABLE)

    @invariant()
    def closed_means_all_four_held(self) -> None:
        s = self.state
        if s.status == Status.closed:
            assert s.evaluation is not None and s.evaluation.findings
            assert all(s.evaluation.findings[-1]["findings"].values())


TestIncidentStateful = IncidentMachine.TestCase
TestIncidentStateful.settings = settings(
    max_examples=EXAMPLES, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
