"""Tables as spreadsheets, the one renderer of every export (CSV and Excel).

CSV is UTF-8 with a BOM so Excel reads Chinese; Excel files are written with openpyxl. Stored
text never breaks an export and never runs as a formula: control characters that a workbook
cannot hold are dropped, and a text cell a spreadsheet would evaluate (``=``, ``+``, ``-``,
``@``, tab, CR) is quoted with a leading apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font

Kind = Literal["text", "number", "money"]

# What XML 1.0 (and so an .xlsx) cannot hold: C0 controls but tab, LF, CR; lone surrogates.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """One column: the key of the row's value, its bilingual title, and how it is written."""

    key: str
    title: str
    kind: Kind = "text"


def inert(value: Any) -> Any:
    """``value`` as a cell that cannot break a workbook or run as a formula."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL.sub("", value)
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell(column: Column, value: Any, typed: bool) -> Any:
    if value is None:
        return None
    if column.kind in ("number", "money") and typed and isinstance(value, str | int | Decimal):
        return Decimal(str(value))
    if isinstance(value, list | tuple):
        value = "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return value
    return inert(value if isinstance(value, str | int | float | Decimal) else str(value))


def _lines(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]],
           typed: bool) -> list[list[Any]]:
    return [[_cell(c, row.get(c.key), typed) for c in columns] for row in rows]


def to_csv(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.title for c in columns])
    for line in _lines(columns, rows, typed=False):
        writer.writerow(["" if v is None else v for v in line])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], sheet: str,
            heading: str | None = None,
            extra_sheets: Mapping[str, Iterable[Sequence[Any]]] | None = None) -> bytes:
    """One sheet named ``sheet`` (a bold ``heading`` line first, if given), a bold header, the
    rows; money with two decimals, numbers as numbers; ``extra_sheets`` as plain key/value
    lines."""
    workbook = Workbook()
    ws = workbook.active
    ws.title = inert(sheet)[:31]
    if heading:
        ws.append([inert(heading)])
        ws.cell(row=1, column=1).font = Font(bold=True)
    ws.append([c.title for c in columns])
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    for line in _lines(columns, rows, typed=True):
        ws.append(line)
    for index, column in enumerate(columns, start=1):
        if column.kind == "text":
            continue
        pattern = "#,##0.00" if column.kind == "money" else "0.00"
        for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=index, max_col=index):
            if isinstance(cell.value, Decimal):
                cell.number_format = pattern
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    for name, lines in (extra_sheets or {}).items():
        extra = workbook.create_sheet(inert(name)[:31])
        for line in lines:
            extra.append([inert(v) for v in line])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def render(fmt: Literal["csv", "xlsx"], columns: Sequence[Column],
           rows: Iterable[Mapping[str, Any]], sheet: str, heading: str | None = None,
           extra_sheets: Mapping[str, Iterable[Sequence[Any]]] | None = None
           ) -> tuple[bytes, str]:
    """The file's bytes and its media type."""
    if fmt == "csv":
        return to_csv(columns, rows), CSV_MEDIA_TYPE
    return to_xlsx(columns, rows, sheet, heading, extra_sheets), XLSX_MEDIA_TYPE
