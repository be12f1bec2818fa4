"""How official documents write a record's values (gateway/documents): Chinese dates in
Asia/Shanghai, yuan from fen, amounts in capitals; and the 503 that names the missing font."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.documents import FontUnavailable
from gateway.documents.formats import chinese_date, organ_of, yuan, yuan_in_capitals
from gateway.documents.layout import font


def test_dates_are_written_the_chinese_way_on_the_day_in_shanghai() -> None:
    assert chinese_date("2026-12-02") == "2026年12月2日"
    assert chinese_date(date(2024, 9, 23)) == "2024年9月23日"
    # 17:00 UTC on 1 December is 01:00 on 2 December in Shanghai.
    assert chinese_date("2026-12-01T17:00:00+00:00") == "2026年12月2日"


@pytest.mark.parametrize(("amount", "figures", "capitals"), [
    ("150000.00", "150000.00元", "人民币壹拾伍万元整"),
    ("20000", "20000.00元", "人民币贰万元整"),
    ("100500.00", "100500.00元", "人民币壹拾万零伍佰元整"),
    ("1005.07", "1005.07元", "人民币壹仟零伍元零柒分"),
    ("90000.5", "90000.50元", "人民币玖万元伍角"),
    ("0.05", "0.05元", "人民币伍分"),
    ("1010101.10", "1010101.10元", "人民币壹佰零壹万零壹佰零壹元壹角"),
])
def test_amounts_in_figures_and_in_capitals(amount: str, figures: str, capitals: str) -> None:
    assert yuan(amount) == figures
    assert yuan_in_capitals(amount) == capitals


def test_each_tenant_signs_as_its_own_department() -> None:
    assert organ_of("371000") == "威海市人力资源和社会保障局"
    assert organ_of("371002") == "环翠区人力资源和社会保障局"


def test_a_missing_font_is_a_503_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    font.cache_clear()
    monkeypatch.setenv("DOCUMENT_FONT_FILE", "/nonexistent/font.ttc")
    try:
        with pytest.raises(FontUnavailable) as refused:
            font()
        assert refused.value.status == 503
        assert "apt-get install -y fonts-arphic-uming" in refused.value.message_en
    finally:
        font.cache_clear()
