"""Enterprise records under random case facts, officers' commands and passing time (hypothesis).

Invariants after every step: the state round-trips through JSON; each Art. 113 ground is proposed at
most once; ground (一) is proposed exactly when an independent count says so (an open major hazard and
3 penalties within 180 days or 4 within a calendar year, over all cases); a listing cause is never
pending twice; a listing in force ends after its duration and may be removed early only after 12
months; a fired deadline is never owed again; refused commands change nothing.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.actors import SYSTEM, Actor
from domain.decider import Context
from domain.enterprise import ENTERPRISE, record_id
from domain.enterprise.state import CaseFacts, PenaltyFact
from domain.errors import DomainError
from domain.policy import parse_pack
from domain.timecalc import CN_TZ
from tests.unit.test_hazard_stateful import ACTORS

ROOT = Path(__file__).resolve().parents[2]
PACK = parse_pack((ROOT / "policies" / "cn-national.toml").read_text())
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "200"))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=CN_TZ)
REGION, ENT = "500107", "E-1"
HAZARDS = ["HZ-1", "HZ-2", "HZ-3"]


def year_back(now: datetime) -> datetime:
    local = now.astimezone(CN_TZ)
    try:
        return local.replace(year=local.year - 1)
    except ValueError:  # 29 February
        return local.replace(year=local.year - 1, day=28)


class RecordMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.state = ENTERPRISE.initial_state()
        self.facts: dict[str, CaseFacts] = {}
        self.fired: set[tuple[str, datetime]] = set()
        self.do(SYSTEM, {"type": "open_record", "enterprise_id": ENT, "region": REGION})

    def do(self, actor: Actor, command: dict[str, Any]) -> list[Any]:
        ctx = Context(actor=actor, now=self.now, policy=PACK, case_id=record_id(ENT))
        before = self.state
        try:
            events = ENTERPRISE.decide(self.state, ENTERPRISE.parse_command(command), ctx)
        except DomainError:
            assert self.state == before
            return []
        for e in events:
            self.state = ENTERPRISE.evolve(self.state, e)
        proposed = any(e.type == "closure_proposed" and e.ground == "一" for e in events)
        if command["type"] != "deadline_elapsed":
            self.check_ground_one(proposed)
        return events

    def tell(self, case_id: str, facts: CaseFacts, kind: str = "hazard") -> None:
        self.facts[case_id] = facts
        summary = facts.model_dump(mode="json")
        self.do(
            SYSTEM,
            {
                "type": "child_case_updated",
                "child_id": case_id,
                "child_kind": kind,
                "ref": "f",
                "summary": summary,
            },
        )

    def check_ground_one(self, proposed: bool) -> None:
        """The independent count: ground (一) is on record once it holds, and proposed only when it holds."""
        major = any(f.major_open for f in self.facts.values())
        times = [p.at for f in self.facts.values() for p in f.penalties]
        short = sum(1 for t in times if self.now - timedelta(days=180) <= t <= self.now)
        year = sum(1 for t in times if year_back(self.now) <= t <= self.now)
        holds = major and (short >= 3 or year >= 4)
        if holds:
            assert "一" in self.state.closure_grounds
        if proposed:
            assert holds

    # ---- rules --------------------

    @rule(
        case=st.sampled_from(HAZARDS),
        major=st.booleans(),
        open_=st.booleans(),
        stop=st.sampled_from(["none", "none", "partial", "full"]),
        lacking=st.booleans(),
    )
    def hazard_facts(self, case: str, major: bool, open_: bool, stop: str, lacking: bool) -> None:
        old = self.facts.get(case)
        self.tell(
            case,
            CaseFacts(
                kind="hazard",
                status="listed" if open_ else "closed",
                terminal=not open_,
                level="major" if major else "general",
                major_open=major and open_,
                stop_work=stop if open_ else "none",
                stop_work_since=self.now if stop != "none" else None,
                lacking_after_suspension=lacking and stop == "full" and open_,
                penalties=old.penalties if old else [],
            ),
        )

    @rule(case=st.sampled_from(HAZARDS), days=st.integers(min_value=0, max_value=200))
    def penalty(self, case: str, days: int) -> None:
        self.advance(timedelta(days=days))
        old = self.facts.get(case) or CaseFacts(kind="hazard", status="rectifying", level="general")
        p = PenaltyFact(case_id=case, decision_no=f"D-{len(old.penalties)}", amount=Decimal(100), at=self.now)
        self.tell(case, old.model_copy(update={"penalties": [*old.penalties, p]}))

    @rule(grade=st.sampled_from(["general", "larger", "major", "especially_major"]))
    def incident(self, grade: str) -> None:
        self.tell("IN-1", CaseFacts(kind="incident", status="investigating", grade=grade), kind="incident")

    @rule(actor=st.sampled_from(ACTORS), case=st.sampled_from([*HAZARDS, "HZ-9"]))
    def refusal(self, actor: Actor, case: str) -> None:
        self.do(actor, {"type": "record_refusal", "case_id": case, "note": "working on"})

    @rule(actor=st.sampled_from(ACTORS), listed=st.booleans(), text=st.sampled_from(["", "D-9"]))
    def decide_listing(self, actor: Actor, listed: bool, text: str) -> None:
        self.do(actor, {"type": "decide_listing", "listed": listed, "decision_no": text, "comment": text})

    @rule(actor=st.sampled_from(ACTORS))
    def publication(self, actor: Actor) -> None:
        self.do(actor, {"type": "record_publication", "where": "gsxt"})

    @rule(actor=st.sampled_from(ACTORS))
    def request_removal(self, actor: Actor) -> None:
        self.do(actor, {"type": "request_removal", "reason": "corrected"})

    @rule(actor=st.sampled_from(ACTORS), approved=st.booleans(), comment=st.sampled_from(["", "no"]))
    def decide_removal(self, actor: Actor, approved: bool, comment: str) -> None:
        self.do(actor, {"type": "decide_removal", "approved": approved, "comment": comment})

    @rule(days=st.sampled_from([1, 7, 30, 200, 400, 1200]))
    def wait(self, days: int) -> None:
        self.advance(timedelta(days=days))

    def advance(self, by: timedelta) -> None:
        until = self.now + by
        while due := [d for d in ENTERPRISE.deadlines(self.state) if d.due_at <= until]:
            d = due[0]
            assert (d.key, d.due_at) not in self.fired, f"{d.key} fired twice"
            self.fired.add((d.key, d.due_at))
            self.now = max(self.now, d.due_at)
            self.do(SYSTEM, {"type": "deadline_elapsed", "key": d.key, "due_at": d.due_at.isoformat()})
        self.now = until

    # ---- invariants --------------------

    @invariant()
    def round_trips(self) -> None:
        assert ENTERPRISE.parse_state(self.state.model_dump(mode="json")) == self.state
        ENTERPRISE.view(self.state)

    @invariant()
    def grounds_once_and_causes_once(self) -> None:
        grounds = [p.ground for p in self.state.closure]
        assert len(grounds) == len(set(grounds))
        causes = [c.cause for c in self.state.credit_causes]
        assert len(causes) == len(set(causes)) and set(causes) <= set(PACK.table("credit.listing_causes"))

    @invariant()
    def a_listing_in_force_is_within_its_duration(self) -> None:
        lst = self.state.listing
        if self.state.listed and lst is not None:
            assert lst.listed_at < lst.repair_from < lst.until and self.now < lst.until
            if lst.removal_requested_at is not None:
                assert lst.removal_requested_at >= lst.repair_from
        if lst is not None and lst.removed_because == "repaired":
            assert lst.removal_requested_at is not None


TestRecordMachine = RecordMachine.TestCase
TestRecordMachine.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
