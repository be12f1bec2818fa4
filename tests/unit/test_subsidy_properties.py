"""Property: after any sequence of valid and invalid operations on a real database, every
entry balances, every running balance equals its lines, no balance is negative, every fund
reconciles (budget = available + committed + disbursed), no grant is paid beyond its amount
nor spends beyond what it was paid, and a refused operation posts nothing."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from contracts.rpc import subsidy as contract
from servicekit.auth import Principal
from servicekit.errors import DomainError
from servicekit.money import fen_to_yuan, yuan_to_fen
from servicekit.validation import load
from services.subsidy import domain
from services.subsidy.models import LedgerEntry
from services.subsidy.usecases import grants
from tests.unit.test_subsidy_usecases import CITY_HR, Subsidy

STATIONS = 3
_years = itertools.count()

money = st.one_of(
    st.integers(min_value=1, max_value=5_000_000).map(fen_to_yuan),  # up to 50,000 yuan
    st.integers(min_value=0, max_value=25_000_000).map(fen_to_yuan),
    st.sampled_from(["-1.00", "1.001", "abc", "", "1e5", "0", "49999.99", "200000.01"]),
)
proposal_fen = st.one_of(st.integers(5_000_000, 20_000_000), st.integers(-1, 25_000_000))


class LedgerMachine(RuleBasedStateMachine):
    grants = Bundle("grants")
    items = Bundle("items")

    def __init__(self, subsidy: Subsidy) -> None:
        super().__init__()
        self.subsidy = subsidy
        run = uuid.uuid4().hex[:8]  # this example's own stations, on the shared database
        self.stations = [f"{run}-st{i}" for i in range(STATIONS)]
        self.hosts = {}
        for i, station in enumerate(self.stations):
            subsidy.station(station, host_unit=f"{run}-unit-{i}")
            self.hosts[station] = Principal(f"host-{i}", "host_unit",
                                            organisation=f"{run}-unit-{i}")
        self.keys = [f"{run}-key-{k}" for k in range(3)]
        # And its own fiscal year's fund, so that earlier examples have not used it up.
        self.year = 2000 + next(_years) % 101
        self.grant_stations: dict[str, str] = {}
        self.approved: list[str] = []

    def attempt(self, command: Callable[[], Any]) -> Any:
        """Run a command; if it is refused, nothing may have been posted."""
        before = self.subsidy.count(LedgerEntry)
        try:
            return command()
        except DomainError:
            assert self.subsidy.count(LedgerEntry) == before
            return None

    @initialize(amount=st.integers(50_000_000, 500_000_000).map(fen_to_yuan))
    def fund_the_year(self, amount: str) -> None:
        self.attempt(lambda: self.subsidy.budget(amount, year=self.year))

    @rule(amount=st.one_of(st.integers(0, 100_000_000).map(fen_to_yuan), money))
    def set_budget(self, amount: str) -> None:
        self.attempt(lambda: self.subsidy.budget(amount, year=self.year))

    @rule(target=grants, station=st.integers(0, STATIONS - 1), fen=proposal_fen,
          provincial=st.booleans())
    def select(self, station: int, fen: int, provincial: bool) -> Any:
        """A demonstration selection arrives (its amount unchecked: the event's producer is
        another service)."""
        ids = self.subsidy.select(self.stations[station], fen=fen, provincial=provincial)
        for grant_id in ids:
            self.grant_stations[grant_id] = self.stations[station]
        return multiple(*ids)

    @rule(target=grants, station=st.integers(0, STATIONS - 1),
          fen=st.integers(5_000_000, 20_000_000))
    def select_and_approve(self, station: int, fen: int) -> Any:
        [grant_id] = self.select(station, fen, provincial=False).values
        self.approve(grant_id, None)
        return multiple(grant_id)

    @rule(grant=grants, amount=st.one_of(st.none(), money))
    def approve(self, grant: str, amount: str | None) -> None:
        extra: dict[str, Any] = {"fiscal_year": self.year}
        if amount is not None:
            extra["amount"] = amount
        if self.attempt(lambda: self.subsidy.approve(grant, **extra)):
            self.approved.append(grant)

    # Declining and revoking end a grant's life: drawn less often than the other steps.
    @rule(grant=grants, draw=st.integers(0, 3))
    def decline(self, grant: str, draw: int) -> None:
        if draw:
            return
        data = load(contract.DeclineGrant(), {"grant_id": grant, "reason": "not this year"})
        self.attempt(lambda: grants.decline_grant(self.subsidy.ctx(CITY_HR), data))

    @precondition(lambda self: self.approved)
    @rule(pick=st.integers(0, 99), percent=st.integers(1, 100), target=items,
          category=st.sampled_from(list(domain.CATEGORIES)))
    def pay_and_spend_a_share(self, pick: int, percent: int, category: str) -> Any:
        """A tranche of part of what remains, then spending part of what is unspent."""
        grant_id = self.approved[pick % len(self.approved)]
        grant = self.subsidy.grant(grant_id)
        left = yuan_to_fen(grant["amount"] or "0") - yuan_to_fen(grant["balances"]["disbursed"])
        if left > 0:
            self.attempt(lambda: self.subsidy.disburse(grant_id, fen_to_yuan(
                max(1, left * percent // 100))))
        unspent = yuan_to_fen(self.subsidy.grant(grant_id)["balances"]["unspent"])
        if unspent <= 0:
            return multiple()
        return self.spend(grant_id, fen_to_yuan(max(1, unspent * percent // 100)), category)

    @rule(grant=grants, amount=money, key=st.integers(0, 2))
    def disburse(self, grant: str, amount: str, key: int) -> None:
        self.attempt(lambda: self.subsidy.disburse(grant, amount, key=self.keys[key]))

    @rule(target=items, grant=grants, amount=money,
          category=st.sampled_from([*domain.CATEGORIES, "banquet"]))
    def spend(self, grant: str, amount: str, category: str) -> Any:
        host = self.hosts[self.grant_stations[grant]]
        item = self.attempt(lambda: self.subsidy.spend(grant, amount, category=category,
                                                       principal=host))
        return multiple(item["expenditure_id"]) if item else multiple()

    @rule(item=items, decision=st.sampled_from(contract.REVIEW_DECISIONS))
    def review(self, item: str, decision: str) -> None:
        self.attempt(lambda: self.subsidy.review(item, decision))

    @rule(station=st.integers(0, STATIONS - 1), draw=st.integers(0, 3))
    def revoke(self, station: int, draw: int) -> None:
        if draw:
            return
        self.subsidy.revoke(self.stations[station])

    @rule(grant=grants, amount=money)
    def settle(self, grant: str, amount: str) -> None:
        self.attempt(lambda: self.subsidy.settle(grant, amount))

    def teardown(self) -> None:
        """After the sequence: the ledger recomputed from its lines holds together."""
        check = self.subsidy.check()
        assert check["ok"], check
        for grant_id in self.grant_stations:
            grant = self.subsidy.grant(grant_id)
            paid = yuan_to_fen(grant["balances"]["disbursed"])
            spent = yuan_to_fen(grant["balances"]["spent"])
            assert spent <= paid <= yuan_to_fen(grant["amount"] or "0")


@pytest.fixture
def subsidy(engine: Any, tmp_path: Any) -> Subsidy:
    return Subsidy(engine, tmp_path)


def test_ledger_stays_balanced_and_never_negative(subsidy):
    # The examples share one database: each adds to what the ones before it left.
    run_state_machine_as_test(
        lambda: LedgerMachine(subsidy),
        settings=settings(max_examples=50, stateful_step_count=15, deadline=None,
                          database=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow]),
    )
