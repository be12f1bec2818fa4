"""The page of every official document: A4, margins and type after GB/T 9704 (the layout of
party and government documents), the CJK font embedded as a subset, and the pieces a document
is built of (the red masthead, the number, the title, paragraphs, tables, the signature).

ReportLab embeds TrueType outlines only, not the CFF outlines of Noto CJK, so the font is
AR PL UMing (Debian's fonts-arphic-uming, a Song face as official documents use), installed
by ``deploy/local/setup.sh fonts``. It is registered once per process: parsing the 20 MB
collection takes about half a second, each document afterwards a few tens of milliseconds.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from servicekit.errors import DomainError

FONT = "WeihaiSong"
# The Debian path of fonts-arphic-uming; DOCUMENT_FONT_FILE names another TrueType font.
FONT_FILE = "/usr/share/fonts/truetype/arphic/uming.ttc"
FONT_PACKAGE = "fonts-arphic-uming"
RED = colors.HexColor("#C8102E")
# After GB/T 9704: the type area 156 mm wide on A4, left margin 28 mm; the top margin and
# the body type (四号, 14 pt, rather than 三号) a little smaller, so that a notice and its
# signature fit on one page.
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 30 * mm, 30 * mm, 28 * mm
BODY_SIZE = 14
WIDTH = A4[0] - 2 * MARGIN_SIDE


class FontUnavailable(DomainError):
    """The CJK font is not installed: a 503 that says what to install."""

    status = 503


def font_file() -> str:
    return os.environ.get("DOCUMENT_FONT_FILE", FONT_FILE)


@lru_cache(maxsize=1)
def font() -> str:
    """The registered name of the document font, registering it on first use."""
    path = font_file()
    if not os.path.exists(path):
        raise FontUnavailable(
            "document.font_missing",
            f"The CJK font for official documents is not installed ({path}). As root: "
            f"apt-get install -y {FONT_PACKAGE} (or deploy/local/setup.sh fonts).",
            f"未安装公文所需的中文字体（{path}）。请以 root 身份执行：apt-get install -y "
            f"{FONT_PACKAGE}（或 deploy/local/setup.sh fonts）。",
            {"service": "documents", "reason": "font_missing", "package": FONT_PACKAGE},
        )
    pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
    return FONT


def _style(name: str, size: float = BODY_SIZE, leading: float = 1.6,
           **more: object) -> ParagraphStyle:
    # wordWrap CJK: a line breaks between any two Chinese characters.
    return ParagraphStyle(name, fontName=font(), fontSize=size, leading=size * leading,
                          wordWrap="CJK", **more)


class _Bold(Flowable):
    """Centred lines in the Song face drawn filled and stroked: the weight of a 小标宋
    title (the font has no bold), wrapped between any two characters."""

    def __init__(self, text: str, size: float, color: colors.Color = colors.black,
                 spacing: float = 0) -> None:
        super().__init__()
        self.text, self.size, self.color, self.spacing = text, size, color, spacing
        self.lines: list[str] = []

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.lines = _break(self.text, font(), self.size, avail_width, self.spacing)
        self.width = avail_width
        return avail_width, len(self.lines) * self.size * 1.5

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(self.color)
        canvas.setStrokeColor(self.color)
        canvas.setLineWidth(self.size / 40)
        y = len(self.lines) * self.size * 1.5 - self.size * 1.15
        for line in self.lines:
            text = canvas.beginText()
            text.setTextRenderMode(2)  # fill, then stroke
            text.setFont(font(), self.size)
            text.setCharSpace(self.spacing)
            width = pdfmetrics.stringWidth(line, font(), self.size) + self.spacing * (
                len(line) - 1)
            text.setTextOrigin((self.width - width) / 2, y)
            text.textOut(line)
            canvas.drawText(text)
            y -= self.size * 1.5
        canvas.restoreState()


def _break(text: str, name: str, size: float, width: float, spacing: float) -> list[str]:
    """Lines of about equal width, none starting with closing punctuation (避头点)."""
    def greedy(limit: float) -> list[str]:
        lines, line = [], ""
        for char in text:
            candidate = line + char
            fits = pdfmetrics.stringWidth(candidate, name, size) + spacing * len(line) <= limit
            if fits or not line:
                line = candidate
            elif char in _CLOSING and len(line) > 1:
                lines.append(line[:-1])
                line = line[-1] + char
            else:
                lines.append(line)
                line = char
        return [*lines, line] if line else lines

    lines = greedy(width)
    if len(lines) > 1:  # balance: the same number of lines, each about as wide
        total = pdfmetrics.stringWidth(text, name, size) + spacing * len(text)
        balanced = greedy(min(width, total / len(lines) + 2 * size))
        lines = balanced if len(balanced) == len(lines) else lines
    return lines


_CLOSING = set("”’）》」』，。、：；！？")


class _Rule(Flowable):
    """The red line under the masthead (版头分隔线)."""

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        return avail_width, 4 * mm

    def draw(self) -> None:
        self.canv.setStrokeColor(RED)
        self.canv.setLineWidth(1.2)
        self.canv.line(0, 2 * mm, self.width, 2 * mm)


@dataclass
class Document:
    """An official document being composed: ``add_*`` in reading order, then ``pdf()``."""

    title: str
    number: str
    filename: str
    frame: bool = False  # a certificate's double red border
    story: list[Flowable] = field(default_factory=list)

    def masthead(self, *organs: str) -> None:
        """The red names of the issuing organs, one to a line (a joint document), over the
        number and the red line (红头)."""
        for organ in organs:
            self.story.append(_Bold(organ, 26, RED, spacing=2))
        self.story.append(Spacer(1, 6 * mm))
        self.story.append(Paragraph(_escape(self.number), _style("number", alignment=TA_CENTER)))
        self.story += [_Rule(), Spacer(1, 6 * mm)]

    def heading(self, text: str, size: float = 21) -> None:
        self.story += [_Bold(text, size), Spacer(1, 5 * mm)]

    def line(self, text: str, align: int = TA_JUSTIFY, size: float = BODY_SIZE) -> None:
        """A paragraph without indent (the addressee, a reference)."""
        self.story.append(Paragraph(_escape(text), _style("line", size, alignment=align)))

    def paragraph(self, text: str) -> None:
        """A body paragraph, its first line indented by two characters."""
        self.story.append(Paragraph(_escape(text), _style(
            "body", alignment=TA_JUSTIFY, firstLineIndent=2 * BODY_SIZE)))

    def table(self, header: Sequence[str] | None, rows: Iterable[Sequence[str]],
              widths: Sequence[float], size: float = 11) -> None:
        """A ruled table, its header (if any) repeated on every page; ``widths`` are
        fractions of the line."""
        cell = _style("cell", size, 1.3)
        head = _style("head", size, 1.3, alignment=TA_CENTER)
        data = [[Paragraph(_escape(h), head) for h in header]] if header else []
        data += [[Paragraph(_escape(str(v)), cell) for v in row] for row in rows]
        table = Table(data, colWidths=[w * WIDTH for w in widths], repeatRows=1 if header else 0)
        # FONTNAME: the table's own default (Helvetica, never embedded) stays out of the file.
        style = [("FONTNAME", (0, 0), (-1, -1), font()),
                 ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                 ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")))
        table.setStyle(TableStyle(style))
        self.story += [Spacer(1, 2 * mm), table, Spacer(1, 4 * mm)]

    def space(self, height: float = 6 * mm) -> None:
        self.story.append(Spacer(1, height))

    def signature(self, organs: Sequence[str], day: str) -> None:
        """The issuing organs and the date, right-aligned, with the seal's place (盖章)."""
        right = _style("sign", alignment=TA_RIGHT, rightIndent=2 * BODY_SIZE)
        block: list[Flowable] = [Spacer(1, 10 * mm)]
        block += [Paragraph(_escape(organ), right) for organ in organs]
        block += [Paragraph("（盖章）", right), Paragraph(_escape(day), right)]
        self.story.append(KeepTogether(block))

    def pdf(self) -> bytes:
        """The document as PDF bytes: A4, the font embedded as a subset, page numbers in
        the footer (— 1 —), the title and number in the file's metadata."""
        buffer = io.BytesIO()
        template = SimpleDocTemplate(
            buffer, pagesize=A4, leftMargin=MARGIN_SIDE, rightMargin=MARGIN_SIDE,
            topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, title=self.title,
            subject=self.number, author="威海市高层次人才驿站管理平台",
            creator="威海市高层次人才驿站管理平台", lang="zh-CN", initialFontName=font())

        def decorate(canvas: Canvas, doc: SimpleDocTemplate) -> None:
            canvas.saveState()
            if self.frame:  # a certificate: a double red border and no page number
                canvas.setStrokeColor(RED)
                canvas.setLineWidth(3)
                canvas.rect(14 * mm, 14 * mm, A4[0] - 28 * mm, A4[1] - 28 * mm)
                canvas.setLineWidth(0.8)
                canvas.rect(18 * mm, 18 * mm, A4[0] - 36 * mm, A4[1] - 36 * mm)
            else:
                canvas.setFont(font(), 12)
                canvas.drawCentredString(A4[0] / 2, 20 * mm, f"— {doc.page} —")
            canvas.restoreState()

        template.build(list(self.story), onFirstPage=decorate, onLaterPages=decorate)
        return buffer.getvalue()


def _escape(text: str) -> str:
    # Paragraph reads a small markup: a record's text is shown as written, never as tags.
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\n", "<br/>"))
