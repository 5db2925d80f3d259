"""The console's campaign pages over HTTP (no browser): the case page links the three lists, the lists page
shows them in Chinese with their files and the hash a signed report attests, and a reader outside the
campaign's jurisdiction is refused in Chinese."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx

from domain.timecalc import CN_TZ
from tests.integration.test_console_session import dev_app, signed_in

__all__ = ["dev_app"]  # the console's app on the generated development secret (demo sign-in)


async def test_the_three_lists_page_of_a_campaign(dev_app) -> None:
    http: httpx.AsyncClient = dev_app.http
    industry = f"消防-{uuid.uuid4().hex[:6]}"
    today = datetime.now(CN_TZ).date().isoformat()
    launch = {
        "title": "消防安全专项整治",
        "region": "500100",
        "regions": ["500107"],
        "industries": [industry],
        "starts_on": today,
        "deadline": today,
    }
    created = await http.post(
        "/v1/campaigns", json=launch, headers=dev_app.token("sup-1", "supervisor", "500100")
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    hazard = {
        "title": "疏散通道堵塞",
        "enterprise_id": "ENT-1",
        "region": "500107",
        "industry": industry,
        "source": "inspection",
        "category": "unsafe_condition",
    }
    r = await http.post("/v1/hazards", json=hazard, headers=dev_app.token("insp-1", "inspector", "500107"))
    assert r.status_code == 201
    hid = r.json()["id"]

    await signed_in(http, "supervisor")
    case = await http.get(f"/cases/campaigns/{cid}")
    assert case.status_code == 200 and f'href="/campaigns/{cid}/lists"' in case.text
    page = await http.get(f"/campaigns/{cid}/lists")
    assert page.status_code == 200, page.text
    for title in ("隐患问题清单", "整改清单", "责任清单", "行政负责人"):
        assert title in page.text
    assert f'href="/cases/hazards/{hid}"' in page.text and "疏散通道堵塞" in page.text
    digest = (
        await http.get(f"/v1/campaigns/{cid}/lists", headers=dev_app.token("s", "supervisor", "500100"))
    ).json()
    assert digest["content_sha256"] in page.text
    assert f"/v1/campaigns/{cid}/lists?format=xlsx" in page.text

    await signed_in(http, "enterprise")
    refused = await http.get(f"/campaigns/{cid}/lists")
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert (await http.get("/campaigns/CP-NOPE/lists")).status_code == 404


async def test_the_enforcement_bulletin_page_shows_this_months_measures_of_the_readers_regions(
    dev_app,
) -> None:
    http: httpx.AsyncClient = dev_app.http
    inspector = dev_app.token("insp-1", "inspector", "500118")
    hazard = {
        "title": "有限空间作业未审批",
        "enterprise_id": f"ENT-{uuid.uuid4().hex[:6]}",
        "region": "500118",
        "source": "inspection",
        "category": "unsafe_act",
    }
    hid = (await http.post("/v1/hazards", json=hazard, headers=inspector)).json()["id"]
    for body in (
        {"type": "grade", "level": "general"},
        {
            "type": "impose_penalty",
            "amount": "30000",
            "decision_no": "渝应急罚〔2026〕7号",
            "legal_basis": "Art. 102",
        },
    ):
        r = await http.post(f"/v1/hazards/{hid}/commands", json=body, headers=inspector)
        assert r.status_code == 200, r.text

    await signed_in(http, "supervisor")  # 500100 covers 500118
    page = await http.get("/reports/enforcement")
    assert page.status_code == 200 and "执法通报" in page.text and "行政处罚(件)" in page.text
    assert "<td>500118</td>" in page.text
    assert "/reports/enforcement" in (await http.get("/reports")).text
    past = await http.get("/reports/enforcement?month=1990-01")
    assert past.status_code == 200 and "<td>500118</td>" not in past.text
    hostile = await http.get("/reports/enforcement?month=２０２６-01")  # not a month: this month instead
    assert hostile.status_code == 200 and "<td>500118</td>" in hostile.text

    await signed_in(http, "enterprise")
    assert (await http.get("/reports/enforcement")).status_code == 403
