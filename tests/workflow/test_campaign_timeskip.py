"""A campaign's deadline on the time-skipping server (seed 003 三、(一)): at the end of the deadline day
(Asia/Shanghai) the campaign lists its hazards still open, each enterprise is asked for its written
explanation, the district safety office is told; once every one is explained the campaign closes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.policy import parse_pack
from domain.timecalc import CN_TZ
from harness.servers import unique_queue
from runtime.settings import REPO_ROOT
from store.db import make_engine
from store.schema import notifications
from worker import build_worker
from workflows.case import CaseWorkflow
from workflows.contracts import CaseInput, CommandRequest
from workflows.kinds import CampaignWorkflow, HazardWorkflow

POLICY = parse_pack((REPO_ROOT / "policies" / "cn-national.toml").read_text())
REGION = "500107"
INSPECTOR = Actor(id="insp-1", role=Role.inspector, region=REGION)
SUPERVISOR = Actor(id="sup-1", name="王主任", role=Role.supervisor, region="500100")


def hazard(ent: str, industry: str) -> dict[str, Any]:
    return {
        "type": "report",
        "title": "塔吊限位失效",
        "enterprise_id": ent,
        "region": REGION,
        "industry": industry,
        "source": "inspection",
        "category": "unsafe_condition",
    }


async def test_open_hazards_at_the_deadline_owe_explanations_then_the_campaign_closes(ts_env, db_url) -> None:
    engine = make_engine(db_url)
    queue = unique_queue()
    client = ts_env.client
    workers = [HazardWorkflow, CampaignWorkflow]
    async with build_worker(client, queue, StoreActivities(engine), workflows=workers):
        today = (await ts_env.get_current_time()).astimezone(CN_TZ).date()

        async def start(wf: Any, case_id: str, kind: str, actor: Actor, command: dict[str, Any]) -> Any:
            inp = CaseInput(case_id=case_id, kind=kind, policy=POLICY, actor=actor, command=command)
            handle = await client.start_workflow(wf.run, inp, id=case_id, task_queue=queue)
            await handle.execute_update(CaseWorkflow.created)
            return handle

        launch = {
            "type": "launch",
            "title": "建筑施工专项整治",
            "region": "500100",
            "regions": [REGION],
            "industries": ["construction-ts"],
            "starts_on": today.isoformat(),
            "deadline": today.isoformat(),
        }
        campaign = await start(CampaignWorkflow, "CP-TS-1", "campaign", SUPERVISOR, launch)
        await start(HazardWorkflow, "HZ-CP-1", "hazard", INSPECTOR, hazard("ENT-CP-1", "construction-ts"))
        fixed = await start(
            HazardWorkflow, "HZ-CP-2", "hazard", INSPECTOR, hazard("ENT-CP-2", "construction-ts")
        )
        await start(HazardWorkflow, "HZ-CP-3", "hazard", INSPECTOR, hazard("ENT-CP-3", "other-industry"))
        for actor, command in (
            (INSPECTOR, {"type": "grade", "level": "general", "on_the_spot": True}),
            (SUPERVISOR, {"type": "review", "passed": True, "comment": "当场整改到位"}),
        ):
            await fixed.execute_update(CaseWorkflow.execute, CommandRequest(command=command, actor=actor))
        assert (await fixed.query("state"))["status"] == "closed"

        view = await campaign.query("state")
        assert view["status"] == "active"
        await ts_env.sleep(timedelta(days=1))
        view = await campaign.query("state")
        assert view["status"] == "explanations_owed"
        assert [h["id"] for h in view["owing"]] == ["HZ-CP-1"]

        async with engine.connect() as conn:
            rows = await conn.execute(
                select(notifications.c.kind, notifications.c.recipient_role, notifications.c.recipient_party)
                .where(notifications.c.case_id == "CP-TS-1")
                .order_by(notifications.c.id)
            )
            told = [(r.kind, r.recipient_role, r.recipient_party) for r in rows]
        assert told == [
            ("explanation_required", "enterprise_responsible", "ENT-CP-1"),
            ("overdue", "supervisor", "500100"),
        ]
        ent = Actor(id="ent-cp-1", role=Role.enterprise, region=REGION, enterprise_id="ENT-CP-1")
        result = await campaign.execute_update(
            CaseWorkflow.execute,
            CommandRequest(
                command={"type": "explain_overdue", "hazard_id": "HZ-CP-1", "explanation": "塔吊配件未到货"},
                actor=ent,
            ),
        )
        assert result.case["status"] == "closed"
        assert await campaign.result() is not None
    await engine.dispose()
