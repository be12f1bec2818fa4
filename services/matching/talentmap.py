"""The talent map (Art 8(2)): counts by district × industry × talent level, and a picture.

The picture is a schematic map: each of Weihai's districts a labelled shape in its rough
geographic place (north coast: 火炬高新区, 环翠区; below them 临港区 and 经区; 文登区 in the
middle with 南海新区 on its south coast; 荣成市 to the east, 乳山市 to the south-west),
coloured by the chosen count in five classes with a legend. Shapes share their borders so
the districts tile like a map; they are drawn by hand, not surveyed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from html import escape
from typing import Any

from contracts.rpc.matching import INDUSTRIES, TALENT_LEVELS
from servicekit.tenants import CITY, DISTRICTS, TENANTS

METRICS = {"experts": ("专家", "experts"), "demands": ("需求", "demands"),
           "collaborations": ("合作", "collaborations")}


def aggregate(
    experts: Iterable[tuple[str, str, list[str]]],
    demands: Iterable[tuple[str, str]],
    collaborations: Iterable[tuple[str, str, str]],
    industry: str | None,
    level: str | None,
    metric: str,
) -> dict[str, Any]:
    """Counts from the rows (district, level, industries) of experts, (district, industry) of
    demands and (district, industry, level) of collaborations. An expert filed under several
    industries counts once in a district's total and once under each of its industries.
    Demands have no talent level: the level filter leaves them as they are."""
    expert_cells: Counter[tuple[str, str, str]] = Counter()
    district_totals: dict[str, Counter[str]] = {code: Counter() for code in TENANTS}
    industry_totals: dict[str, Counter[str]] = {code: Counter() for code in INDUSTRIES}
    level_totals: dict[str, Counter[str]] = {code: Counter() for code in TALENT_LEVELS}
    for district, talent_level, industries in experts:
        for code in industries:
            expert_cells[(district, code, talent_level)] += 1
            if level in (None, talent_level):
                industry_totals[code]["experts"] += 1
        if industry is None or industry in industries:
            level_totals[talent_level]["experts"] += 1
            if level in (None, talent_level):
                district_totals[district]["experts"] += 1
    demand_cells = Counter(demands)
    for (district, code), n in demand_cells.items():
        industry_totals[code]["demands"] += n
        if industry in (None, code):
            district_totals[district]["demands"] += n
    collaboration_cells = Counter(collaborations)
    for (district, code, talent_level), n in collaboration_cells.items():
        if level in (None, talent_level):
            industry_totals[code]["collaborations"] += n
        if industry in (None, code):
            level_totals[talent_level]["collaborations"] += n
            if level in (None, talent_level):
                district_totals[district]["collaborations"] += n

    def counts(c: Counter[str]) -> dict[str, int]:
        return {name: c[name] for name in METRICS}

    return {
        "metric": metric,
        "filters": {"industry": industry, "talent_level": level},
        "districts": [
            {"code": code, "name_zh": t.name_zh, "name_en": t.name_en,
             **counts(district_totals[code])}
            for code, t in TENANTS.items()
        ],
        "industries": [
            {"code": code, "name_zh": names[0], "name_en": names[1],
             **counts(industry_totals[code])}
            for code, names in INDUSTRIES.items()
        ],
        "levels": [
            {"code": code, "name_zh": names[0], "name_en": names[1],
             "experts": level_totals[code]["experts"],
             "collaborations": level_totals[code]["collaborations"]}
            for code, names in TALENT_LEVELS.items()
        ],
        "cells": {
            "experts": [
                {"district": d, "industry": i, "talent_level": lv, "count": n}
                for (d, i, lv), n in sorted(expert_cells.items())
                if industry in (None, i) and level in (None, lv)
            ],
            "demands": [
                {"district": d, "industry": i, "count": n}
                for (d, i), n in sorted(demand_cells.items()) if industry in (None, i)
            ],
            "collaborations": [
                {"district": d, "industry": i, "talent_level": lv, "count": n}
                for (d, i, lv), n in sorted(collaboration_cells.items())
                if industry in (None, i) and level in (None, lv)
            ],
        },
    }


# Shared border points of the schematic map (x east, y south, on a 1100 × 680 canvas whose
# right-hand strip, the sea east of 荣成, holds the legend; the land is drawn _LAND_OFFSET
# lower, below the title).
_LAND_OFFSET = 30
_SHAPES: dict[str, list[tuple[int, int]]] = {
    "371071": [(385, 105), (420, 88), (465, 80), (505, 90), (515, 140), (470, 175), (410, 185),
               (360, 170)],
    "371002": [(505, 90), (540, 72), (585, 62), (630, 70), (665, 92), (700, 110), (690, 150),
               (660, 185), (600, 195), (555, 190), (515, 140)],
    "371072": [(555, 190), (600, 195), (660, 185), (690, 215), (670, 260), (620, 280),
               (570, 265), (545, 230)],
    "371073": [(360, 170), (410, 185), (470, 175), (515, 140), (555, 190), (545, 230),
               (500, 260), (440, 280), (380, 275), (330, 245), (300, 215)],
    "371003": [(545, 230), (570, 265), (620, 280), (670, 260), (650, 330), (660, 400),
               (680, 470), (600, 460), (520, 470), (470, 430), (430, 380), (420, 330),
               (440, 280), (500, 260)],
    "371091": [(520, 470), (600, 460), (680, 470), (720, 520), (660, 545), (590, 560),
               (530, 550), (500, 520)],
    "371082": [(700, 110), (740, 120), (790, 100), (850, 112), (900, 135), (918, 170),
               (885, 198), (872, 255), (892, 318), (862, 390), (822, 450), (772, 500),
               (720, 520), (680, 470), (660, 400), (650, 330), (670, 260), (690, 215),
               (660, 185), (690, 150)],
    "371083": [(250, 260), (300, 215), (330, 245), (380, 275), (440, 280), (420, 330),
               (430, 380), (470, 430), (520, 470), (500, 520), (450, 545), (380, 560),
               (300, 565), (220, 560), (150, 560), (110, 500), (95, 420), (130, 350),
               (190, 300)],
}
_NEIGHBOUR = [(0, 95), (150, 100), (280, 95), (385, 105), (360, 170), (300, 215), (250, 260),
              (190, 300), (130, 350), (95, 420), (110, 500), (150, 560), (60, 590), (0, 585)]
# Where each district's label sits, and the short name Weihai people use on maps.
_LABELS: dict[str, tuple[int, int, str]] = {
    "371071": (452, 135, "火炬高新区"),
    "371002": (605, 128, "环翠区"),
    "371072": (615, 232, "经区"),
    "371073": (432, 222, "临港区"),
    "371003": (552, 360, "文登区"),
    "371091": (608, 512, "南海新区"),
    "371082": (772, 300, "荣成市"),
    "371083": (292, 420, "乳山市"),
}
# ColorBrewer YlGnBu, five classes; light grey for none.
_PALETTE = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
_NONE = "#eeeeee"
_FONT = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"


def classes(maximum: int) -> list[tuple[int, int]]:
    """Five count ranges from 1 to ``maximum`` (fewer when the maximum is small)."""
    if maximum <= 0:
        return []
    step = max(1, -(-maximum // len(_PALETTE)))
    bounds, low = [], 1
    while low <= maximum:
        bounds.append((low, min(low + step - 1, maximum)))
        low += step
    return bounds


def _colour(n: int, bounds: list[tuple[int, int]]) -> tuple[str, str]:
    """(fill, text colour) of a district with ``n``."""
    for i, (low, high) in enumerate(bounds):
        if low <= n <= high:
            return _PALETTE[i], "#ffffff" if i >= 3 else "#1a1a1a"
    return _NONE, "#1a1a1a"


def _points(shape: list[tuple[int, int]]) -> str:
    return " ".join(f"{x},{y}" for x, y in shape)


def render_svg(data: dict[str, Any], as_of: date) -> str:
    """The map as a standalone SVG document."""
    metric = data["metric"]
    metric_zh, metric_en = METRICS[metric]
    counts = {d["code"]: d[metric] for d in data["districts"]}
    bounds = classes(max((counts[c] for c in DISTRICTS), default=0))
    filters = data["filters"]
    subtitle = []
    if filters["industry"]:
        subtitle.append(f"行业：{INDUSTRIES[filters['industry']][0]}")
    if filters["talent_level"]:
        subtitle.append(f"层次：{TALENT_LEVELS[filters['talent_level']][0]}")
    subtitle.append(f"截至 {as_of.isoformat()}")
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1100 680" width="1100" '
        f'height="680" font-family="{_FONT}" role="img" '
        f'aria-label="威海市人才地图：各区市{metric_zh}数">',
        '<rect width="1100" height="680" fill="#dcebf5"/>',
        # The land sits below the title.
        f'<g transform="translate(0,{_LAND_OFFSET})">',
        f'<polygon points="{_points(_NEIGHBOUR)}" fill="#f4f1ea" stroke="#c9c2b3" '
        'stroke-width="1.5"/>',
        '<text x="150" y="300" font-size="18" fill="#9a9384" text-anchor="middle">烟台市</text>',
        '<text x="560" y="628" font-size="16" fill="#6d8ba3" text-anchor="middle" '
        'letter-spacing="4">黄 海  Yellow Sea</text>',
    ]
    for code, shape in _SHAPES.items():
        tenant = TENANTS[code]
        n = counts.get(code, 0)
        fill, ink = _colour(n, bounds)
        x, y, short = _LABELS[code]
        out += [
            f'<g id="district-{code}">',
            f"<title>{escape(tenant.name_zh)} {escape(tenant.name_en)}: {n} {metric_en}</title>",
            f'<polygon points="{_points(shape)}" fill="{fill}" stroke="#ffffff" '
            'stroke-width="2.5" stroke-linejoin="round"/>',
            f'<text x="{x}" y="{y - 4}" font-size="16" fill="{ink}" '
            f'text-anchor="middle">{escape(short)}</text>',
            f'<text x="{x}" y="{y + 20}" font-size="22" font-weight="bold" fill="{ink}" '
            f'text-anchor="middle">{n}</text>',
            "</g>",
        ]
    out += [
        "</g>",
        f'<text x="24" y="40" font-size="26" font-weight="bold" fill="#1a1a1a">'
        f"威海市人才地图 · {metric_zh}</text>",
        f'<text x="24" y="66" font-size="14" fill="#444444">Weihai talent map: {metric_en} '
        f"by district · {escape('　'.join(subtitle))}</text>",
        '<g transform="translate(1060,40)"><path d="M0,-18 L8,6 L0,0 L-8,6 Z" '
        'fill="#444444"/><text y="24" font-size="13" text-anchor="middle" '
        'fill="#444444">北 N</text></g>',
    ]
    out += _legend(bounds, metric_zh, metric_en)
    city = counts.get(CITY, 0)
    total = sum(counts.values())
    out += [
        '<rect x="16" y="626" width="330" height="40" rx="6" fill="#ffffff" '
        'fill-opacity="0.9" stroke="#bbbbbb"/>',
        f'<text x="28" y="652" font-size="14" fill="#1a1a1a">市直单位 City-level: {city}'
        f"　合计 Total: {total}</text>",
        "</svg>",
    ]
    return "\n".join(out)


def _legend(bounds: list[tuple[int, int]], metric_zh: str, metric_en: str) -> list[str]:
    rows = [("0", _NONE)] + [
        (f"{low}" if low == high else f"{low}–{high}", _PALETTE[i])
        for i, (low, high) in enumerate(bounds)
    ]
    height = 40 + 24 * len(rows)
    top = 668 - height
    out = [
        f'<rect x="930" y="{top}" width="160" height="{height}" rx="6" fill="#ffffff" '
        'fill-opacity="0.92" stroke="#bbbbbb"/>',
        f'<text x="942" y="{top + 24}" font-size="13" font-weight="bold" '
        f'fill="#1a1a1a">{metric_zh}数 {metric_en}</text>',
    ]
    for i, (label, colour) in enumerate(rows):
        y = top + 38 + 24 * i
        out += [
            f'<rect x="942" y="{y}" width="28" height="16" fill="{colour}" stroke="#999999"/>',
            f'<text x="980" y="{y + 13}" font-size="13" fill="#1a1a1a">{label}</text>',
        ]
    return out
