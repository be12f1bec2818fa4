"""The text of the measures served to the public (the portal's measures page)."""

from __future__ import annotations

from typing import Any

from gateway.app import close, create_app
from gateway.measures import chinese_number, measures


def test_chinese_article_numbers() -> None:
    assert [chinese_number(t) for t in ("一", "九", "十", "十二", "十八", "二十一")] == [
        1, 9, 10, 12, 18, 21]


def test_every_article_in_its_chapter_with_its_summary() -> None:
    text = measures()
    articles = [a for c in text["chapters"] for a in c["articles"]]
    assert [c["title_zh"] for c in text["chapters"]] == [
        "总则", "设立认定", "职责功能", "激励保障", "监督管理", "附则"]
    assert [a["number"] for a in articles] == list(range(1, 19))
    assert all(a["paragraphs_zh"] and a["summary_en"] for a in articles)
    art7 = " ".join(articles[6]["paragraphs_zh"])
    # R7.3: the text's own words, joined across the PDF's line breaks.
    assert "公示期为5个工作日" in art7.replace(" ", "")
    assert articles[4]["paragraphs_zh"][1].startswith("（一）创新型人才驿站")
    assert text["valid_until"].isoformat() == "2023-12-13"


def test_measures_are_public(tmp_path: Any) -> None:
    app = create_app({"AMQP_URI": "amqp://guest:guest@127.0.0.1:1/", "VAR_DIR": str(tmp_path)})
    try:
        response = app.test_client().get("/api/v1/measures")
    finally:
        close(app)
    assert response.status_code == 200
    body = response.json
    assert body["document_number"] == "威人组发〔2020〕10号"
    assert len([a for c in body["chapters"] for a in c["articles"]]) == 18
