"""Notifications are rendered for people in Chinese: the subject wholly, the body first (English after)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from notify.delivery import render
from tests.unit.test_enterprise_record import ENTERPRISE_USER, listed
from tests.unit.test_enterprise_record import SUPERVISOR as RECORD_SUPERVISOR
from tests.unit.test_hazard_decider import ENTERPRISE, INSPECTOR, general, treating
from tests.unit.test_incident_decider import CITY, COUNTY, approved
from tests.unit.test_incident_decider import ENTERPRISE as INCIDENT_ENTERPRISE
from tests.unit.test_incident_decider import Case as IncidentCase
from tests.unit.test_incident_decider import report as incident_report
from tests.unit.test_tip_decider import Tip


def test_subject_in_chinese_body_chinese_first():
    subject, body = render(
        {
            "kind": "overdue",
            "case_kind": "hazard",
            "case_id": "HZ-1",
            "subject": "隐患整改逾期",
            "due_at": datetime(2026, 12, 3, 8, tzinfo=UTC),
            "data": {"title": "配电箱未接地", "status": "rectifying", "subject_en": "hazard overdue"},
        }
    )
    assert subject == "【隐患整改】逾期：隐患 HZ-1 配电箱未接地"
    assert subject.isascii() is False and "Overdue" not in subject
    lines = body.splitlines()
    assert lines[:5] == [
        "逾期",
        "隐患：HZ-1 — 配电箱未接地",
        "事项：隐患整改逾期",
        "期限：2026-12-03T08:00:00+00:00",
        "状态：rectifying",
    ]
    assert "Overdue: hazard HZ-1 — 配电箱未接地" in lines
    english = lines[lines.index("---") + 1 :]
    assert english[:2] == ["Overdue: hazard HZ-1 — 配电箱未接地", "hazard overdue"]


def test_hazard_notices_read_in_chinese_with_their_english_kept() -> None:
    """The notices of a hazard's life (overdue and escalated; failed review, then closed; listed major):
    each subject in Chinese, its English kept in data["subject_en"] for the renderer's English part."""
    late = general()
    assert late.state.deadline is not None
    late.fire_until(late.state.deadline + timedelta(days=4))
    redo = general()
    redo.do(ENTERPRISE, {"type": "submit_rectification", "summary": "x", "evidence": []})
    again = (redo.now + timedelta(days=10)).isoformat()
    redo.do(INSPECTOR, {"type": "review", "passed": False, "comment": "no", "new_deadline": again})
    redo.do(ENTERPRISE, {"type": "submit_rectification", "summary": "y", "evidence": []})
    redo.do(INSPECTOR, {"type": "review", "passed": True, "comment": "ok"})
    notices = [*late.notices, *redo.notices, *treating().notices]
    kinds = {n.kind for n in notices}
    assert {"action_required", "reminder", "overdue", "escalation", "closed", "listed"} <= kinds
    assert {"major_hazard", "publication_due", "plan_decided"} <= kinds
    for n in notices:
        assert re.search(r"[\u4e00-\u9fff]", n.subject) and not re.search(r"[A-Za-z]{3,}", n.subject), n
        assert re.search(r"[A-Za-z]{3,}", n.data["subject_en"]), n
    _, body = render({**notices[0].model_dump(), "case_kind": "hazard", "case_id": "HZ-1"})
    assert "新上报隐患:请定级" in body and "new hazard reported: grade it" in body.split("---")[1]


def test_enterprise_record_notices_read_in_chinese_with_their_english_kept() -> None:
    """Closure proposal, listing cause, listing with 联合惩戒, late publication, removal: Chinese subjects."""
    r = listed()
    lst = r.state.listing
    assert lst is not None
    r.fire_until(lst.publish_due)
    r.now = lst.repair_from
    r.do(ENTERPRISE_USER, {"type": "request_removal", "reason": "corrected"})
    r.do(RECORD_SUPERVISOR, {"type": "decide_removal", "approved": True})
    kinds = {n.kind for n in r.notices}
    assert {"closure_proposal", "action_required", "credit_listed", "joint_punishment", "escalation"} <= kinds
    assert {"credit_removed", "joint_punishment_lifted"} <= kinds
    for n in r.notices:
        assert re.search(r"[\u4e00-\u9fff]", n.subject) and n.data["subject_en"] != n.subject, n
        assert not re.search(r"\b(listed as|removed from|requested|late|propose)\b", n.subject), n
    late = next(n for n in r.notices if n.kind == "escalation")
    assert (
        late.subject == "失信名单公示逾期未办"
        and late.data["subject_en"] == "the record's publication is late"
    )


def test_incident_notices_read_in_chinese_with_their_english_kept() -> None:
    """Reported late and routed, an onward report missed, regraded, concealed, the 批复: Chinese subjects."""
    late = IncidentCase()
    late.do(INCIDENT_ENTERPRISE, incident_report(1, late=True))
    late.fire("onward:")  # the first level up leaves the onward report unacknowledged
    late.do(
        COUNTY, {"type": "supplement", "deaths": 4, "serious_injuries": 0, "direct_loss": "0", "note": "n"}
    )
    late.do(CITY, {"type": "flag_concealment", "source": "tip", "note": "hidden deaths"})
    notices = [*late.notices, *approved().notices]
    kinds = {n.kind for n in notices}
    assert {"incident_reported", "late_report", "escalation", "regraded", "listed_for_supervision"} <= kinds
    assert {"action_required", "approved", "publication_due"} <= kinds
    for n in notices:
        assert re.search(r"[\u4e00-\u9fff]", n.subject) and not re.search(r"[A-Za-z]{3,}", n.subject), n
        assert re.search(r"[A-Za-z]{3,}", n.data["subject_en"]), n
    missed = next(n for n in notices if n.kind == "escalation")
    assert missed.subject == "逐级上报时限已过"
    assert re.fullmatch(r"onward:\d{6} deadline missed", missed.data["subject_en"])


def test_tip_notices_read_in_chinese_with_their_english_kept() -> None:
    """Received, verified with a case opened, feedback, reward assessed and approved, a missed clock."""
    paid = Tip().approved()
    late = Tip().received()
    late.fire("triage")
    notices = [*paid.notices, *late.notices]
    kinds = {n.kind for n in notices}
    assert {"action_required", "case_opened", "feedback", "reward_approved", "overdue", "escalation"} <= kinds
    for n in notices:
        words = re.sub(r"[A-Za-z0-9_-]*[0-9][A-Za-z0-9_-]*", "", n.subject)  # less the ids
        assert re.search(r"[\u4e00-\u9fff]", words) and not re.search(r"[a-z]{3,}", words), n
        assert re.search(r"[a-z]{3,}", n.data["subject_en"]), n
    escalated = next(n for n in notices if n.kind == "escalation")
    assert escalated.subject.endswith(":受理已逾期") and escalated.data["subject_en"].endswith(
        "triage is overdue"
    )
