"""The hazard loop with its real clocks (the national pack: days, working days, months) on the
time-skipping server: the test jumps the clock, the workflow's durable timers fire."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.policy import parse_pack
from harness.servers import unique_queue
from runtime.settings import REPO_ROOT
from store.db import make_engine
from store.events import read_stream, verify_chain
from store.schema import cases, notifications
from worker import build_worker
from workflows.case import CaseWorkflow
from workflows.contracts import CaseInput, CommandRequest
from workflows.kinds import HazardWorkflow

POLICY = parse_pack((REPO_ROOT / "policies" / "cn-national.toml").read_text())
REGION = "500107"
ENT = "ENT-TS-1"
ENTERPRISE = Actor(id="ent-1", role=Role.enterprise, region=REGION, enterprise_id=ENT)
INSPECTOR = Actor(id="insp-1", role=Role.inspector, region=REGION)
SUPERVISOR = Actor(id="sup-1", role=Role.supervisor, region="500100")
EXPERT = Actor(id="exp-1", role=Role.expert, region=REGION)
REPORT = {
    "type": "report",
    "title": "液氨储罐安全阀失效 ammonia tank relief valve failed",
    "description": "found by the district inspection",
    "enterprise_id": ENT,
    "region": REGION,
    "industry": "hazardous_chemicals",
    "location": "tank farm",
    "source": "inspection",
    "category": "unsafe_condition",
    "risk_color": "red",
}


@dataclass
class Case:
    env: WorkflowEnvironment
    engine: AsyncEngine
    handle: WorkflowHandle[Any, Any]

    async def do(self, actor: Actor, command: dict[str, Any]) -> dict[str, Any]:
        result = await self.handle.execute_update(
            CaseWorkflow.execute, CommandRequest(command=command, actor=actor)
        )
        return result.case

    async def view(self) -> dict[str, Any]:
        return dict(await self.handle.query("state"))

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def skip(self, delta: timedelta) -> dict[str, Any]:
        await self.env.sleep(delta)
        return await self.view()

    async def event_types(self) -> list[str]:
        async with self.engine.connect() as conn:
            stream = await read_stream(conn, self.handle.id)
        assert verify_chain(stream) == []
        return [e.type for e in stream]

    async def notices(self) -> list[tuple[str, str, str]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(notifications.c.kind, notifications.c.recipient_role, notifications.c.recipient_party)
                .where(notifications.c.case_id == self.handle.id)
                .order_by(notifications.c.id)
            )
            return [(r.kind, r.recipient_role, r.recipient_party) for r in rows]


@pytest.fixture
async def hazard(ts_env, db_url) -> AsyncIterator[Case]:
    engine = make_engine(db_url)
    queue = unique_queue()
    async with build_worker(ts_env.client, queue, StoreActivities(engine), workflows=[HazardWorkflow]):
        handle = await ts_env.client.start_workflow(
            HazardWorkflow.run,
            CaseInput(case_id="HZ-TS-1", kind="hazard", policy=POLICY, actor=INSPECTOR, command=REPORT),
            id="HZ-TS-1",
            task_queue=queue,
        )
        await handle.execute_update(CaseWorkflow.created)
        yield Case(ts_env, engine, handle)
    await engine.dispose()


def at(view: dict[str, Any], key: str) -> datetime:
    return datetime.fromisoformat(view[key])


async def test_overdue_general_hazard_asks_for_an_explanation_and_escalates_without_one(hazard: Case) -> None:
    view = await hazard.do(INSPECTOR, {"type": "grade", "level": "general"})
    assert view["status"] == "rectifying"
    deadline = at(view, "deadline")
    # the policy default: 7 natural days
    assert abs(deadline - await hazard.now() - timedelta(days=7)) < timedelta(minutes=1)

    view = await hazard.skip(timedelta(days=5))  # the 3-day reminder has fired, not yet overdue
    assert view["overdue"] is False
    assert [k for k, *_ in await hazard.notices()].count("reminder") == 1

    view = await hazard.skip(timedelta(days=2, hours=1))  # past the deadline
    assert view["overdue"] is True and view["status"] == "rectifying"
    kinds = [d["kind"] for d in view["deadlines"]]
    assert "explanation" in kinds
    notices = await hazard.notices()
    assert ("overdue", "enterprise_responsible", ENT) in [(k, r, p) for k, r, p in notices]

    view = await hazard.skip(timedelta(days=3, hours=1))  # no written explanation within 3 days
    notices = await hazard.notices()
    escalations = [n for n in notices if n[0] == "escalation"]
    # one level up in the jurisdiction tree: a 重庆 district → the municipality
    assert escalations and all(p == "500000" for _, _, p in escalations)
    assert "explanation" not in [d["kind"] for d in view["deadlines"]]

    # late, but the enterprise still explains and rectifies; a second person reviews; closed
    await hazard.do(ENTERPRISE, {"type": "submit_explanation", "text": "valve on back-order"})
    await hazard.do(ENTERPRISE, {"type": "submit_rectification", "summary": "valve replaced", "evidence": []})
    view = await hazard.do(SUPERVISOR, {"type": "review", "passed": True, "comment": "tested on site"})
    assert view["status"] == "closed" and view["deadlines"] == []
    types = await hazard.event_types()
    assert types[0] == "hazard_reported" and types[-1] == "reviewed"


async def test_failed_review_loops_back_with_a_new_deadline(hazard: Case) -> None:
    await hazard.do(INSPECTOR, {"type": "grade", "level": "general"})
    await hazard.do(ENTERPRISE, {"type": "submit_rectification", "summary": "tried", "evidence": []})
    new_deadline = await hazard.now() + timedelta(days=20)
    view = await hazard.do(
        INSPECTOR,
        {"type": "review", "passed": False, "comment": "not fixed", "new_deadline": new_deadline.isoformat()},
    )
    assert view["status"] == "rectifying"
    assert abs(at(view, "deadline") - new_deadline) < timedelta(seconds=1)
    view = await hazard.skip(timedelta(days=19))
    assert view["overdue"] is False  # the old 7-day deadline no longer counts
    view = await hazard.skip(timedelta(days=1, hours=1))
    assert view["overdue"] is True


async def test_major_hazard_listed_extended_treated_assessed_and_written_off(hazard: Case) -> None:
    view = await hazard.do(
        INSPECTOR,
        {"type": "grade", "level": "major", "basis": {"standard": "应急管理部令第10号", "clause": "第四条"}},
    )
    assert view["status"] == "reported_major"
    now = await hazard.now()
    deadline = now + timedelta(days=180)
    view = await hazard.do(
        SUPERVISOR,
        {
            "type": "list_for_supervision",
            "authority": "九龙坡区安委办",
            "deadline": deadline.isoformat(),
            "requirements": "replace the relief valves, partial stop of the tank farm",
            "stop_work": "partial",
        },
    )
    assert view["status"] == "listed"
    plan = {
        "type": "submit_plan",
        "responsible": {"name": "张三", "phone": "023-6000000"},
        "measures": ["replace valves", "pressure test"],
        "funds": {"amount": "120000", "source": "enterprise safety budget"},
        "deadline": (now + timedelta(days=150)).isoformat(),
        "contingency_plan": "ammonia leak drill plan v3",
    }
    await hazard.do(ENTERPRISE, plan)
    view = await hazard.do(SUPERVISOR, {"type": "decide_plan", "approved": True, "comment": "ok"})
    assert view["status"] == "treating"

    # a quarter passes: the progress report falls due
    view = await hazard.skip(timedelta(days=95))
    await hazard.do(ENTERPRISE, {"type": "report_progress", "percent": 40, "note": "valves ordered"})

    # the extension: asked well before the cut-off, approved; the original deadline stays on record
    extended = deadline + timedelta(days=60)
    await hazard.do(
        ENTERPRISE, {"type": "request_extension", "new_deadline": extended.isoformat(), "reason": "supplier"}
    )
    view = await hazard.do(SUPERVISOR, {"type": "decide_extension", "approved": True, "comment": "granted"})
    assert abs(at(view, "deadline") - extended) < timedelta(seconds=1)
    assert abs(at(view, "original_deadline") - deadline) < timedelta(seconds=1)

    # past the original deadline: not overdue, the extension holds
    view = await hazard.skip(deadline - await hazard.now() + timedelta(days=1))
    assert view["overdue"] is False

    await hazard.do(
        ENTERPRISE, {"type": "submit_rectification", "summary": "valves replaced", "evidence": []}
    )
    view = await hazard.do(
        EXPERT,
        {
            "type": "submit_assessment",
            "assessor": "李四",
            "organization": "重庆安评",
            "passed": True,
            "report_uri": "s3://r",
        },
    )
    assert view["status"] == "awaiting_review"
    # the regulator's 10-day review clock runs out: the authority's head is told, the enterprise is not blamed
    view = await hazard.skip(timedelta(days=10, hours=1))
    assert any(k == "escalation" for k, _, _ in await hazard.notices())
    view = await hazard.do(SUPERVISOR, {"type": "review", "passed": True, "comment": "核销, 摘牌"})
    # written off: the case stays open until the write-off's publication is recorded (5 working days)
    assert view["status"] == "written_off"
    assert [d["key"] for d in view["deadlines"]] == ["writeoff_publication"]
    view = await hazard.do(SUPERVISOR, {"type": "publish_writeoff", "uri": "https://example.org/gs/1"})
    assert view["status"] == "closed" and view["deadlines"] == []


async def test_daily_penalties_accrue_over_ten_days_until_compliance(hazard: Case) -> None:
    view = await hazard.do(INSPECTOR, {"type": "grade", "level": "general"})
    deadline = at(view, "deadline")
    await hazard.do(
        INSPECTOR,
        {
            "type": "impose_penalty",
            "amount": "20000",
            "decision_no": "渝九应急罚〔2026〕7号",
            "legal_basis": "安全生产法第一百零二条",
        },
    )
    await hazard.skip(deadline - await hazard.now() + timedelta(hours=1))
    view = await hazard.do(INSPECTOR, {"type": "reinspect", "compliant": False, "note": "still broken"})
    assert view["penalty"]["accruing"] is True
    start_days = int(view["penalty"]["days_accrued"])
    view = await hazard.skip(timedelta(days=10))
    penalty = view["penalty"]
    assert int(penalty["days_accrued"]) == start_days + 10
    assert Decimal(penalty["accrued_total"]) == Decimal("20000") * int(penalty["days_accrued"])
    view = await hazard.do(INSPECTOR, {"type": "reinspect", "compliant": True, "note": "fixed"})
    assert view["penalty"]["accruing"] is False
    frozen = view["penalty"]["accrued_total"]
    view = await hazard.skip(timedelta(days=3))
    assert view["penalty"]["accrued_total"] == frozen
    async with hazard.engine.connect() as conn:
        row = (await conn.execute(select(cases.c.status).where(cases.c.id == hazard.handle.id))).one()
    assert row.status == view["status"]
