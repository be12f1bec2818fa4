"""Supervision reports as spreadsheets: CSV (UTF-8 with BOM, so Excel reads Chinese) and Excel
(openpyxl, amounts as numbers). Pure functions of the ``usage_report`` and ``slow_spenders``
RPCs' answers; the gateway serves them."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

MONEY = frozenset(
    {"granted", "budget", "available", "committed", "disbursed", "spent", "unspent",
     "receivable"}
)

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "station": [
        ("station_id", "驿站编号 Station id"),
        ("station_name", "驿站名称 Station"),
        ("plaque_number", "牌匾编号 Plaque"),
        ("district", "区市 District"),
        ("grants", "资助笔数 Grants"),
        ("granted", "核定金额 Granted"),
        ("committed", "已承诺未拨付 Committed"),
        ("disbursed", "已拨付 Disbursed"),
        ("spent", "已使用 Spent"),
        ("unspent", "未使用 Unspent"),
        ("receivable", "应收回 Receivable"),
        ("share_spent_percent", "使用率% Share spent"),
    ],
    "fund": [
        ("fiscal_year", "年度 Fiscal year"),
        ("district", "区市 District"),
        ("kind", "资金 Fund"),
        ("budget", "预算 Budget"),
        ("available", "可用 Available"),
        ("committed", "已承诺未拨付 Committed"),
        ("disbursed", "已拨付 Disbursed"),
        ("spent", "已使用 Spent"),
        ("unspent", "未使用 Unspent"),
        ("receivable", "应收回 Receivable"),
        ("reconciles", "平衡 Reconciles"),
    ],
    "category": [
        ("category", "类别 Category"),
        ("name_zh", "名称"),
        ("name_en", "Name"),
        ("items", "笔数 Items"),
        ("spent", "金额 Spent"),
    ],
    "slow": [
        ("grant_id", "资助编号 Grant"),
        ("kind", "类型 Kind"),
        ("station_id", "驿站编号 Station id"),
        ("station_name", "驿站名称 Station"),
        ("district", "区市 District"),
        ("first_paid_on", "首次拨付 First paid"),
        ("disbursed", "已拨付 Disbursed"),
        ("spent", "已使用 Spent"),
        ("unspent", "未使用 Unspent"),
        ("share_spent_percent", "使用率% Share spent"),
    ],
}

TITLES = {"station": "按驿站 By station", "fund": "按资金 By fund",
          "category": "按类别 By category", "slow": "使用缓慢 Slow spending"}


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula is quoted (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def table(kind: str, rows: list[dict[str, Any]]) -> list[list[Any]]:
    """The header and one line per row, for ``kind`` station, fund, category or slow."""
    columns = COLUMNS[kind]
    return [[title for _, title in columns]] + [
        [row.get(key) if key in MONEY else _inert(row.get(key)) for key, _ in columns]
        for row in rows
    ]


def to_csv(kind: str, rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(table(kind, rows))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(kind: str, rows: list[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = kind
    header, *lines = table(kind, rows)
    sheet.append([TITLES[kind]])
    sheet["A1"].font = Font(bold=True)
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    keys = [key for key, _ in COLUMNS[kind]]
    for line in lines:
        sheet.append([
            Decimal(value) if key in MONEY and value is not None else value
            for key, value in zip(keys, line, strict=True)
        ])
    for column, key in enumerate(keys, start=1):
        if key in MONEY:
            for (cell,) in sheet.iter_rows(min_row=3, min_col=column, max_col=column):
                cell.number_format = "#,##0.00"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
