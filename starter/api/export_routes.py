"""Ledger (台账) export: `GET /v1/{plural}/export?format=csv|xlsx` with the list's filters, scoped to the
caller's jurisdiction like the list. Chinese column headers; CSV carries a UTF-8 BOM so Excel opens it in
Chinese. At most HAZARDLOOP_EXPORT_MAX_ROWS rows: beyond that a 422 asks for narrower filters. Cells that a
spreadsheet would run as a formula (=, +, -, @ first) are written as text."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.responses import Response
from openpyxl import Workbook

from domain.errors import InvalidCommand
from starter.api.app_deps import Filters, Svc, Who

PAGE = 500
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

COMMON = (("id", "编号"), ("status", "状态"), ("region", "行政区划"), ("enterprise_id", "企业"))
COLUMNS: Mapping[str, Sequence[tuple[str, str]]] = {
    "hazard": (
        *COMMON,
        ("title", "隐患名称"),
        ("level", "隐患等级"),
        ("category", "类别"),
        ("source", "来源"),
        ("location", "位置"),
        ("discovered_at", "发现时间"),
        ("reported_by", "上报人"),
        ("deadline", "整改期限"),
        ("original_deadline", "原定期限"),
        ("overdue", "是否逾期"),
        ("fine_total", "罚款合计(元)"),
    ),
    "incident": (
        *COMMON,
        ("incident_type", "事故类型"),
        ("grade", "事故等级"),
        ("occurred_at", "发生时间"),
        ("reported_at", "报告时间"),
        ("deaths", "死亡人数"),
        ("serious_injuries", "重伤人数"),
        ("direct_loss", "直接经济损失(元)"),
        ("late_report", "迟报"),
        ("concealed", "瞒报"),
        ("overdue", "是否逾期"),
    ),
    "campaign": (
        ("id", "编号"),
        ("status", "状态"),
        ("region", "行政区划"),
        ("title", "专项行动名称"),
        ("regions", "范围(行政区划)"),
        ("industries", "范围(行业)"),
        ("starts_on", "开始日期"),
        ("deadline", "截止日期"),
    ),
    "tip": (
        *COMMON,
        ("channel", "举报渠道"),
        ("received_at", "受理时间"),
        ("content", "举报内容"),
        ("reward_amount", "奖励金额(元)"),
        ("closed_at", "办结时间"),
    ),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A value as ledger text: 是/否 for booleans, empty for none, lists joined with 、, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return cell("、".join(str(v) for v in value))
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def ledger_rows(kind: str, items: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The ledger's header and rows; a kind without columns of its own (one a deployment or a test
    registers) exports the columns every case has."""
    cols = COLUMNS.get(kind, COMMON)
    return [[label for _, label in cols]] + [[cell(item.get(key)) for key, _ in cols] for item in items]


def to_csv(rows: Sequence[Sequence[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx(kind: str, rows: Sequence[Sequence[str]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"{kind} 台账")
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def install(app: FastAPI, plural: str, kind: str, *, max_rows: int) -> None:
    """Registered before `/v1/{plural}/{case_id}`, which would otherwise take `export` for a case id."""
    tag: list[str | Enum] = [plural]

    @app.get(
        f"/v1/{plural}/export",
        tags=tag,
        name=f"export_{kind}s",
        summary=f"Export the {kind} ledger (台账) as CSV or XLSX, with the list's filters",
        response_class=Response,
    )
    async def export(
        who: Who, svc: Svc, filters: Filters, format: Literal["csv", "xlsx"] = "csv"
    ) -> Response:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page, cursor = await svc.list_cases(kind, who, limit=PAGE, cursor=cursor, **filters)
            items += page
            if len(items) > max_rows:
                raise InvalidCommand(
                    f"the export has more than {max_rows} rows; narrow it with region, status, level, "
                    "enterprise_id or overdue",
                    field="format",
                    rule="export_max_rows",
                    max_rows=max_rows,
                )
            if cursor is None:
                break
        rows = ledger_rows(kind, items)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        name = f"{plural}-ledger-{stamp}.{format}"
        body, media = (to_csv(rows), CSV_TYPE) if format == "csv" else (to_xlsx(kind, rows), XLSX_TYPE)
        return Response(
            body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
