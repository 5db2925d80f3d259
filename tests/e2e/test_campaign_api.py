"""Campaigns (专项行动, seed 003) through the HTTP API on the dev server + PostgreSQL (test pack): launch, the
three lists of the hazards under the campaign (JSON, CSV, XLSX) with the registry's responsible persons, a
periodic report signed with the lists' hash, and the refusals (a scope outside the office's region, an
explanation before the deadline, a reader outside the campaign's jurisdiction)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.timecalc import CN_TZ
from harness.apptest import App, running_app

REGION = "500107"


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url) as a:
        yield a


def launch(regions: list[str], industries: list[str]) -> dict[str, Any]:
    today = datetime.now(CN_TZ).date().isoformat()
    return {
        "title": "安全生产隐患大排查大整治",
        "region": "500100",
        "regions": regions,
        "industries": industries,
        "starts_on": today,
        "deadline": today,
    }


async def report(app: App, who: dict[str, str], ent: str, region: str, industry: str) -> str:
    body = {
        "title": "脚手架未设连墙件",
        "enterprise_id": ent,
        "region": region,
        "industry": industry,
        "source": "inspection",
        "category": "unsafe_condition",
    }
    r = await app.http.post("/v1/hazards", json=body, headers=who)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_a_campaign_lists_its_hazards_and_a_report_is_signed_with_their_hash(app: App) -> None:
    ent = f"ENT-{uuid.uuid4().hex[:8]}"
    industry = f"建筑施工-{uuid.uuid4().hex[:6]}"  # unique: other tests' hazards stay out
    supervisor = app.token("sup-1", "supervisor", "500100")
    inspector = app.token("insp-1", "inspector", REGION)
    r = await app.http.put(
        f"/v1/enterprises/{ent}/responsible",
        json={
            "region": REGION,
            "persons": [
                {"role": "administrative", "name": "张街道", "email": "a@example.org"},
                {"role": "supervisory", "name": "李住建", "email": "s@example.org"},
                {"role": "enterprise", "name": "王厂长", "email": "e@example.org"},
            ],
        },
        headers=supervisor,
    )
    assert r.status_code == 200, r.text

    r = await app.http.post("/v1/campaigns", json=launch([REGION], [industry]), headers=supervisor)
    assert r.status_code == 201, r.text
    campaign = r.json()
    cid = campaign["id"]
    assert campaign["status"] == "active" and campaign["regions"] == [REGION]
    assert campaign["deadlines"][0]["kind"] == "campaign_deadline"

    inside = await report(app, inspector, ent, REGION, industry)
    await report(app, inspector, ent, REGION, "危险化学品")  # another industry: not under it
    await report(app, app.token("insp-2", "inspector", "500108"), ent, "500108", industry)  # another region

    r = await app.http.get(f"/v1/campaigns/{cid}/lists", headers=supervisor)
    assert r.status_code == 200, r.text
    lists = r.json()
    assert [h["id"] for h in lists["hazards"]] == [inside]
    assert lists["rectification"][0]["status"] == "reported" and lists["rectification"][0]["closed"] is False
    duty = lists["responsibility"][0]
    assert (duty["administrative"], duty["supervisory"], duty["enterprise"]) == ("张街道", "李住建", "王厂长")
    digest = lists["content_sha256"]

    r = await app.http.get(f"/v1/campaigns/{cid}/lists?format=csv&list=responsibility", headers=supervisor)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["隐患编号", "责任单位", "行政负责人", "行业部门监管负责人", "企业单位负责人"]
    assert rows[1][0] == inside and rows[1][2] == "张街道"
    r = await app.http.get(f"/v1/campaigns/{cid}/lists?format=xlsx", headers=supervisor)
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["隐患问题清单", "整改清单", "责任清单"]
    assert wb["隐患问题清单"]["A2"].value == inside

    r = await app.http.get(f"/v1/campaigns/export?format=csv&region={REGION}", headers=inspector)
    assert r.status_code == 200, r.text
    ledger = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert ledger[0][:4] == ["编号", "状态", "行政区划", "专项行动名称"]
    assert [row for row in ledger if row[0] == cid] == []  # filed at 500100, outside the county's ledger
    r = await app.http.get("/v1/campaigns/export?format=csv", headers=supervisor)
    (row,) = [row for row in csv.reader(io.StringIO(r.content.decode("utf-8-sig"))) if row[0] == cid]
    assert row[4] == REGION and row[6] == campaign["starts_on"]

    sign = {
        "type": "sign_report",
        "period": "3月30日阶段情况",
        "content_sha256": digest,
        "signer_title": "分管领导",
    }
    r = await app.http.post(f"/v1/campaigns/{cid}/commands", json=sign, headers=supervisor)
    assert r.status_code == 200, r.text
    (signed,) = r.json()["case"]["signatures"]
    assert signed["content_sha256"] == digest and signed["signer_id"] == "sup-1" and signed["at"]
    r = await app.http.get(f"/v1/campaigns/{cid}/audit", headers=supervisor)
    assert r.status_code == 200 and "report_signed" in r.text

    # an explanation is owed only after the deadline
    explain = {"type": "explain_overdue", "hazard_id": inside, "explanation": "x"}
    r = await app.http.post(f"/v1/campaigns/{cid}/commands", json=explain, headers=supervisor)
    assert r.status_code == 409 and r.json()["code"] == "not_allowed_in_state"
    # a county inspector elsewhere and an enterprise do not read the campaign
    r = await app.http.get(f"/v1/campaigns/{cid}/lists", headers=app.token("i", "inspector", "510104"))
    assert r.status_code == 403
    r = await app.http.get(f"/v1/campaigns/{cid}/lists", headers=app.token("e", "enterprise", REGION, ent))
    assert r.status_code == 403


async def test_a_scope_outside_the_office_region_is_refused_in_chinese_naming_the_field(app: App) -> None:
    supervisor = app.token("sup-1", "supervisor", "500100")
    r = await app.http.post("/v1/campaigns", json=launch([REGION, "510104"], []), headers=supervisor)
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "invalid_command" and problem["rule"] == "campaign_scope"
    assert problem["field"] == "regions" and "专项行动" in problem["detail"] and "510104" in problem["detail"]
    r = await app.http.post(
        "/v1/campaigns", json=launch([REGION], []), headers=app.token("insp-1", "inspector", REGION)
    )
    assert r.status_code == 403 and r.json()["rule"] == "role"
    r = await app.http.post(
        "/v1/campaigns", json={**launch([REGION], []), "deadline": "２０２６-01-01"}, headers=supervisor
    )
    assert r.status_code == 422
