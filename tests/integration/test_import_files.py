"""`hazardloop hazard import` reads the files people exchange (issue #20, "Files people exchange"): CSV
saved by Excel on Chinese Windows (GB18030), CSV UTF-8 with and without a BOM, XLSX workbooks, the
Chinese column names and values of the usual 隐患台账 templates; a bad file imports nothing and says
which line, which column, what is allowed. Through the CLI against the API served over HTTP as
`hazardloop api` serves it, on the real dev server and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from typer.testing import CliRunner

from harness.apptest import App, running_app
from starter.cli import api_server
from starter.cli import app as cli_app
from starter.tabular import TableError, read_table
from tests.support.poll import eventually

REGION, ENT = "500107", "91500107MA5U1234XY"
HEADER = [
    "序号",
    "隐患名称",
    "隐患描述",
    "统一社会信用代码",
    "企业名称",
    "所属区域",
    "隐患来源",
    "隐患类别",
    "风险等级",
]
ROWS = [
    [
        "1",
        "配电箱未接地",
        "二楼配电箱外壳未接地",
        ENT,
        "某某化工有限公司",
        REGION,
        "企业自查",
        "物的不安全状态",
        "黄",
    ],
    ["2", "消防通道堵塞", "", ENT, "某某化工有限公司", REGION, "企业自查", "管理缺陷", ""],
]
EXPECTED = [
    {"title": "配电箱未接地", "description": "二楼配电箱外壳未接地", "enterprise_id": ENT, "region": REGION,
     "source": "self_inspection", "category": "unsafe_condition", "risk_color": "yellow"},
    {"title": "消防通道堵塞", "enterprise_id": ENT, "region": REGION, "source": "self_inspection",
     "category": "management_defect"},
]  # fmt: skip


def csv_text(rows: list[list[str]]) -> str:
    return "\r\n".join(",".join(r) for r in [HEADER, *rows]) + "\r\n"


def xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *rows]:
        sheet.append(row)
    book.save(path)
    return path


def test_the_encodings_excel_writes_and_the_template_columns_are_read(tmp_path: Path) -> None:
    for name, data, encoding in (
        ("gbk.csv", csv_text(ROWS).encode("gb18030"), "gb18030"),
        ("bom.csv", b"\xef\xbb\xbf" + csv_text(ROWS).encode(), "utf-8-sig"),
        ("plain.csv", csv_text(ROWS).encode(), "utf-8"),
    ):
        (tmp_path / name).write_bytes(data)
        table = read_table(tmp_path / name)
        assert table.encoding == encoding, name
        assert [body for _, body in table.rows] == EXPECTED, name
        assert [line for line, _ in table.rows] == [2, 3]
    table = read_table(xlsx(tmp_path / "ledger.xlsx", [[1, *ROWS[0][1:]], [2, *ROWS[1][1:]]]))
    assert table.encoding == "xlsx" and [body for _, body in table.rows] == EXPECTED
    # 整改期限 as a day, as Excel shows it, is the end of that day in China
    (tmp_path / "due.csv").write_text(
        "隐患名称,隐患等级,整改期限\n护栏缺失,一般隐患,2026/12/31\n", encoding="utf-8"
    )
    assert read_table(tmp_path / "due.csv").rows == [
        (2, {"title": "护栏缺失", "level": "general", "deadline": "2026-12-31T23:59:59+08:00"})
    ]


def test_a_bad_file_names_the_line_the_column_and_what_is_allowed(tmp_path: Path) -> None:
    bad = [ROWS[0], [*ROWS[1][:6], "上级督办", "物的不安全状态", "紫"]]
    (tmp_path / "bad.csv").write_bytes(csv_text(bad).encode("gb18030"))
    with pytest.raises(TableError) as e:
        read_table(tmp_path / "bad.csv")
    assert [(p["line"], p["column"]) for p in e.value.problems] == [(3, "隐患来源"), (3, "风险等级")]
    assert (
        "self_inspection" in e.value.problems[0]["problem"] and "企业自查" in e.value.problems[0]["problem"]
    )
    assert "red" in e.value.problems[1]["problem"] and "'紫'" in e.value.problems[1]["problem"]

    (tmp_path / "cols.csv").write_text("隐患名称,整改建议\n护栏缺失,加装\n", encoding="utf-8")
    with pytest.raises(TableError) as e:
        read_table(tmp_path / "cols.csv")
    assert e.value.problems[0]["line"] == 1 and e.value.problems[0]["column"] == "整改建议"
    assert "隐患名称" in e.value.problems[0]["problem"]  # the allowed names are listed

    (tmp_path / "latin.csv").write_bytes(b"title\n\x80\xff\xfe\n")
    with pytest.raises(TableError, match="neither UTF-8 nor GB18030"):
        read_table(tmp_path / "latin.csv")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(TableError, match=r"not a readable \.xlsx"):
        read_table(tmp_path / "broken.xlsx")


@pytest.fixture
async def served(dev_env: Any, db_url: str) -> AsyncIterator[tuple[App, str]]:
    async with running_app(dev_env.client, db_url) as app:
        server = api_server(app.settings.model_copy(update={"api_port": 0}), app.asgi)
        serving = asyncio.create_task(server.serve())
        try:
            await eventually(lambda: asyncio.sleep(0, bool(server.started)), "the API server to listen")
            port = server.servers[0].sockets[0].getsockname()[1]
            yield app, f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await serving


async def hazards(app: App) -> list[tuple[str, str]]:
    async with app.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, view->>'title' FROM cases WHERE kind = 'hazard' ORDER BY 2")
        )
        return [(r[0], r[1]) for r in rows]


async def test_the_cli_imports_a_gb18030_csv_and_an_xlsx_and_refuses_a_bad_file_whole(
    served: tuple[App, str], tmp_path: Path
) -> None:
    app, url = served
    token = app.token("ent-1", "enterprise", REGION, ENT)["Authorization"].removeprefix("Bearer ")

    def run(path: Path) -> tuple[int, dict[str, Any]]:
        args = ["hazard", "import", str(path), "--json", "--api-url", url, "--token", token]
        res = CliRunner().invoke(cli_app, args)
        return res.exit_code, json.loads(res.stdout)

    bad = [ROWS[0], [*ROWS[1][:6], "企业自查", "物的不安全状态", "紫"]]
    (tmp_path / "bad.csv").write_bytes(csv_text(bad).encode("gb18030"))
    code, out = await asyncio.to_thread(run, tmp_path / "bad.csv")
    assert code == 1 and out["imported"] == 0
    assert out["problems"] == [{"line": 3, "column": "风险等级", "problem": out["problems"][0]["problem"]}]
    assert await hazards(app) == []  # not even the good first row

    (tmp_path / "ledger.csv").write_bytes(csv_text(ROWS).encode("gb18030"))
    code, out = await asyncio.to_thread(run, tmp_path / "ledger.csv")
    assert code == 0 and out["created"] == 2 and out["failed"] == 0, out
    code, out = await asyncio.to_thread(
        run, xlsx(tmp_path / "ledger.xlsx", [[1, *ROWS[0][1:]], [2, *ROWS[1][1:]]])
    )
    assert code == 0 and out["already_imported"] == 2 and out["created"] == 0, out  # the same rows
    assert [t for _, t in await hazards(app)] == sorted(["配电箱未接地", "消防通道堵塞"])
