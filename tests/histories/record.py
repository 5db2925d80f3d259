"""Record workflow histories for the replay tests (`make record-histories`).

    python -m tests.histories.record              # every scenario
    python -m tests.histories.record happy_path   # only these
    python -m tests.histories.record --list

Starts its own Temporal dev server and PostgreSQL, runs each scenario against a worker with every
workflow of the project (plus the test `ticket` workflow), and writes one JSON file per workflow run:
`tests/histories/<WorkflowType>__<scenario>[-<n>][-run<k>].json` (`-<n>` for the scenario's further
workflow ids, `-run<k>` for runs after a continue-as-new). The files are `WorkflowHistory.to_json()`;
payloads are encrypted with the fixed test key of harness/servers.py, so they replay in CI.

Adding a path: write `async def my_path(client, task_queue) -> list[str]` that drives one or more cases
to the state worth keeping (usually closed) and returns the workflow ids to record; register it with
`@scenario("hazard_major_listed")` (names are unique across kinds: prefix them with the kind). Run
`make record-histories`, review and commit the new files. Re-record an existing scenario only when its
old history no longer describes a path worth protecting: recorded histories are the promise that old
workflows still replay.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.service import RPCError

from activities.archive import ArchiveActivities
from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.enterprise import record_id
from domain.policy import parse_pack
from domain.timecalc import CN_TZ
from audit.archive import load_histories
from audit.replay import replay_workflows, workflow_name
from runtime.settings import REPO_ROOT
from store.db import make_engine
from harness.servers import PgServer, start_dev_server, unique_queue  # sets the test seal key first
from tests.support.ticket_workflow import TicketWorkflow
from worker import build_worker
from activities.contracts import ArchiveInput
from workflows.archiver import ArchiverWorkflow
from workflows.contracts import CaseInput, CommandRequest, CommandResult

log = structlog.get_logger("hazardloop.record")

HERE = Path(__file__).resolve().parent
PASSTHROUGH = ["tests.support.ticket"]
Scenario = Callable[[Client, str], Awaitable[list[str]]]
SCENARIOS: dict[str, Scenario] = {}
# a scenario that needs the dev server started otherwise (a lower limit, say) gets a server of its own
SERVER_ARGS: dict[str, tuple[str, ...]] = {}


def scenario(name: str, server_args: tuple[str, ...] = ()) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        if name in SCENARIOS:
            raise ValueError(f"scenario {name!r} is registered twice")
        SCENARIOS[name] = fn
        SERVER_ARGS[name] = server_args
        return fn

    return register


# ---- the ticket workflow (the shared case loop, independent of the domain deciders) -------------------

TEST_POLICY = parse_pack((REPO_ROOT / "policies" / "test-fast.toml").read_text())
INSPECTOR = Actor(id="insp-1", name="Inspector One", role=Role.inspector, region="500107")


async def _open_ticket(client: Client, task_queue: str, ttl: int = 3600) -> Any:
    case_id = f"TK-REC-{uuid.uuid4().hex[:10].upper()}"
    handle = await client.start_workflow(
        TicketWorkflow.run,
        CaseInput(
            case_id=case_id,
            kind="ticket",
            policy=TEST_POLICY,
            actor=INSPECTOR,
            command={"type": "open", "region": "500107", "title": "recorded", "ttl_seconds": ttl},
            command_id="create",
        ),
        id=case_id,
        task_queue=task_queue,
    )
    await handle.execute_update(TicketWorkflow.created)
    return handle


async def _execute(handle: Any, command: dict[str, Any], command_id: str | None = None) -> None:
    await handle.execute_update(
        TicketWorkflow.execute, CommandRequest(command=command, actor=INSPECTOR, command_id=command_id)
    )


@scenario("happy_path")
async def ticket_happy_path(client: Client, task_queue: str) -> list[str]:
    """open → note (with a command id) → close."""
    handle = await _open_ticket(client, task_queue)
    await _execute(handle, {"type": "note", "text": "checked"}, "note-1")
    await _execute(handle, {"type": "close", "reason": "fixed"})
    await handle.result()
    return [handle.id]


@scenario("deadline_fired")
async def ticket_deadline_fired(client: Client, task_queue: str) -> list[str]:
    """open with a short ttl: the reminder, then the expiry fire through `deadline_elapsed`."""
    handle = await _open_ticket(client, task_queue, ttl=2)
    await handle.result()
    return [handle.id]


@scenario("parent_with_child")
async def ticket_parent_with_child(client: Client, task_queue: str) -> list[str]:
    """spawn a child ticket; the child closes and tells its parent; then the parent closes."""
    parent = await _open_ticket(client, task_queue)
    await _execute(parent, {"type": "spawn", "title": "child"})
    child = client.get_workflow_handle(f"{parent.id}-c1")
    await _wait_created(child)
    await _execute(child, {"type": "close", "reason": "child done"})
    await child.result()
    for _ in range(200):  # bounded: the parent records child_closed from the child's signal
        state = await parent.query(TicketWorkflow.state)
        if state["children"].get(child.id) == "closed":
            break
        await asyncio.sleep(0.05)
    else:
        raise RuntimeError("the parent never recorded its child's closure")
    await _execute(parent, {"type": "close", "reason": "all done"})
    await parent.result()
    return [parent.id, child.id]


async def _wait_created(handle: Any) -> None:
    for _ in range(200):
        try:
            await handle.execute_update(TicketWorkflow.created)
            return
        except Exception:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{handle.id} was never created")


# ---- the archiver ----------------------------------------------------------------------------------------


@scenario("archive_pass")
async def archiver_pass(client: Client, task_queue: str) -> list[str]:
    """one archiver run over the closed cases of this task queue."""
    await ticket_happy_path(client, task_queue)
    wid = f"archiver-rec-{uuid.uuid4().hex[:8]}"
    await client.execute_workflow(
        ArchiverWorkflow.run, ArchiveInput(task_queue=task_queue), id=wid, task_queue=task_queue
    )
    return [wid]


# ---- the case kinds (test-fast pack: second-scale clocks) ---------------------------------------------

REGION, ENT = "500107", "ENT-REC-1"
ENTERPRISE = Actor(id="ent-1", role=Role.enterprise, region=REGION, enterprise_id=ENT)
SUPERVISOR = Actor(id="sup-1", role=Role.supervisor, region="500100")
CITY_TEAM = Actor(id="insp-city", role=Role.inspector, region="500100")
EXPERT = Actor(id="exp-1", role=Role.expert, region=REGION)
OPERATOR = Actor(id="op-1", role=Role.operator, region=REGION)
HAZARD_REPORT = {
    "type": "report",
    "title": "recorded hazard",
    "description": "recorded for the replay tests",
    "enterprise_id": ENT,
    "region": REGION,
    "industry": "manufacturing",
    "location": "workshop",
    "source": "inspection",
    "category": "unsafe_condition",
}


def _in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def _start(client: Client, task_queue: str, kind: str, actor: Actor, command: dict[str, Any]) -> str:
    case_id = f"{kind[:3].upper()}-REC-{uuid.uuid4().hex[:10].upper()}"
    handle = await client.start_workflow(
        f"{kind.capitalize()}Workflow",
        CaseInput(
            case_id=case_id, kind=kind, policy=TEST_POLICY, actor=actor, command=command, command_id="create"
        ),
        id=case_id,
        task_queue=task_queue,
    )
    await handle.execute_update("created")
    return case_id


async def _do(client: Client, case_id: str, actor: Actor, command: dict[str, Any]) -> dict[str, Any]:
    result = await client.get_workflow_handle(case_id).execute_update(
        "execute", CommandRequest(command=command, actor=actor), result_type=CommandResult
    )
    return result.case


async def _until(client: Client, case_id: str, what: str, test: Callable[[dict[str, Any]], bool]) -> None:
    for _ in range(1200):  # bounded poll: timers and child signals arrive asynchronously
        try:
            if test(await client.get_workflow_handle(case_id).query("state")):
                return
        except RPCError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{case_id}: {what} never happened")


@scenario("hazard_general_closed")
async def hazard_general_closed(client: Client, task_queue: str) -> list[str]:
    """general: a reminder fires, rectification, a failed review loops back, a second review closes."""
    hid = await _start(client, task_queue, "hazard", INSPECTOR, HAZARD_REPORT)
    await _do(client, hid, INSPECTOR, {"type": "grade", "level": "general", "deadline": _in(12)})
    await _until(
        client, hid, "the reminder", lambda v: "reminder:PT10S" not in [d["key"] for d in v["deadlines"]]
    )
    await _do(client, hid, ENTERPRISE, {"type": "submit_rectification", "summary": "fixed", "evidence": []})
    await _do(
        client,
        hid,
        SUPERVISOR,
        {"type": "review", "passed": False, "comment": "no", "new_deadline": _in(300)},
    )
    await _do(
        client, hid, ENTERPRISE, {"type": "submit_rectification", "summary": "fixed again", "evidence": []}
    )
    await _do(client, hid, SUPERVISOR, {"type": "review", "passed": True, "comment": "ok"})
    await client.get_workflow_handle(hid).result()
    return [hid]


@scenario("hazard_record_told_behind")
async def hazard_record_told_behind(client: Client, task_queue: str) -> list[str]:
    """general, closed at the first review; its enterprise record told behind each answer (issue #21)."""
    hid = await _start(client, task_queue, "hazard", INSPECTOR, HAZARD_REPORT)
    await _do(client, hid, INSPECTOR, {"type": "grade", "level": "general", "deadline": _in(300)})
    await _do(client, hid, ENTERPRISE, {"type": "submit_rectification", "summary": "done", "evidence": []})
    await _do(client, hid, SUPERVISOR, {"type": "review", "passed": True, "comment": "closed"})
    await client.get_workflow_handle(hid).result()
    return [hid]


@scenario("hazard_major_written_off")
async def hazard_major_written_off(client: Client, task_queue: str) -> list[str]:
    """major: listing with stop-work, 五落实 plan, extension, penalty, treatment, assessment, 核销."""
    hid = await _start(client, task_queue, "hazard", INSPECTOR, HAZARD_REPORT)
    await _do(
        client, hid, INSPECTOR, {"type": "grade", "level": "major", "basis": {"standard": "s", "clause": "c"}}
    )
    listing = {
        "type": "list_for_supervision",
        "authority": "区安委办",
        "deadline": _in(400),
        "requirements": "r",
    }
    await _do(client, hid, SUPERVISOR, {**listing, "stop_work": "partial"})
    plan = {
        "type": "submit_plan",
        "responsible": {"name": "张三", "phone": "1"},
        "measures": ["m"],
        "funds": {"amount": "1000", "source": "budget"},
        "deadline": _in(300),
        "contingency_plan": "drill",
    }
    await _do(client, hid, ENTERPRISE, plan)
    await _do(client, hid, SUPERVISOR, {"type": "decide_plan", "approved": True, "comment": "ok"})
    await _do(
        client, hid, ENTERPRISE, {"type": "request_extension", "new_deadline": _in(500), "reason": "parts"}
    )
    await _do(client, hid, SUPERVISOR, {"type": "decide_extension", "approved": True, "comment": "ok"})
    penalty = {"type": "impose_penalty", "amount": "5000", "decision_no": "D-1", "legal_basis": "Art. 102"}
    await _do(client, hid, INSPECTOR, penalty)
    await _do(client, hid, ENTERPRISE, {"type": "submit_rectification", "summary": "treated", "evidence": []})
    assessment = {"assessor": "a", "organization": "o", "passed": True, "report_uri": "s3://r"}
    await _do(client, hid, EXPERT, {"type": "submit_assessment", **assessment})
    await _do(client, hid, SUPERVISOR, {"type": "review", "passed": True, "comment": "核销"})
    await client.get_workflow_handle(hid).result()
    return [hid]


@scenario("hazard_overdue_escalated")
async def hazard_overdue_escalated(client: Client, task_queue: str) -> list[str]:
    """a deadline passes: overdue; no written explanation in time: escalation; then cancelled."""
    hid = await _start(client, task_queue, "hazard", INSPECTOR, HAZARD_REPORT)
    await _do(client, hid, INSPECTOR, {"type": "grade", "level": "general", "deadline": _in(2)})
    await _until(client, hid, "the escalation", lambda v: bool(v["escalations"]))
    await _do(client, hid, SUPERVISOR, {"type": "cancel", "reason": "enterprise closed down"})
    await client.get_workflow_handle(hid).result()
    return [hid]


@scenario("incident_measures_as_children")
async def incident_measures_as_children(client: Client, task_queue: str) -> list[str]:
    """较大 incident: investigation paused and resumed, report, 批复, a measure as a child hazard closed."""
    report = {
        "type": "report",
        "occurred_at": _in(-1),
        "enterprise_id": ENT,
        "region": REGION,
        "incident_type": "industrial",
        "deaths": 3,
        "serious_injuries": 0,
        "direct_loss": "0",
        "description": "recorded incident",
    }
    iid = await _start(client, task_queue, "incident", ENTERPRISE, report)
    await _do(
        client, iid, CITY_TEAM, {"type": "open_investigation", "lead_authority": "市应急局", "team": ["a"]}
    )
    await _do(client, iid, CITY_TEAM, {"type": "pause_investigation", "reason": "appraisal"})
    await _do(client, iid, CITY_TEAM, {"type": "resume_investigation", "reason": "done"})
    measure = {"title": "replace valves", "owner_enterprise_id": ENT, "deadline": _in(200)}
    submit = {
        "type": "submit_report",
        "causes": ["c"],
        "enterprise_responsibility": ["e"],
        "regulatory_responsibility": ["r"],
        "sanctions": [{"target": "t", "measure": "fine"}],
        "measures": [measure],
    }
    await _do(client, iid, CITY_TEAM, submit)
    await _do(client, iid, SUPERVISOR, {"type": "approve_report", "approved": True, "comment": "批复"})
    child = f"{iid}-m1"
    await _until(client, child, "the child hazard", lambda v: v["status"] == "rectifying")
    await _do(client, child, ENTERPRISE, {"type": "submit_rectification", "summary": "done", "evidence": []})
    await _do(client, child, INSPECTOR, {"type": "review", "passed": True, "comment": "ok"})
    await _until(client, iid, "the measure closed", lambda v: v["measures"][0]["status"] == "closed")
    await _do(client, iid, SUPERVISOR, {"type": "record_sanction", "index": 0, "executed": True, "note": "n"})
    await _do(client, iid, SUPERVISOR, {"type": "publish", "uri": "https://x", "copied_to": "区综合执法局"})
    return [iid, child]


@scenario("tip_paid_reward")
async def tip_paid_reward(client: Client, task_queue: str) -> list[str]:
    """an operator's intake, verification spawning a hazard closed with a fine, reward approved and paid."""
    receive = {
        "type": "receive",
        "channel": "hotline_12350",
        "region": REGION,
        "enterprise_id": ENT,
        "content": "blocked exit",
        "evidence": [],
        "reporter_identified": False,
        "claim_token_hash": None,
        "received_via": "operator",
    }
    tid = await _start(client, task_queue, "tip", OPERATOR, receive)
    await _do(client, tid, OPERATOR, {"type": "triage", "in_scope": True})
    action = {k: v for k, v in HAZARD_REPORT.items() if k not in ("type", "source")}
    verification = {"type": "record_verification", "substantiated": True, "findings": "confirmed"}
    await _do(client, tid, INSPECTOR, {**verification, "action": {"kind": "hazard", **action}})
    await _do(client, tid, INSPECTOR, {"type": "send_feedback", "text": "verified"})
    hid = f"{tid}-h"
    await _until(client, hid, "the spawned hazard", lambda v: v["status"] == "reported")
    await _do(client, hid, INSPECTOR, {"type": "grade", "level": "general"})
    penalty = {"type": "impose_penalty", "amount": "50000", "decision_no": "D-9", "legal_basis": "Art. 102"}
    await _do(client, hid, INSPECTOR, penalty)
    await _do(client, hid, ENTERPRISE, {"type": "submit_rectification", "summary": "done", "evidence": []})
    await _do(client, hid, SUPERVISOR, {"type": "review", "passed": True, "comment": "ok"})
    await _until(client, tid, "the reward assessment", lambda v: v["status"] == "reward_assessing")
    await _do(client, tid, INSPECTOR, {"type": "assess_reward", "comment": "15%"})
    await _do(client, tid, SUPERVISOR, {"type": "approve_reward", "comment": "ok"})
    await _do(client, tid, OPERATOR, {"type": "record_payment", "reference": "PAY-1"})
    await client.get_workflow_handle(tid).result()
    return [tid, hid]


@scenario("hazard_enforcement")
async def hazard_enforcement(client: Client, task_queue: str) -> list[str]:
    """enforcement: stop-work ordered and lifted, a fine, a failed re-inspection (daily accrual starts), a
    compliant one (accrual stops, on to review), closed."""
    hid = await _start(client, task_queue, "hazard", INSPECTOR, HAZARD_REPORT)
    await _do(client, hid, INSPECTOR, {"type": "grade", "level": "general", "deadline": _in(300)})
    await _do(client, hid, INSPECTOR, {"type": "order_stop_work", "scope": "partial", "reason": "leak"})
    penalty = {"type": "impose_penalty", "amount": "20000", "decision_no": "D-5", "legal_basis": "Art. 102"}
    await _do(client, hid, INSPECTOR, penalty)
    await _do(client, hid, INSPECTOR, {"type": "reinspect", "compliant": False, "note": "not fixed"})
    await _do(client, hid, INSPECTOR, {"type": "reinspect", "compliant": True, "note": "fixed"})
    await _do(client, hid, SUPERVISOR, {"type": "lift_stop_work", "reason": "safe"})
    await _do(client, hid, SUPERVISOR, {"type": "review", "passed": True, "comment": "ok"})
    await client.get_workflow_handle(hid).result()
    return [hid]


@scenario("enterprise_closure_listed")
async def enterprise_closure_listed(client: Client, task_queue: str) -> list[str]:
    """enterprise record: a major hazard and three penalties open the enterprise's record and propose
    closing it (Art. 113 (一)); the supervisor lists it (严重失信) and records the publication."""
    enterprise_id = f"ENT-REC-{uuid.uuid4().hex[:8].upper()}"
    report = {**HAZARD_REPORT, "enterprise_id": enterprise_id, "source": "inspection"}
    hid = await _start(client, task_queue, "hazard", INSPECTOR, report)
    await _do(
        client, hid, INSPECTOR, {"type": "grade", "level": "major", "basis": {"standard": "s", "clause": "c"}}
    )
    for i in range(3):
        penalty = {
            "type": "impose_penalty",
            "amount": "1000",
            "decision_no": f"D-{i}",
            "legal_basis": "Art. 102",
        }
        await _do(client, hid, INSPECTOR, penalty)
    rid = record_id(enterprise_id)
    await _until(client, rid, "the closure proposal", lambda v: "decide_listing" in v["allowed_commands"])
    await _do(client, rid, SUPERVISOR, {"type": "decide_listing", "listed": True, "decision_no": "L-1"})
    await _do(client, rid, SUPERVISOR, {"type": "record_publication", "where": "gsxt"})
    await _do(client, hid, SUPERVISOR, {"type": "cancel", "reason": "recorded"})
    await client.get_workflow_handle(hid).result()
    return [rid, hid]


@scenario("hazard_general_changed_upserts")
async def hazard_general_changed_upserts(client: Client, task_queue: str) -> list[str]:
    """general, since a case upserts only the search attributes a command changed (the
    `upsert-changed-search-attributes` patch): grading, rectification and review each change the status;
    the enterprise record's facts, told after each, change none of its attributes."""
    enterprise_id = f"ENT-SA-{uuid.uuid4().hex[:8].upper()}"
    hid = await _start(
        client, task_queue, "hazard", INSPECTOR, {**HAZARD_REPORT, "enterprise_id": enterprise_id}
    )
    await _do(client, hid, INSPECTOR, {"type": "grade", "level": "general"})
    owner = ENTERPRISE.model_copy(update={"enterprise_id": enterprise_id})
    await _do(client, hid, owner, {"type": "submit_rectification", "summary": "fixed", "evidence": []})
    await _do(client, hid, SUPERVISOR, {"type": "review", "passed": True, "comment": "ok"})
    await client.get_workflow_handle(hid).result()
    rid = record_id(enterprise_id)
    await _until(client, rid, "the closed hazard's facts", lambda v: v["version"] >= 5)
    return [hid, rid]


@scenario("hazard_patches_bundled")
async def hazard_patches_bundled(client: Client, task_queue: str) -> list[str]:
    """Two general hazards of a new enterprise, since every patch up to issue #21 is one marker
    (`patches-2026-12`): the first finds no record to signal and starts it; the second, the common case,
    signals the record it finds and starts nothing."""
    enterprise_id = f"ENT-PB-{uuid.uuid4().hex[:8].upper()}"
    owner = ENTERPRISE.model_copy(update={"enterprise_id": enterprise_id})
    ids = []
    for _ in range(2):
        hid = await _start(
            client, task_queue, "hazard", INSPECTOR, {**HAZARD_REPORT, "enterprise_id": enterprise_id}
        )
        await _do(client, hid, INSPECTOR, {"type": "grade", "level": "general"})
        await _do(client, hid, owner, {"type": "submit_rectification", "summary": "fixed", "evidence": []})
        await _do(client, hid, SUPERVISOR, {"type": "review", "passed": True, "comment": "ok"})
        await client.get_workflow_handle(hid).result()
        ids.append(hid)
    rid = record_id(enterprise_id)
    await _until(client, rid, "both hazards' closing facts", lambda v: v["version"] >= 9)
    return [*ids, rid]


@scenario(
    "record_storm_deferred",
    server_args=("--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=30"),
)
async def record_storm_deferred(client: Client, task_queue: str) -> list[str]:
    """An enterprise's record told of 24 hazards faster than it records them, on a server that suggests
    continue-as-new at 30 events: each run carries the tellings it receives once that is suggested to the
    next run, which applies them first (`carry-deferred-updates`, issue #21). The record's runs only."""
    enterprise_id = f"ENT-RS-{uuid.uuid4().hex[:8].upper()}"
    slots = asyncio.Semaphore(8)

    async def report() -> str:
        async with slots:
            command = {**HAZARD_REPORT, "enterprise_id": enterprise_id}
            return await _start(client, task_queue, "hazard", INSPECTOR, command)

    first = await report()  # the enterprise's first case starts the record
    ids = [first, *await asyncio.gather(*(report() for _ in range(23)))]
    rid = record_id(enterprise_id)
    await _until(client, rid, "every hazard on the record", lambda v: all(i in v["cases"] for i in ids))
    return [rid]


# the evaluation window of the test pack (five minutes) shortened so that a recording runs in seconds
EVAL_POLICY = TEST_POLICY.model_copy(
    update={
        "id": "test-fast-evaluation",
        "values": {
            **TEST_POLICY.values,
            "incident.evaluation_opens": TEST_POLICY.values["incident.evaluation_opens"].model_copy(
                update={"value": "PT3S"}
            ),
        },
    }
)


@scenario("incident_through_evaluation")
async def incident_through_evaluation(client: Client, task_queue: str) -> list[str]:
    """一般 incident without measures: investigation, report, 批复, publication, education, the evaluation
    window opening by its timer, a failed check (accountability), then a passing evaluation: closed."""
    report = {
        "type": "report",
        "occurred_at": _in(-1),
        "enterprise_id": ENT,
        "region": REGION,
        "incident_type": "fire",
        "deaths": 1,
        "serious_injuries": 0,
        "direct_loss": "0",
        "description": "recorded incident",
    }
    case_id = f"INC-REC-{uuid.uuid4().hex[:10].upper()}"
    handle = await client.start_workflow(
        "IncidentWorkflow",
        CaseInput(case_id=case_id, kind="incident", policy=EVAL_POLICY, actor=ENTERPRISE, command=report),
        id=case_id,
        task_queue=task_queue,
    )
    await handle.execute_update("created")
    county_sup = Actor(id="sup-county", role=Role.supervisor, region=REGION)
    await _do(
        client, case_id, INSPECTOR, {"type": "open_investigation", "lead_authority": "区", "team": ["a"]}
    )
    submit = {
        "type": "submit_report",
        "causes": ["c"],
        "enterprise_responsibility": ["e"],
        "regulatory_responsibility": ["r"],
        "sanctions": [],
        "measures": [],
    }
    await _do(client, case_id, INSPECTOR, submit)
    await _do(client, case_id, county_sup, {"type": "approve_report", "approved": True, "comment": "批复"})
    await _do(
        client, case_id, county_sup, {"type": "publish", "uri": "https://x", "copied_to": "区综合执法局"}
    )
    await _until(client, case_id, "the evaluation window", lambda v: v["status"] == "evaluating")
    checks = {"causes_identified": True, "responsible_handled": True, "measures_implemented": True}
    evaluation = {"type": "submit_evaluation", **checks, "report_uri": "u", "comment": "c"}
    await _do(client, case_id, SUPERVISOR, {**evaluation, "people_educated": False})
    await _do(
        client, case_id, INSPECTOR, {"type": "record_education", "note": "warning education", "attendees": 9}
    )
    await _do(client, case_id, SUPERVISOR, {**evaluation, "people_educated": True})
    await handle.result()
    return [case_id]


# ---- recording -------------------------------------------------------------------------------------------


@scenario("campaign_launched_signed")
async def campaign_launched_signed(client: Client, task_queue: str) -> list[str]:
    """a campaign launched, a periodic report signed (its deadline, days away, is still owed)."""
    today = datetime.now(UTC).astimezone(CN_TZ).date()
    launch = {
        "type": "launch",
        "title": "安全生产隐患大排查大整治",
        "region": "500100",
        "regions": ["500107"],
        "industries": [],
        "starts_on": today.isoformat(),
        "deadline": (today + timedelta(days=30)).isoformat(),
    }
    cid = await _start(client, task_queue, "campaign", SUPERVISOR, launch)
    sign = {
        "type": "sign_report",
        "period": "阶段情况",
        "content_sha256": "0" * 64,
        "signer_title": "分管领导",
    }
    await _do(client, cid, SUPERVISOR, sign)
    return [cid]


def file_names(workflow_type: str, name: str, index: int, run: int, runs: int) -> str:
    suffix = (f"-{index + 1}" if index else "") + (f"-run{run + 1}" if runs > 1 else "")
    return f"{workflow_type}__{name}{suffix}.json"


async def record(names: list[str], out: Path = HERE) -> list[Path]:
    pg = PgServer()
    await pg.start()
    written: list[Path] = []
    try:
        by_server: dict[tuple[str, ...], list[str]] = {}
        for name in names:
            by_server.setdefault(SERVER_ARGS[name], []).append(name)
        for server_args, group in by_server.items():
            written += await _record_on(pg, server_args, group, out)
    finally:
        pg.stop()
    return written


async def _record_on(pg: PgServer, server_args: tuple[str, ...], names: list[str], out: Path) -> list[Path]:
    env = await start_dev_server(extra_args=server_args)
    engine = make_engine(await pg.fresh_database())
    written: list[Path] = []
    try:
        workflows, passthrough = replay_workflows()
        classes = {workflow_name(c): c for c in [*workflows, TicketWorkflow, ArchiverWorkflow]}
        task_queue = unique_queue("record")
        worker = build_worker(
            env.client,
            task_queue,
            StoreActivities(engine),
            workflows=list(classes.values()),
            extra_activities=[ArchiveActivities(env.client, engine).archive_closed_histories],
            extra_passthrough=[*passthrough, *PASSTHROUGH],
        )
        async with worker:
            for name in names:
                ids = await SCENARIOS[name](env.client, task_queue)
                for i, wid in enumerate(ids):
                    runs, problems = await load_histories(env.client, engine, wid)
                    if problems or not runs:
                        raise RuntimeError(f"{name}: cannot read the history of {wid}: {problems}")
                    for k, run in enumerate(runs):
                        path = out / file_names(run.workflow_type, name, i, k, len(runs))
                        path.write_text(run.history.to_json() + "\n", encoding="utf-8")
                        written.append(path)
                        log.info("history recorded", scenario=name, workflow_id=wid, file=path.name)
    finally:
        await engine.dispose()
        await env.shutdown()
    return written


def main(argv: list[str]) -> int:
    if "--list" in argv:
        for name, fn in SCENARIOS.items():
            print(f"{name:24} {(fn.__doc__ or '').strip()}")
        return 0
    names = argv or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        print(f"unknown scenarios {unknown}; known: {sorted(SCENARIOS)}", file=sys.stderr)
        return 2
    from runtime.logging import configure_logging

    configure_logging("WARNING")
    for path in asyncio.run(record(names)):
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
