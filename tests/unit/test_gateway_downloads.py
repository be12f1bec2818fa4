"""Content-Disposition of every download (RFC 6266 with RFC 5987's filename*)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from gateway.downloads import ascii_fallback, content_disposition, download


@pytest.mark.parametrize(("name", "fallback"), [
    ("证明材料.pdf", "download.pdf"),
    ("report-2026.csv", "report-2026.csv"),
    ('a"b\\c.pdf', "c.pdf"),
    ("Résumé.docx", "Resume.docx"),
    ("名单", "download"),
    ("营业执照 copy.png", "copy.png"),
])
def test_the_ascii_fallback_is_a_safe_quoted_string(name: str, fallback: str) -> None:
    assert ascii_fallback(name) == fallback
    assert '"' not in ascii_fallback(name) and "\\" not in ascii_fallback(name)


def test_a_chinese_filename_travels_in_filename_star() -> None:
    header = content_disposition("评估报告（2026）.xlsx")
    # NFKD: full-width brackets become ASCII ones in the fallback.
    assert header.startswith('attachment; filename="(2026).xlsx"; filename*=UTF-8\'\'')
    assert unquote(header.split("UTF-8''", 1)[1]) == "评估报告（2026）.xlsx"
    header.encode("latin-1")  # a WSGI header must be latin-1


def test_download_answers_the_bytes_with_the_stored_type() -> None:
    response = download(b"%PDF-1.7", "application/pdf", "证明.pdf")
    assert response.mimetype == "application/pdf" and response.data == b"%PDF-1.7"
    assert "filename*=UTF-8''%E8%AF%81%E6%98%8E.pdf" in response.headers["Content-Disposition"]
