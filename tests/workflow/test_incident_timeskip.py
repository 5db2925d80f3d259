"""One 较大 incident through a simulated year on the time-skipping server (national pack): investigation
with an appraisal pause and an extension, 批复, two corrective measures as child hazards closed on time,
publication, the evaluation opening at ten months, a failed check → accountability, then closure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.policy import parse_pack
from harness.servers import unique_queue
from runtime.settings import REPO_ROOT
from store.db import make_engine
from store.events import read_stream, verify_chain
from worker import build_worker
from workflows.case import CaseWorkflow
from workflows.contracts import CaseInput, CommandRequest
from workflows.kinds import HazardWorkflow, IncidentWorkflow

POLICY = parse_pack((REPO_ROOT / "policies" / "cn-national.toml").read_text())
REGION = "500107"
ENT = "ENT-INC-1"
ENTERPRISE = Actor(id="ent-1", role=Role.enterprise, region=REGION, enterprise_id=ENT)
INSPECTOR = Actor(id="insp-1", role=Role.inspector, region=REGION)
# 重庆 is a 直辖市: the level above its districts is the municipality (the pack's jurisdiction tree)
CITY = Actor(id="sup-city", role=Role.supervisor, region="500000")
TEAM = Actor(id="insp-city", role=Role.inspector, region="500000")  # the investigation team
PROVINCE = Actor(id="sup-prov", role=Role.supervisor, region="500000")


@dataclass
class World:
    env: WorkflowEnvironment
    engine: AsyncEngine

    @property
    def client(self) -> Client:
        return self.env.client

    async def do(self, case_id: str, actor: Actor, command: dict[str, Any]) -> dict[str, Any]:
        handle: WorkflowHandle[Any, Any] = self.client.get_workflow_handle(case_id)
        result = await handle.execute_update(
            CaseWorkflow.execute, CommandRequest(command=command, actor=actor)
        )
        return result.case

    async def created(self, case_id: str) -> dict[str, Any]:
        """A child started by its parent: waits (bounded) until it exists and has recorded its creation."""
        for _ in range(200):
            try:
                handle = self.client.get_workflow_handle(case_id)
                return (await handle.execute_update(CaseWorkflow.created)).case
            except RPCError as e:
                if e.status != RPCStatusCode.NOT_FOUND:
                    raise
            await asyncio.sleep(0.05)
        raise AssertionError(f"{case_id} was never started")

    async def view(self, case_id: str) -> dict[str, Any]:
        return dict(await self.client.get_workflow_handle(case_id).query("state"))

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def event_types(self, case_id: str) -> list[str]:
        async with self.engine.connect() as conn:
            stream = await read_stream(conn, case_id)
        assert verify_chain(stream) == []
        return [e.type for e in stream]


@pytest.fixture
async def world(ts_env, db_url) -> AsyncIterator[tuple[World, str]]:
    engine = make_engine(db_url)
    queue = unique_queue()
    async with build_worker(
        ts_env.client, queue, StoreActivities(engine), workflows=[IncidentWorkflow, HazardWorkflow]
    ):
        yield World(ts_env, engine), queue
    await engine.dispose()


async def report(w: World, queue: str, case_id: str, actor: Actor, **body: Any) -> dict[str, Any]:
    command = {
        "type": "report",
        "enterprise_id": ENT,
        "region": REGION,
        "incident_type": "hazardous_chemicals",
        "deaths": 0,
        "serious_injuries": 0,
        "direct_loss": "0",
        "description": "氨泄漏 ammonia leak in the tank farm",
        **body,
    }
    handle = await w.client.start_workflow(
        IncidentWorkflow.run,
        CaseInput(case_id=case_id, kind="incident", policy=POLICY, actor=actor, command=command),
        id=case_id,
        task_queue=queue,
    )
    return (await handle.execute_update(CaseWorkflow.created)).case


async def test_larger_incident_through_a_simulated_year(world) -> None:
    w, queue = world
    occurred = await w.now() - timedelta(minutes=20)  # within the 30 minutes of seed 002
    view = await report(
        w,
        queue,
        "INC-TS-1",
        ENTERPRISE,
        occurred_at=occurred.isoformat(),
        deaths=3,
        serious_injuries=2,
        direct_loss="4000000",
    )
    assert view["grade"] == "larger" and view["investigating_level"] == "city"
    assert "late_report" not in view["flags"] and "one_vote_veto" in view["flags"]
    iid = view["id"]

    await w.do(
        iid,
        CITY,
        {"type": "open_investigation", "lead_authority": "重庆市应急管理局", "team": ["王五", "赵六"]},
    )
    due_before = {d["kind"]: d["due_at"] for d in (await w.view(iid))["deadlines"]}
    await w.do(iid, CITY, {"type": "pause_investigation", "reason": "technical appraisal of the valve"})
    await w.env.sleep(timedelta(days=12))
    view = await w.do(iid, CITY, {"type": "resume_investigation", "reason": "appraisal report received"})
    due_after = {d["kind"]: d["due_at"] for d in view["deadlines"]}
    # the 12 paused days do not count against the 60 days
    inv_kind = next(k for k in due_after if "investigation" in k)
    shift = datetime.fromisoformat(due_after[inv_kind]) - datetime.fromisoformat(due_before[inv_kind])
    assert abs(shift - timedelta(days=12)) < timedelta(minutes=1)

    await w.do(
        iid, CITY, {"type": "request_investigation_extension", "days": 30, "reason": "second appraisal"}
    )
    await w.do(iid, CITY, {"type": "decide_investigation_extension", "approved": True, "comment": "once"})
    await w.env.sleep(timedelta(days=50))

    now = await w.now()
    view = await w.do(
        iid,
        TEAM,
        {
            "type": "submit_report",
            "causes": ["relief valve corroded", "no inspection record"],
            "enterprise_responsibility": ["safety manager failed the monthly check"],
            "regulatory_responsibility": ["district inspection missed the tank farm"],
            "sanctions": [{"target": "safety manager", "measure": "fine and dismissal"}],
            "measures": [
                {
                    "title": "replace all relief valves",
                    "owner_enterprise_id": ENT,
                    "deadline": (now + timedelta(days=30)).isoformat(),
                },
                {
                    "title": "monthly valve inspection log",
                    "owner_enterprise_id": ENT,
                    "deadline": (now + timedelta(days=45)).isoformat(),
                },
            ],
        },
    )
    assert view["status"] == "awaiting_approval"
    view = await w.do(iid, CITY, {"type": "approve_report", "approved": True, "comment": "批复"})
    assert view["status"] == "implementing"

    # the two corrective measures run as child hazards through the hazard loop
    for child in (f"{iid}-m1", f"{iid}-m2"):
        hv = await w.created(child)
        assert hv["status"] == "rectifying" and hv["source"] == "incident"
        await w.do(child, ENTERPRISE, {"type": "submit_rectification", "summary": "done", "evidence": []})
        hv = await w.do(child, INSPECTOR, {"type": "review", "passed": True, "comment": "verified"})
        assert hv["status"] == "closed"
    await w.env.sleep(timedelta(hours=1))
    view = await w.view(iid)
    assert [m["status"] for m in view["measures"]] == ["closed", "closed"]
    assert [m["hazard_id"] for m in view["measures"]] == [f"{iid}-m1", f"{iid}-m2"]

    await w.do(iid, CITY, {"type": "record_sanction", "index": 0, "executed": True, "note": "fined"})
    await w.do(
        iid,
        CITY,
        {"type": "publish", "uri": "https://yjj.cq.gov.cn/inc/1", "copied_to": "九龙坡区综合执法局"},
    )

    # ten months after 批复 the evaluation window opens by itself
    await w.env.sleep(timedelta(days=31 * 10))
    view = await w.view(iid)
    assert view["status"] == "evaluating"
    prefill = view["evaluation"]
    assert prefill is not None

    # no education record yet: the evaluator finds the fourth check failing → accountability
    view = await w.do(
        iid,
        PROVINCE,
        {
            "type": "submit_evaluation",
            "causes_identified": True,
            "responsible_handled": True,
            "measures_implemented": True,
            "people_educated": False,
            "report_uri": "s3://eval/1",
            "comment": "no warning education held",
        },
    )
    assert view["status"] == "accountability"
    await w.do(iid, CITY, {"type": "record_education", "note": "warning-education meeting", "attendees": 120})
    view = await w.do(
        iid,
        PROVINCE,
        {
            "type": "submit_evaluation",
            "causes_identified": True,
            "responsible_handled": True,
            "measures_implemented": True,
            "people_educated": True,
            "report_uri": "s3://eval/2",
            "comment": "四不放过 satisfied",
        },
    )
    assert view["status"] == "closed"
    types = await w.event_types(iid)
    assert types.count("evaluation_submitted") == 2


async def test_late_report_is_flagged_and_concealment_moves_the_investigation_up(world) -> None:
    w, queue = world
    occurred = await w.now() - timedelta(hours=5)
    view = await report(w, queue, "INC-TS-2", ENTERPRISE, occurred_at=occurred.isoformat(), deaths=1)
    assert view["grade"] == "general" and "late_report" in view["flags"]
    assert view["investigating_level"] == "county"
    view = await w.do(
        "INC-TS-2", CITY, {"type": "flag_concealment", "source": "tip", "note": "two deaths hidden"}
    )
    assert "concealed" in view["flags"]
    assert view["investigating_level"] == "city"


async def test_a_concealment_recorded_before_the_record_heard_of_it_replays(world, monkeypatch) -> None:
    """An incident history from before the enterprise record was told 瞒报/谎报 (`case_facts` then left
    them out; simulated here) replays against the current code: the `record-reporting-facts` patch keeps
    the facts, and so the signals to the record, as they were then."""
    from temporalio import workflow
    from temporalio.worker import Replayer

    import domain.enterprise.facts as facts
    from worker import workflow_runner
    from workflows.case import PATCHES_2026_12

    w, queue = world
    told_then = facts.incident_facts
    monkeypatch.setattr(facts, "incident_facts", lambda s, reporting=True: told_then(s, reporting=False))
    # and a worker from before the `patches-2026-12` bundle, which would stand for the patch on replay
    patched = workflow.patched
    monkeypatch.setattr(workflow, "patched", lambda pid: pid != PATCHES_2026_12 and patched(pid))
    occurred = await w.now() - timedelta(minutes=20)
    view = await report(w, queue, "INC-TS-PATCH", ENTERPRISE, occurred_at=occurred.isoformat(), deaths=1)
    view = await w.do(view["id"], CITY, {"type": "flag_concealment", "source": "tip", "note": "hidden"})
    assert "concealed" in view["flags"]
    history = await w.client.get_workflow_handle(view["id"]).fetch_history()
    monkeypatch.undo()

    replayer = Replayer(
        workflows=[IncidentWorkflow, HazardWorkflow],
        data_converter=w.client.data_converter,
        workflow_runner=workflow_runner(),
    )
    await replayer.replay_workflow(history)
