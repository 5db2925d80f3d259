"""Ledger (台账) export: CSV with a BOM and Chinese headers, XLSX that openpyxl opens with the rows, the
caller's jurisdiction enforced like the list, formulas defused, and a row cap answered with a clear 422."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from harness.apptest import App, running_app
from tests.e2e.test_hazard_api import REPORT

HERE, THERE = "500107", "500108"


@pytest.fixture
async def app(dev_env, db_url):
    async with running_app(dev_env.client, db_url, settings_overrides={"export_max_rows": 3}) as a:
        yield a


async def _report(app: App, region: str, ent: str, title: str) -> dict[str, Any]:
    who = app.token(f"u-{ent}", "enterprise", region, ent)
    body = {**REPORT, "region": region, "enterprise_id": ent, "title": title}
    r = await app.http.post("/v1/hazards", json=body, headers=who)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_ledger_csv_and_xlsx_scoped_to_the_jurisdiction(app: App):
    here = await _report(app, HERE, "ENT-X1", '=HYPERLINK("http://x") 消防通道堵塞')
    there = await _report(app, THERE, "ENT-X2", "配电箱未接地")
    insp = app.token("insp-1", "inspector", HERE)

    r = await app.http.get("/v1/hazards/export", params={"format": "csv"}, headers=insp)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["编号", "状态", "行政区划", "企业", "隐患名称"]
    ids = [row[0] for row in rows[1:]]
    assert here["id"] in ids and there["id"] not in ids
    mine = next(row for row in rows[1:] if row[0] == here["id"])
    assert mine[4].startswith("'=HYPERLINK")  # a spreadsheet shows it as text, never runs it
    assert mine[2] == HERE

    r = await app.http.get("/v1/hazards/export", params={"format": "xlsx", "region": HERE}, headers=insp)
    assert r.status_code == 200, r.text
    ws = load_workbook(io.BytesIO(r.content)).active
    assert ws is not None
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert values[0][:5] == ["编号", "状态", "行政区划", "企业", "隐患名称"]
    assert [v[0] for v in values[1:]] == [here["id"]]
    assert ws.cell(row=2, column=5).data_type == "s"

    # another region's inspector sees only theirs; a region outside one's jurisdiction is refused
    other = app.token("insp-2", "inspector", THERE)
    r = await app.http.get("/v1/hazards/export", headers=other)
    assert r.status_code == 200
    assert here["id"] not in r.text and there["id"] in r.text
    r = await app.http.get("/v1/hazards/export", params={"region": HERE}, headers=other)
    assert r.status_code == 403, r.text
    # anonymous: 401; an unknown format: 422 naming the field
    assert (await app.http.get("/v1/hazards/export")).status_code == 401
    r = await app.http.get("/v1/hazards/export", params={"format": "pdf"}, headers=insp)
    assert r.status_code == 422 and r.json()["field"] == "query.format"


async def test_ledger_over_the_row_cap_is_a_clear_422(app: App):
    for i in range(4):
        await _report(app, "500109", "ENT-X3", f"隐患 {i}")
    insp = app.token("insp-3", "inspector", "500109")
    r = await app.http.get("/v1/hazards/export", params={"format": "xlsx"}, headers=insp)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "invalid_command" and body["rule"] == "export_max_rows"
    assert body["max_rows"] == 3
    ok = await app.http.get("/v1/incidents/export", headers=insp)
    assert ok.status_code == 200 and ok.content.startswith(b"\xef\xbb\xbf")
    assert ok.content.decode("utf-8-sig").splitlines()[0].startswith("编号,状态,行政区划,企业,事故类型")
