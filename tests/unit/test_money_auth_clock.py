"""Money parsing, principals and the clock of the kit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from servicekit.auth import Principal
from servicekit.clock import Clock, set_clock_file
from servicekit.errors import Forbidden, InvalidInput
from servicekit.money import fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [("50000.00", 5_000_000), ("200000", 20_000_000), ("0.5", 50), ("49999.99", 4_999_999),
     ("0", 0)],
)
def test_yuan_strings_become_exact_fen(text, fen):
    assert yuan_to_fen(text) == fen
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


@pytest.mark.parametrize("bad", ["1.234", "-1", "+1", "1e3", "01", "", " 1", "1,000", 5.0, 5, None])
def test_money_that_is_not_an_exact_yuan_string_is_refused(bad):
    with pytest.raises(InvalidInput) as refused:
        yuan_to_fen(bad, field="amount")
    assert refused.value.code == "money.invalid"
    assert refused.value.details["field"] == "amount"


def test_fen_format_keeps_two_decimals():
    assert fen_to_yuan(5) == "0.05"
    assert fen_to_yuan(-1234) == "-12.34"


def test_unknown_role_in_context_is_the_anonymous_public():
    principal = Principal.from_context({"role": "superuser", "actor": "x"})
    assert principal.role == "public"
    with pytest.raises(Forbidden):
        principal.require("city_hr")


def test_district_principal_acts_only_on_its_own_district():  # R13.1
    principal = Principal.from_context({"role": "district_hr", "actor": "d", "district": "371002"})
    principal.require_district("371002")
    with pytest.raises(Forbidden) as refused:
        principal.require_district("371003")
    assert refused.value.code == "forbidden.district"
    assert "371003" in refused.value.message_zh
    Principal("c", "city_hr").require_district("371003")  # the city sees every district


def test_clock_file_sets_now_and_the_shanghai_business_date(tmp_path):
    path = tmp_path / "clock"
    clock = Clock(str(path))
    set_clock_file(path, datetime(2026, 9, 30, 17, 30, tzinfo=UTC))  # 01:30 on 1 Oct in Weihai
    assert clock.now() == datetime(2026, 9, 30, 17, 30, tzinfo=UTC)
    assert clock.today() == date(2026, 10, 1)
    with pytest.raises(ValueError):
        set_clock_file(path, datetime(2026, 9, 30, 17, 30))


def test_system_clock_without_a_file_is_utc():
    assert Clock().now().tzinfo is UTC
