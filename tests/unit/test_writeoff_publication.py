"""Issue #18: the write-off (销号) of a listed hazard published within 5 working days, as a clock with a
recorded publication (domain/hazard/publication.py). Under cn-national (2026.3 on) the case rests in
`written_off` until `publish_writeoff` closes it; packs without the key close at the write-off."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import Forbidden, NotAllowedInState
from domain.hazard import HAZARD
from domain.hazard.publication import WRITEOFF_KEY
from domain.timecalc import CN_TZ
from tests.unit.test_hazard_decider import (
    INSPECTOR,
    OPERATOR,
    PACK,
    SUPERVISOR,
    Case,
    awaiting_review,
)

URI = "https://example.org/gongshi/writeoff-1"


def written_off() -> Case:
    c = awaiting_review()
    c.do(SUPERVISOR, {"type": "review", "passed": True, "comment": "核销"})
    return c


def test_a_written_off_listing_stays_open_owing_its_publication_in_5_working_days() -> None:
    c = written_off()
    assert c.status == "written_off" and c.state.closed_at is None
    assert c.state.listing is not None and c.state.listing.lifted_at == c.now  # 摘牌 at the write-off
    due = c.state.publish_due
    assert due is not None and due == PACK.add("listing.publish_due", c.now)
    # written off on Monday 2 March 2026: the 5th working day is Monday 9 March, same time of day
    assert due.astimezone(CN_TZ).date() == date(2026, 3, 9)
    assert due.astimezone(CN_TZ).time() == c.now.astimezone(CN_TZ).time()
    # only this clock is owed now (no review, no listing-duration, no listing-publication clock)
    assert [(d.key, d.due_at) for d in HAZARD.deadlines(c.state)] == [(WRITEOFF_KEY, due)]
    view = HAZARD.view(c.state)
    assert view["allowed_commands"] == ["publish_writeoff"] and not HAZARD.index(c.state).terminal
    assert any(n.kind == "publication_due" for n in c.notices)


def test_published_on_the_5th_working_day_closes_in_time() -> None:
    c = written_off()
    due = c.state.publish_due
    assert due is not None
    c.now = due - timedelta(minutes=5)
    assert c.do(SUPERVISOR, {"type": "publish_writeoff", "uri": URI}) == ["writeoff_published"]  # at due
    assert c.status == "closed" and c.state.closed_at == due
    pub = c.state.writeoff_publication
    assert pub is not None and pub.data == {"uri": URI, "late": False}
    assert HAZARD.deadlines(c.state) == [] and HAZARD.view(c.state)["allowed_commands"] == []


def test_published_the_day_after_is_late() -> None:
    c = written_off()
    due = c.state.publish_due
    assert due is not None
    c.now = due
    c.do(OPERATOR, {"type": "publish_writeoff", "uri": URI}, timedelta(days=1))
    pub = c.state.writeoff_publication
    assert c.status == "closed" and pub is not None and pub.data["late"] is True


def test_a_lapse_escalates_to_the_next_level_and_the_publication_stays_owed() -> None:
    c = written_off()
    due = c.state.publish_due
    assert due is not None
    assert c.fire_until(due - timedelta(seconds=1)) == []  # nothing before the due time
    assert c.fire_until(due) == ["deadline_missed"]
    assert c.state.escalations[-1].data == {"clock": WRITEOFF_KEY, "to": "500000"}
    escalated = [n for n in c.notices if n.kind == "escalation"]
    assert escalated and escalated[-1].recipient_party == "500000"
    assert c.status == "written_off" and HAZARD.deadlines(c.state) == []
    c.do(SUPERVISOR, {"type": "publish_writeoff", "uri": URI}, timedelta(days=2))
    assert c.status == "closed" and c.state.writeoff_publication is not None


def test_only_a_supervisor_or_operator_publishes_and_nothing_else_is_accepted() -> None:
    c = written_off()
    with pytest.raises(Forbidden):
        c.do(INSPECTOR, {"type": "publish_writeoff", "uri": URI})
    with pytest.raises(NotAllowedInState):
        c.do(SUPERVISOR, {"type": "cancel", "reason": "r"})
    with pytest.raises(NotAllowedInState):
        c.do(SUPERVISOR, {"type": "order_stop_work", "scope": "full", "reason": "r"})


def test_publish_writeoff_before_the_write_off_is_refused() -> None:
    c = awaiting_review()
    with pytest.raises(NotAllowedInState):
        c.do(SUPERVISOR, {"type": "publish_writeoff", "uri": URI})


def test_a_pack_without_the_key_closes_at_the_write_off() -> None:
    import tests.unit.test_hazard_decider as hz

    values = {k: v for k, v in PACK.values.items() if k != "listing.writeoff_publication_recorded"}
    old = PACK.model_copy(update={"values": values})
    c = awaiting_review()
    original, hz.PACK = hz.PACK, old
    try:
        c.do(SUPERVISOR, {"type": "review", "passed": True, "comment": "核销"})
    finally:
        hz.PACK = original
    assert c.status == "closed" and c.state.closed_at == c.now
    assert HAZARD.deadlines(c.state) == []
