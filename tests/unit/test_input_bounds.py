"""The smaller input findings of issue 13 (item 10): money with a trailing newline, dates
outside the measures, a PDF that carries a program, field messages in Chinese; and the
exports (items 2, 3) that stored text never breaks nor turns into a formula."""

from __future__ import annotations

import csv
import io

import pytest
from marshmallow import ValidationError
from openpyxl import load_workbook

from contracts.rpc import subsidy
from contracts.rpc.fields import MeasureDate
from gateway.field_messages import in_chinese, translate
from gateway.matching import render_export
from servicekit.attachments import PDF, PNG, AttachmentStore
from servicekit.errors import InvalidInput
from servicekit.money import yuan_to_fen
from servicekit.validation import load


@pytest.mark.parametrize("amount", ["100.00\n", "100\n", " 100.00", "100.00 ", "1e3", "+1"])
def test_a_yuan_amount_is_the_whole_string(amount: str) -> None:
    with pytest.raises(InvalidInput):
        yuan_to_fen(amount)
    assert yuan_to_fen("100.00") == 10000


@pytest.mark.parametrize(("day", "ok"), [
    ("0001-01-01", False), ("2020-12-13", False), ("2020-12-14", True), ("2099-12-31", True),
    ("9999-12-31", False),
])
def test_a_day_under_the_measures_is_bounded(day: str, ok: bool) -> None:
    field = MeasureDate()
    if ok:
        assert field.deserialize(day).isoformat() == day
    else:
        with pytest.raises(ValidationError, match="Must be a day from 2020-12-14"):
            field.deserialize(day)


def test_a_spend_of_year_one_is_refused_naming_spent_on() -> None:
    with pytest.raises(InvalidInput) as refused:
        load(subsidy.RecordExpenditure(), {"grant_id": "g", "category": "equipment",
                                           "amount": "10.00", "spent_on": "0001-01-01",
                                           "description": "x", "attachments": []})
    assert "spent_on" in refused.value.details["fields"]


PE = (b"MZ" + b"\0" * 0x3A + (0x80).to_bytes(4, "little") + b"\0" * 0x40 + b"PE\0\0"
      + b"\0" * 64)
ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 64
GOOD_PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.mark.parametrize(("content", "found"), [
    (b"%PDF-1.7\n" + PE, "a Windows executable"),
    (GOOD_PDF + ELF, "an ELF executable"),
    (b"%PDF-1.7\n1 0 obj << /OpenAction << /S /Launch /F (cmd.exe) >> >> endobj\n%%EOF\n",
     "a PDF action"),
    (b"%PDF-1.7\n1 0 obj << /Type /EmbeddedFile >> stream\nMZ\nendstream endobj\n%%EOF\n",
     "a PDF action"),
])
def test_a_pdf_carrying_a_program_is_refused(tmp_path, content: bytes, found: str) -> None:
    store = AttachmentStore(tmp_path)
    with pytest.raises(InvalidInput) as refused:
        store.check(content, PDF, "attachments[0]")
    assert refused.value.code == "attachment.executable"
    assert refused.value.details == {"field": "attachments[0]", "found": found}
    assert "不得包含程序" in refused.value.message_zh
    assert store.check(GOOD_PDF, PDF) == PDF


def test_a_png_with_an_executable_appended_is_refused(tmp_path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 17
    with pytest.raises(InvalidInput, match="Windows executable"):
        AttachmentStore(tmp_path).check(png + PE, PNG)


def test_field_messages_are_said_in_chinese() -> None:
    assert translate({"title": ["Missing data for required field."],
                      "titles": {"1": ["Must not contain the character U+0007 (control, bidi,"
                                       " BOM or noncharacter)."]},
                      "limit": ["Must be greater than or equal to 1 and less than or equal to"
                                " 200."]}) == {
        "title": ["缺少必填字段。"],
        "titles": {"1": ["不得含有字符 U+0007（控制字符、双向控制符、BOM 或非字符）。"]},
        "limit": ["须大于等于 1 且小于等于 200。"]}
    assert in_chinese("Longer than maximum length 100.") == "长度不得超过 100。"
    assert in_chinese("Something only English knows.") == "Something only English knows."


STORED = ["\u0007响铃", "\u001b[31m红", "空\u0000字符", "=1+2", "=HYPERLINK(\"http://x\")",
          "+86", "@SUM(A1)", "-1"]


def _demand(title: str) -> dict:
    return {"id": "d-1", "enterprise_name": "远航", "kind": "talent", "title": title,
            "description": "\u0000说明", "industry": "C", "district": "371002",
            "budget": None, "modes": [], "deadline": "2027-06-30", "status": "matching"}


@pytest.mark.parametrize("title", STORED)
def test_stored_text_never_breaks_an_export_nor_runs(title: str) -> None:
    exported = {"kind": "demands", "as_of": "2026-12-01", "rows": [_demand(title)]}
    content, _ = render_export(exported, "xlsx")
    cells = [c.value for c in next(load_workbook(io.BytesIO(content)).active.iter_rows(
        min_row=2, max_row=2))]
    lines = list(csv.reader(io.StringIO(render_export(exported, "csv")[0].decode("utf-8-sig"))))
    for row in (cells, lines[1]):
        texts = [v for v in row if isinstance(v, str)]
        assert not any(v and v[0] in "=+-@" for v in texts), row
        assert not any(ord(ch) < 32 for v in texts for ch in v), row
