"""The files people exchange for `hazardloop hazard import`: CSV as Excel saves it, or XLSX.

Encoding: a CSV is read as UTF-8 (with or without the byte-order mark Excel writes for "CSV UTF-8"),
else as GB18030 (Excel's "CSV" on Chinese Windows, a superset of GBK and GB2312); a file that is
neither is refused. XLSX: the first worksheet, the first non-empty row as the header.

Columns: the report body's field names (`title`, `enterprise_id`, …) or the Chinese column names of
the usual 隐患排查治理台账 / 隐患问题清单 templates (docs/http-api.md#hazard-import-cli lists them), and
Chinese values for the coded fields (一般隐患 → general, 红 → red, 企业自查 → self_inspection …).
Informational columns of those templates (序号, 企业名称, 责任人, 备注 …) are read and left out. A file
with an unknown column, or a row with a value that is not allowed, is refused as a whole before
anything is sent: every problem with its line, its column and what is allowed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

FIELDS = (
    "title",
    "description",
    "enterprise_id",
    "region",
    "industry",
    "location",
    "source",
    "category",
    "discovered_at",
    "evidence",
    "risk_color",
    "level",
    "deadline",
)
# Chinese column names of the common templates → the report body's fields
HEADERS: dict[str, str] = {
    "隐患名称": "title",
    "隐患问题": "title",
    "隐患内容": "title",
    "隐患描述": "description",
    "问题描述": "description",
    "隐患情况": "description",
    "统一社会信用代码": "enterprise_id",
    "企业编号": "enterprise_id",
    "所属区域": "region",
    "行政区划代码": "region",
    "区域代码": "region",
    "所属行业": "industry",
    "行业": "industry",
    "隐患部位": "location",
    "隐患位置": "location",
    "地点": "location",
    "隐患来源": "source",
    "排查方式": "source",
    "隐患类别": "category",
    "隐患类型": "category",
    "发现时间": "discovered_at",
    "排查时间": "discovered_at",
    "排查日期": "discovered_at",
    "风险等级": "risk_color",
    "隐患等级": "level",
    "隐患级别": "level",
    "整改期限": "deadline",
    "整改时限": "deadline",
}
# template columns that say nothing the report body takes (the registry knows the enterprise's name)
IGNORED = ("序号", "企业名称", "单位名称", "责任人", "整改责任人", "联系电话", "整改措施", "备注")
VALUES: dict[str, dict[str, str]] = {
    "level": {"一般": "general", "一般隐患": "general", "一般事故隐患": "general"},
    "risk_color": {"红": "red", "红色": "red", "橙": "orange", "橙色": "orange", "黄": "yellow",
                   "黄色": "yellow", "蓝": "blue", "蓝色": "blue"},
    "source": {"企业自查": "self_inspection", "自查": "self_inspection", "监督检查": "inspection",
               "执法检查": "inspection", "暗查暗访": "covert_visit", "专家服务": "expert_service",
               "专家检查": "expert_service"},
    "category": {"物的不安全状态": "unsafe_condition", "人的不安全行为": "unsafe_act",
                 "管理缺陷": "management_defect", "管理上的缺陷": "management_defect"},
}  # fmt: skip
CODES = {
    "level": ("general",),  # a major hazard is graded by an officer after the report
    "risk_color": ("red", "orange", "yellow", "blue"),
    "source": ("self_inspection", "inspection", "covert_visit", "expert_service"),
    "category": ("unsafe_condition", "unsafe_act", "management_defect"),
}
_DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
MAX_ROWS = 10_000


class TableError(ValueError):
    """The file cannot be imported; `problems` says where and what is allowed."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"line {p['line']}, {p['column']}: {p['problem']}" for p in problems[:5]))


@dataclass(frozen=True)
class Table:
    encoding: str  # utf-8, utf-8-sig, gb18030 or xlsx
    rows: list[tuple[int, dict[str, Any]]]  # (line in the file, report body)


def decode(data: bytes) -> tuple[str, str]:
    """The text of a CSV and the encoding it was in: UTF-8 (BOM or not), else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        raise TableError(
            [
                {
                    "line": 1,
                    "column": "-",
                    "problem": f"the file is neither UTF-8 nor GB18030 text ({e.reason})"
                    "; save it from Excel as CSV, CSV UTF-8 or Excel workbook (.xlsx)",
                }
            ]
        ) from None


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _grid(path: Path) -> tuple[str, list[tuple[int, list[str]]]]:
    """Every non-empty line of the file with its line number, as text cells."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises zipfile, KeyError or its own errors for a broken file
            problem = f"not a readable .xlsx workbook ({type(e).__name__})"
            raise TableError([{"line": 1, "column": "-", "problem": problem}]) from None
        try:
            sheet = book.worksheets[0]
            lines = [
                (n, [_cell(v) for v in row]) for n, row in enumerate(sheet.iter_rows(values_only=True), 1)
            ]
        finally:
            book.close()
        return "xlsx", [(n, cells) for n, cells in lines if any(cells)]
    text, encoding = decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    return encoding, [
        (reader.line_num, [c.strip() for c in row]) for row in reader if any(c.strip() for c in row)
    ]


def _date_value(text: str) -> str:
    """A day (2026-12-31, 2026/12/31, 2026年12月31日) is the end of that day in China; else as given."""
    m = _DAY.match(text)
    if not m:
        return text
    y, mo, d = (int(x) for x in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}T23:59:59+08:00"


def read_table(path: Path) -> Table:
    """The rows of a CSV or XLSX as report bodies, or TableError naming every problem."""
    encoding, lines = _grid(path)
    if not lines:
        raise TableError([{"line": 1, "column": "-", "problem": "the file has no header row"}])
    header_line, header = lines[0]
    problems: list[dict[str, Any]] = []
    columns: list[str | None] = []
    for name in header:
        field = name if name in FIELDS else HEADERS.get(name)
        if field is None and name and name not in IGNORED:
            problems.append(
                {
                    "line": header_line,
                    "column": name,
                    "problem": "unknown column; allowed: "
                    + ", ".join([*FIELDS, *HEADERS])
                    + " (left out: "
                    + ", ".join(IGNORED)
                    + ")",
                }
            )
        columns.append(field)
    if len(lines) - 1 > MAX_ROWS:
        problems.append({"line": header_line, "column": "-", "problem": f"at most {MAX_ROWS} rows a file"})
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, cells in lines[1:]:
        body: dict[str, Any] = {}
        for field, name, value in zip(columns, header, cells, strict=False):
            if field is None or not value:
                continue
            if field in VALUES:
                value = VALUES[field].get(value, value)
                if value not in CODES[field]:
                    allowed = ", ".join([*CODES[field], *VALUES[field]])
                    problems.append(
                        {
                            "line": line,
                            "column": name,
                            "problem": f"{value!r} is not allowed; allowed: {allowed}",
                        }
                    )
                    continue
            elif field in ("deadline", "discovered_at"):
                value = _date_value(value)
            body[field] = value
        rows.append((line, body))
    if problems:
        raise TableError(problems)
    return Table(encoding, rows)
