"""Notifications are rendered for people in Chinese: the subject wholly, the body first (English after)."""

from __future__ import annotations

from datetime import UTC, datetime

from notify.delivery import render


def test_subject_in_chinese_body_chinese_first():
    subject, body = render(
        {
            "kind": "overdue",
            "case_kind": "hazard",
            "case_id": "HZ-1",
            "subject": "the hazard is overdue",
            "due_at": datetime(2026, 12, 3, 8, tzinfo=UTC),
            "data": {"title": "配电箱未接地", "status": "rectifying"},
        }
    )
    assert subject == "【隐患整改】逾期：隐患 HZ-1 配电箱未接地"
    assert subject.isascii() is False and "Overdue" not in subject
    lines = body.splitlines()
    assert lines[:5] == [
        "逾期",
        "隐患：HZ-1 — 配电箱未接地",
        "事项：the hazard is overdue",
        "期限：2026-12-03T08:00:00+00:00",
        "状态：rectifying",
    ]
    assert "Overdue: hazard HZ-1 — 配电箱未接地" in lines
