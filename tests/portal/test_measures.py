"""The measures page: the text article by article with its validity, and the versions."""

from __future__ import annotations

from typing import Any

from tests.portal.conftest import FakeGateway

TEXT = {
    "title_zh": "威海市高层次人才驿站管理暂行办法",
    "title_en": "Interim Measures of Weihai City for the Administration of High-level "
                "Talent Stations",
    "document_number": "威人组发〔2020〕10号", "issued_by_zh": "威海市人才工作领导小组",
    "issued_on": "2020-12-14", "valid_from": "2020-12-14", "valid_until": "2023-12-13",
    "chapters": [
        {"number": 1, "title_zh": "总则", "articles": [
            {"number": 1, "label_zh": "第一条",
             "paragraphs_zh": ["为加快集聚高层次人才，制定本办法。"],
             "summary_en": "Purpose of the measures."}]},
        {"number": 2, "title_zh": "申报条件", "articles": [
            {"number": 6, "label_zh": "第六条",
             "paragraphs_zh": ["申报人才驿站应具备以下条件：", "（一）有固定场所；"],
             "summary_en": "The four conditions of a station."}]},
    ],
}
POLICIES = [
    {"code": "WH-2020", "title": "威海市高层次人才驿站管理暂行办法",
     "document": "威人组发〔2020〕10号",
     "effective_from": "2020-12-14", "effective_to": "2023-12-13", "note": "",
     "registered_by": "migration", "assumed": False},
    {"code": "WH-2024-ASSUMED", "title": "威海市高层次人才驿站管理办法（假定的后续版本）",
     "document": "演示数据：假定", "effective_from": "2023-12-14", "effective_to": None,
     "note": "ASSUMED for the demo: replace it with the real successor (R18.1).",
     "registered_by": "city-hr", "assumed": True},
]


def _page(browser: Any, gateway: FakeGateway, path: str = "/measures") -> str:
    gateway.on("GET", "/measures", 200, TEXT)
    gateway.on("GET", "/policies", 200, POLICIES)
    response = browser.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_text_is_shown_article_by_article_with_a_table_of_contents(
        browser: Any, gateway: FakeGateway) -> None:
    html = _page(browser, gateway)
    assert 'id="article-1"' in html and 'id="article-6"' in html
    assert 'href="#article-6"' in html and 'href="#chapter-2"' in html
    assert "（一）有固定场所；" in html and "威人组发〔2020〕10号" in html
    assert "2020-12-14 至 2023-12-13" in html and "已过有效期" in html
    assert "逐条条文" not in html  # the placeholder is gone


def test_english_shows_each_articles_summary(browser: Any, gateway: FakeGateway) -> None:
    html = _page(browser, gateway, "/measures?lang=en")
    assert 'lang="en"' in html and "The four conditions of a station." in html
    assert TEXT["title_en"] in html and "Table of contents" in html and "Art 6" in html
    assert "申报人才驿站应具备以下条件：" in html  # the issued text stays beside it


def test_an_assumed_successor_is_labelled_as_such(browser: Any, gateway: FakeGateway) -> None:
    html = _page(browser, gateway)
    assert html.count("假定版本") >= 2 and "ASSUMED for the demo" in html
    assert "现行有效" in html
    home = browser.get("/").get_data(as_text=True)
    assert "假定版本" in home


def test_the_versions_stay_when_the_text_cannot_be_had(browser: Any,
                                                       gateway: FakeGateway) -> None:
    gateway.on("GET", "/measures", 503, {"code": "unavailable", "message": "服务暂不可用。",
                                         "details": {}})
    html = browser.get("/measures").get_data(as_text=True)
    assert "版本与施行期" in html and "条文暂时无法显示" in html
