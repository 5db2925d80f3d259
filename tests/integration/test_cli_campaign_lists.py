"""`hazardloop campaign lists` against the API served over real HTTP (uvicorn on a free port): the three
lists as JSON on stdout, one list written to a CSV file, and a reader outside the campaign's jurisdiction
refused with the problem's status."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from harness.apptest import App
from starter.auth import mint_token
from tests.e2e.test_campaign_api import REGION, launch, report
from tests.integration.test_cli_daily_report import run, served  # noqa: F401 (served: the fixture)


async def test_campaign_lists_from_the_command_line(served: tuple[App, str], tmp_path: Path) -> None:  # noqa: F811
    app, url = served
    supervisor = app.token("sup-1", "supervisor", "500100")
    r = await app.http.post("/v1/campaigns", json=launch([REGION], ["燃气"]), headers=supervisor)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    hazard = await report(app, app.token("insp-1", "inspector", REGION), "ENT-1", REGION, "燃气")
    token = mint_token(app.settings, sub="sup-1", role="supervisor", region="500100")

    shown = await run("campaign", "lists", cid, "--token", token, "--api-url", url)
    assert shown.exit_code == 0, shown.output
    lists = json.loads(shown.output)
    assert [h["id"] for h in lists["hazards"]] == [hazard]
    assert [h["id"] for h in lists["rectification"]] == [hazard] and len(lists["content_sha256"]) == 64

    out = tmp_path / "rectification.csv"
    written = await run(
        "campaign",
        "lists",
        cid,
        "-o",
        str(out),
        "--list",
        "rectification",
        "--token",
        token,
        "--api-url",
        url,
    )
    assert written.exit_code == 0, written.output
    assert json.loads(written.output) == {"written": str(out), "bytes": out.stat().st_size}
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0][0] == "隐患编号" and rows[1][0] == hazard

    outsider = mint_token(app.settings, sub="sup-9", role="supervisor", region="110000")
    refused = await run("campaign", "lists", cid, "--token", outsider, "--api-url", url)
    assert refused.exit_code == 1 and "403" in refused.output
