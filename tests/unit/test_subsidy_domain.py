"""The subsidy rules without a database: postings, limits, categories, reviews, supervision."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.rpc import subsidy as contract
from servicekit.errors import Conflict, InvalidInput
from services.subsidy import domain
from services.subsidy.domain import Account, Figures, Line, Posting


@pytest.mark.parametrize("fen", [5_000_000, 20_000_000, 12_345_678])
def test_construction_subsidy_within_limits_is_accepted(fen):  # R9.1
    domain.check_construction_amount(fen)
    assert domain.approval_amount("construction", fen, None) == fen


@pytest.mark.parametrize("fen", [4_999_999, 20_000_001, 0, 100])
def test_construction_subsidy_outside_limits_is_refused(fen):  # R9.1
    with pytest.raises(InvalidInput) as refused:
        domain.approval_amount("construction", fen, None)
    assert refused.value.details["field"] == "amount"
    if fen:
        assert refused.value.code == "grant.amount_out_of_range"
        assert refused.value.details["rule"] == "R9.1"
        assert (refused.value.details["min"], refused.value.details["max"]) == (
            "50000.00", "200000.00")
        assert "R9.1" in refused.value.message_zh


def test_approver_may_set_the_amount_and_must_for_the_provincial_reward():  # R9.2
    assert domain.approval_amount("construction", 4_000_000, 6_000_000) == 6_000_000
    with pytest.raises(InvalidInput) as missing:
        domain.approval_amount("provincial_reward", None, None)
    assert missing.value.code == "grant.amount_required"
    # The extra reward has no statutory range, only a positive amount.
    assert domain.approval_amount("provincial_reward", None, 30_000_000) == 30_000_000
    assert domain.approval_amount("district", 100, None) == 100


@pytest.mark.parametrize("category", list(domain.CATEGORIES))
def test_the_eight_article_9_categories_are_allowed(category):  # R9.3
    domain.check_category(category)


@pytest.mark.parametrize("category", ["banquet", "salaries", "Infrastructure", ""])
def test_any_other_category_is_refused_with_the_allowed_ones(category):  # R9.3
    with pytest.raises(InvalidInput) as refused:
        domain.check_category(category)
    assert refused.value.code == "expenditure.category_not_allowed"
    assert refused.value.details["allowed"] == list(domain.CATEGORIES)
    assert "项目路演" in refused.value.message_zh
    assert "project roadshows" in refused.value.message_en


def test_a_posting_must_balance_and_has_no_empty_lines():
    with pytest.raises(ValueError, match="does not balance"):
        Posting("x", (Line(Account.AVAILABLE, 5), Line(Account.APPROPRIATION, -4)))
    with pytest.raises(ValueError, match="non-zero"):
        Posting("x", (Line(Account.AVAILABLE, 0), Line(Account.APPROPRIATION, 0)))
    posting = domain.commitment_posting(700)
    assert posting.reversed("undo").lines == (Line(Account.COMMITTED, -700),
                                              Line(Account.AVAILABLE, 700))


def test_no_posting_may_leave_a_balance_negative():
    balances = {Account.AVAILABLE: 500, Account.COMMITTED: 0}
    assert domain.apply(balances, domain.commitment_posting(500)) == {
        Account.AVAILABLE: 0, Account.COMMITTED: 500}
    with pytest.raises(Conflict) as refused:
        domain.apply(balances, domain.commitment_posting(501))
    assert refused.value.code == "ledger.negative_balance"
    assert refused.value.details["account"] == "available"


def test_figures_reconcile_budget_with_its_uses():
    normal = {Account.APPROPRIATION: 1000, Account.AVAILABLE: 100, Account.COMMITTED: 200,
              Account.ADVANCED: 300, Account.SPENT: 350, Account.RECEIVABLE: 50}
    figures = Figures.of(normal)
    assert figures.reconciles and figures.disbursed == 700
    assert contract.Balances().dump(figures)["unspent"] == "3.00"  # as answers show it
    assert not Figures.of({**normal, Account.SPENT: 351}).reconciles


def test_budget_changes_are_refused_when_unchanged_or_below_use():
    figures = Figures.of({Account.APPROPRIATION: 1000, Account.AVAILABLE: 400,
                          Account.COMMITTED: 600})
    assert domain.budget_delta(figures, 1500) == 500
    assert domain.budget_delta(figures, 600) == -400
    with pytest.raises(Conflict, match="already"):
        domain.budget_delta(figures, 1000)
    with pytest.raises(Conflict) as below:
        domain.budget_delta(figures, 599)
    assert below.value.code == "fund.budget_below_use"


def test_commitment_never_beyond_the_available_balance():  # R9.1
    domain.check_commitment(5_000_000, 5_000_000, "f")
    with pytest.raises(Conflict) as short:
        domain.check_commitment(4_999_999, 5_000_000, "f")
    assert short.value.code == "fund.insufficient"
    assert short.value.details["available"] == "49999.99"


def test_tranches_never_exceed_the_grant_and_spending_never_exceeds_payments():
    domain.check_tranche(1000, 600, 400)
    with pytest.raises(Conflict) as over:
        domain.check_tranche(1000, 600, 401)
    assert over.value.details["remaining"] == "4.00"
    with pytest.raises(InvalidInput):
        domain.check_tranche(1000, 0, 0)
    domain.check_spending(300, 300)
    with pytest.raises(Conflict) as overspent:
        domain.check_spending(300, 301)
    assert overspent.value.code == "expenditure.exceeds_unspent"


def test_review_transitions():
    assert domain.review("reported", "query") == "queried"
    assert domain.review("queried", "accept") == "accepted"
    assert domain.review("accepted", "disallow") == "disallowed"
    for status, decision in [("disallowed", "accept"), ("accepted", "query"),
                             ("disallowed", "disallow")]:
        with pytest.raises(Conflict):
            domain.review(status, decision)


def test_closing_a_grant_releases_the_unpaid_and_claws_back_the_unspent():  # R13.1
    figures = Figures.of({Account.COMMITTED: 400, Account.ADVANCED: 250, Account.SPENT: 350})
    release, clawback = domain.closing_postings(figures)
    assert release.lines == (Line(Account.AVAILABLE, 400), Line(Account.COMMITTED, -400))
    assert clawback.lines == (Line(Account.RECEIVABLE, 250), Line(Account.ADVANCED, -250))
    assert domain.closing_postings(Figures.of({Account.SPENT: 5})) == []


def test_slow_spending_needs_both_the_time_and_the_low_share():  # R13.1
    paid_on, today = date(2026, 1, 1), date(2026, 7, 1)  # 181 days later
    assert domain.spends_slowly(paid_on, 1000, 499, today, 50, 180)
    assert not domain.spends_slowly(paid_on, 1000, 500, today, 50, 180)
    assert not domain.spends_slowly(paid_on, 1000, 0, today, 50, 182)
    assert not domain.spends_slowly(None, 0, 0, today, 50, 1)
    assert domain.share_spent_basis_points(1, 3) == 3333
