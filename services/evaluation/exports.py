"""A finalized cycle's report as a spreadsheet: CSV (UTF-8 with BOM, so Excel reads Chinese)
and Excel (openpyxl). Pure functions of the ``cycle_report`` RPC's answer; the gateway serves
them."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from services.evaluation.domain import CRITERIA, CRITERIA_ZH

_GRADES_ZH = {"excellent": "优秀", "pass": "合格", "fail": "不合格"}
_OUTCOMES_ZH = {"commended": "通报表扬", "passed": "通过", "rectification": "限期整改"}

COLUMNS: list[tuple[str, str]] = [
    ("rank", "排名 Rank"),
    ("plaque_number", "牌匾编号 Plaque"),
    ("name", "驿站名称 Station"),
    ("district", "区市 District"),
    ("station_type", "类型 Type"),
    ("score", "总分 Score"),
    ("grade", "等次 Grade"),
    *[(c, f"{CRITERIA_ZH[c]} ({i})") for i, c in enumerate(CRITERIA, start=1)],
    ("reviewers", "评审专家数 Reviewers"),
    ("outcome", "结果 Outcome"),
    ("rectification_deadline", "整改期限 Rectification deadline"),
    ("findings", "整改意见 Findings"),
]


def _cell(row: dict[str, Any], key: str) -> Any:
    if key in CRITERIA:
        return row["criteria"][key]
    if key == "grade":
        return f"{_GRADES_ZH[row['grade']]} {row['grade']}"
    if key == "outcome":
        return f"{_OUTCOMES_ZH[row['outcome']]} {row['outcome']}"
    return row.get(key)


def rows(report: dict[str, Any]) -> list[list[Any]]:
    """The header and one line per station, in ranking order."""
    return [[title for _, title in COLUMNS]] + [
        [_cell(row, key) for key, _ in COLUMNS] for row in report["rows"]
    ]


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula is quoted (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(report: dict[str, Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in rows(report):
        writer.writerow(["" if v is None else _inert(v) for v in line])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(report: dict[str, Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Ranking"
    header, *lines = rows(report)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    numeric = {"score", *CRITERIA}
    for line in lines:
        # Scores go in as numbers (two decimals shown), the rest as inert text.
        sheet.append([
            Decimal(v) if key in numeric and v is not None else _inert(v)
            for (key, _), v in zip(COLUMNS, line, strict=True)
        ])
    for column, (key, _) in enumerate(COLUMNS, start=1):
        if key in numeric:
            for cell in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell[0].number_format = "0.00"
    sheet.freeze_panes = "A2"
    info = workbook.create_sheet("Cycle")
    for key in ("cycle_id", "name", "reference_date", "finalized_on"):
        info.append([key, report[key]])
    for key in ("weights", "bands"):
        for name, value in report[key].items():
            info.append([f"{key}.{name}", value])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
