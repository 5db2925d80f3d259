"""Notices about an enterprise reach the responsible person whose duty they concern (seed 000; seed 001
task 24), read from the registry in PostgreSQL: the enterprise's own work its 企业单位负责人, enforcement
also the 行业部门监管负责人, a major hazard also the 三个层级负责人; nobody of those registered → the three
责任人 who are."""

from __future__ import annotations

import uuid

import pytest

from harness.apptest import App, running_app
from notify.delivery import resolve

REGION = "500107"


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url) as a:
        yield a


async def register(app: App, ent: str, roles: list[str]) -> None:
    persons = [{"role": r, "name": f"{r}-person", "email": f"{r}@ent.test"} for r in roles]
    r = await app.http.put(
        f"/v1/enterprises/{ent}/responsible",
        json={"region": REGION, "persons": persons},
        headers=app.token("sup-1", "supervisor", "500100"),
    )
    assert r.status_code == 200, r.text


async def reached(app: App, ent: str, kind: str) -> list[str]:
    async with app.engine.connect() as conn:
        return sorted(p.role for p in await resolve(conn, "enterprise_responsible", ent, kind))


async def test_each_notice_kind_reaches_the_roles_whose_duty_it_is(app: App) -> None:
    ent = f"ENT-{uuid.uuid4().hex[:8]}"
    all_six = ["administrative", "supervisory", "enterprise", "management", "technical", "operations"]
    await register(app, ent, all_six)
    assert await reached(app, ent, "action_required") == ["enterprise"]
    assert await reached(app, ent, "reminder") == ["enterprise"]
    assert await reached(app, ent, "penalty") == ["enterprise", "supervisory"]
    assert await reached(app, ent, "overdue") == ["administrative", "enterprise", "supervisory"]
    assert await reached(app, ent, "listed") == sorted(all_six)
    assert await reached(app, ent, "something_new") == ["administrative", "enterprise", "supervisory"]
    async with app.engine.connect() as conn:  # a region's duty roles are unchanged
        assert await resolve(conn, "supervisor", "500100", "overdue") == []


async def test_without_the_persons_of_its_duty_a_notice_reaches_the_registered_responsible(app: App) -> None:
    ent = f"ENT-{uuid.uuid4().hex[:8]}"
    await register(app, ent, ["administrative", "technical"])
    assert await reached(app, ent, "action_required") == ["administrative"]
    assert await reached(app, ent, "listed") == ["administrative", "technical"]
