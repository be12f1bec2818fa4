"""Supervision spreadsheets, as the gateway renders them from the contract's columns: headers
in both languages, amounts as numbers, formulas inert."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from gateway.subsidy import spreadsheet

ROW = {"station_id": "st-1", "station_name": "=HYPERLINK(\"http://x\")", "plaque_number": "WH-1",
       "district": "371002", "grants": 2, "granted": "150000.00", "committed": "0.00",
       "disbursed": "90000.00", "spent": "1234.56", "unspent": "88765.44",
       "receivable": "0.00", "share_spent_percent": "1.37"}


def test_csv_has_a_bom_bilingual_headers_and_inert_text():  # R13.1
    data, media_type = spreadsheet("station", "csv", [ROW])
    assert media_type.startswith("text/csv")
    assert data.startswith("\ufeff".encode())
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert header[1] == "驿站名称 Station" and header[8] == "已使用 Spent"
    assert row[1].startswith("'=")  # a name that is a formula is not run by Excel
    assert row[8] == "1234.56"


def test_xlsx_keeps_amounts_exact_as_numbers():  # R13.1
    content, _ = spreadsheet("station", "xlsx", [ROW])
    sheet = load_workbook(io.BytesIO(content)).active
    title, header, row = sheet.values
    assert title[0] == "按驿站 By station" and header[5] == "核定金额 Granted"
    assert Decimal(str(row[8])) == Decimal("1234.56") and row[1].startswith("'=")
    assert sheet.cell(row=3, column=9).number_format == "#,##0.00"
