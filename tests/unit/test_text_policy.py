"""The one text policy (servicekit.text), as every schema's load applies it (issue 13, item 6)."""

from __future__ import annotations

import pytest

from contracts.rpc import applications, evaluation, matching, subsidy
from servicekit import text
from servicekit.errors import InvalidInput
from servicekit.validation import load

DEMAND = {"enterprise_name": "威海远航复材", "kind": "talent", "title": "碳纤维成型工程师",
          "description": "负责预浸料成型。\r\n需要五年经验。", "industry": "C",
          "district": "371002", "deadline": "2027-06-30"}


@pytest.mark.parametrize("bad", [
    "a\x00b", "bell\x07", "ansi \x1b[31mred", "del\x7f", "c1\x85", "evil\u202etxt.exe",
    "iso\u2066late", "\ufeffbom", "non\ufdd0char", "non\uffff", "plane\U0001fffe",
])
def test_control_bidi_bom_and_noncharacters_are_refused_everywhere(bad: str) -> None:
    for kind in ("line", "multiline", "verbatim"):
        with pytest.raises(ValueError, match="Must not contain the character U\\+"):
            text.clean(bad, kind)


@pytest.mark.parametrize("bad", ["two\nlines", "cr\rhere", "tab\there", "ls\u2028ps"])
def test_a_line_refuses_line_breaks_and_tabs(bad: str) -> None:
    with pytest.raises(ValueError, match="single line"):
        text.clean(bad, "line")


def test_text_is_nfc_trimmed_and_multiline_keeps_its_breaks_as_lf() -> None:
    assert text.clean("  Cafe\u0301  ") == "Café"
    assert text.clean(" 第一行\r\n第二行\r第三行\t完 ", "multiline") == "第一行\n第二行\n第三行\t完"
    assert text.clean(" pass word ", "verbatim") == " pass word "
    assert text.clean("\u200b\u200b \u2060") == ""


def test_every_contract_schema_loads_through_the_policy() -> None:
    loaded = load(matching.DemandFields(), {**DEMAND, "title": "  碳纤维\u0301  "})
    assert loaded["title"] == "碳纤维\u0301".strip() and "\r" not in loaded["description"]
    for title in ("a\x00b", "\x07", "\x1b[2J", "evil\u202e", "\ufeff标题", "标\n题"):
        with pytest.raises(InvalidInput) as refused:
            load(matching.DemandFields(), {**DEMAND, "title": title})
        assert list(refused.value.details["fields"]) == ["title"]


@pytest.mark.parametrize(("schema", "payload", "field"), [
    (matching.DemandFields(), {**DEMAND, "title": "\u200b\u200b\u200b"}, "title"),
    (applications.RegisterReviewExpert(),
     {"name": "\u200b", "organisation_name": "山东大学", "field": "材料"}, "name"),
    (applications.RegisterReviewExpert(),
     {"name": "李海洋", "organisation_name": "山东大学", "field": "材料", "host_unit_id": ""},
     "host_unit_id"),
])
def test_a_text_of_only_invisible_characters_is_blank(schema, payload, field) -> None:
    with pytest.raises(InvalidInput) as refused:
        load(schema, payload)
    assert field in refused.value.details["fields"]


def test_nested_lists_and_the_other_services_contracts_are_covered() -> None:
    expert = {"name": "王海涛", "organisation": "哈工大（威海）", "industries": ["C"],
              "district": "371002", "titles": ["教授", "博导\x07"]}
    with pytest.raises(InvalidInput) as refused:
        load(matching.ExpertFields(), expert)
    assert refused.value.details["fields"] == {"titles": {1: [text.MESSAGE_REFUSED.format(
        char="U+0007")]}}
    for schema, payload in ((evaluation.DeclineSelection(), {"selection_id": "s-1"}),
                            (subsidy.DeclineGrant(), {"grant_id": "g-1"})):
        with pytest.raises(InvalidInput):
            load(schema, {**payload, "reason": "\u200b\u200d"})
        assert load(schema, {**payload, "reason": "理由：\r\n见附件"})["reason"] == "理由：\n见附件"


def test_the_kind_follows_the_length_unless_the_field_says() -> None:
    assert text.kind_of(matching.DemandFields().fields["title"]) == "line"
    assert text.kind_of(matching.DemandFields().fields["description"]) == "multiline"
    assert text.kind_of(matching.NotificationSettings().fields["webhook_secret"]) == "verbatim"
