"""The case loop's timers on the time-skipping server: a month-long deadline fires without waiting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from activities.store import StoreActivities
from domain.actors import Actor, Role
from domain.policy import parse_pack
from harness.servers import unique_queue
from runtime.settings import REPO_ROOT
from store.db import make_engine
from store.events import read_stream
from store.schema import cases
from tests.support.ticket_workflow import TicketWorkflow
from worker import build_worker
from workflows.contracts import CaseInput

POLICY = parse_pack((REPO_ROOT / "policies" / "cn-national.toml").read_text())
INSPECTOR = Actor(id="insp-1", role=Role.inspector, region="500107")


async def test_a_thirty_day_expiry_fires_with_its_reminder(ts_env, db_url) -> None:
    engine = make_engine(db_url)
    queue = unique_queue()
    month = int(timedelta(days=30).total_seconds())
    async with build_worker(
        ts_env.client,
        queue,
        StoreActivities(engine),
        workflows=[TicketWorkflow],
        extra_passthrough=["tests.support.ticket"],
    ):
        final = await ts_env.client.execute_workflow(
            TicketWorkflow.run,
            CaseInput(
                case_id="TK-TS-1",
                kind="ticket",
                policy=POLICY,
                actor=INSPECTOR,
                command={"type": "open", "region": "500107", "title": "t", "ttl_seconds": month},
            ),
            id="TK-TS-1",
            task_queue=queue,
        )
    assert final["status"] == "closed" and final["reminded"] is True
    async with engine.connect() as conn:
        stream = await read_stream(conn, "TK-TS-1")
        row = (await conn.execute(select(cases.c.status).where(cases.c.id == "TK-TS-1"))).one()
    await engine.dispose()
    assert [e.type for e in stream] == ["opened", "reminded", "closed"]
    # the reminder halfway, the expiry at 30 days (to the second: timers fire at their due time)
    assert abs(stream[1].occurred_at - stream[0].occurred_at - timedelta(days=15)) < timedelta(seconds=1)
    assert abs(stream[2].occurred_at - stream[0].occurred_at - timedelta(days=30)) < timedelta(seconds=1)
    assert row.status == "closed"
