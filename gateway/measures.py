"""The text of the measures, chapter by chapter and article by article (public).

The portal's "measures" page and anyone else read the document the platform enforces:
《威海市高层次人才驿站管理暂行办法》 (威人组发〔2020〕10号) as issued, with an English summary of
each article. The validity of each policy version in force is the applications service's
(``GET /policy-versions``); this answers the text only. The Chinese file is the issued text
as extracted from the PDF, with its line breaks inside sentences: it is joined here.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from gateway.arguments import Blueprint
from gateway.auth import optional_auth

DATA = Path(__file__).resolve().parent / "data"

_CHAPTER = re.compile(r"^第([一二三四五六七八九十]+)章\s*(\S.*)$")
_ARTICLE = re.compile(r"^第([一二三四五六七八九十]+)条\s*")
# A numbered item （一）… or 1. starts a new paragraph inside an article.
_ITEM = re.compile(r"(（[一二三四五六七八九十]+）|(?<![\d.])\d+\.(?!\d))")
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")

_NUMERALS = {c: i for i, c in enumerate("一二三四五六七八九", start=1)}


def chinese_number(text: str) -> int:
    """十八 → 18, 五 → 5 (article and chapter numbers of the text, below one hundred)."""
    if "十" not in text:
        return _NUMERALS[text]
    tens, _, ones = text.partition("十")
    return (_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[ones] if ones else 0)


def _paragraphs(lines: list[str]) -> list[str]:
    text = _CJK_GAP.sub("", " ".join(line.strip() for line in lines if line.strip()))
    parts = [p.strip() for p in _ITEM.sub(lambda m: "\n" + m.group(1), text).split("\n")]
    return [p for p in parts if p]


@cache
def measures() -> dict[str, Any]:
    """The 2020 measures: title, document number, dates, chapters with their articles."""
    english = json.loads((DATA / "measures-2020.en.json").read_text(encoding="utf-8"))
    lines = (DATA / "measures-2020.zh.txt").read_text(encoding="utf-8").splitlines()
    chapters: list[dict[str, Any]] = []
    article: dict[str, Any] | None = None
    body: list[str] = []

    def close_article() -> None:
        if article is not None:
            article["paragraphs_zh"] = _paragraphs(body)

    for raw in lines:
        line = raw.strip()
        if line.startswith("威海市人才工作领导小组") and chapters:
            break  # the closing imprint after the last article
        chapter = _CHAPTER.match(line)
        if chapter:
            close_article()
            article, body = None, []
            chapters.append({"number": chinese_number(chapter.group(1)),
                             "title_zh": chapter.group(2).strip(), "articles": []})
            continue
        heading = _ARTICLE.match(line)
        if heading and chapters:
            close_article()
            number = chinese_number(heading.group(1))
            article = {"number": number, "label_zh": f"第{heading.group(1)}条",
                       "summary_en": english.get(str(number), "")}
            chapters[-1]["articles"].append(article)
            body = [line[heading.end():]]
        elif article is not None:
            body.append(line)
    close_article()
    return {
        "title_zh": "威海市高层次人才驿站管理暂行办法",
        "title_en": "Interim Measures of Weihai City for the Administration of High-level "
                    "Talent Stations",
        "document_number": "威人组发〔2020〕10号",
        "issued_by_zh": "威海市人才工作领导小组",
        "issued_on": date(2020, 12, 14),
        "valid_from": date(2020, 12, 14),
        "valid_until": date(2023, 12, 13),
        "chapters": chapters,
    }


class ArticleSchema(Schema):
    number = fields.Integer(required=True)
    label_zh = fields.String(required=True)
    paragraphs_zh = fields.List(fields.String(), required=True)
    summary_en = fields.String(required=True)


class ChapterSchema(Schema):
    number = fields.Integer(required=True)
    title_zh = fields.String(required=True)
    articles = fields.List(fields.Nested(ArticleSchema), required=True)


class MeasuresSchema(Schema):
    title_zh = fields.String(required=True)
    title_en = fields.String(required=True)
    document_number = fields.String(required=True)
    issued_by_zh = fields.String(required=True)
    issued_on = fields.Date(required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    chapters = fields.List(fields.Nested(ChapterSchema), required=True)


blp = Blueprint("measures", __name__, url_prefix="/api/v1/measures",
                description="The text of the measures the platform enforces (public).")


@blp.route("")
class MeasuresView(MethodView):
    @optional_auth
    @blp.response(200, MeasuresSchema)
    def get(self) -> dict[str, Any]:
        """The 2020 measures, chapter by chapter and article by article (Art 1–18)."""
        return measures()
