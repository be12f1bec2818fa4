"""The subsidy use cases on a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL),
without a broker: the ledger, grants, tranches, expenditures, clawback and supervision."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime
from typing import Any

import eventlet
import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from contracts.events import DemonstrationSelected, StationApproved, StationRevoked
from contracts.rpc import subsidy as contract
from servicekit import attachments
from servicekit.attachments import AttachmentStore
from servicekit.auth import Principal
from servicekit.clock import Clock, set_clock_file
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from servicekit.migrations import upgrade
from servicekit.money import yuan_to_fen
from servicekit.tables import audit_log, outbox, processed_events
from servicekit.tenants import CITY, get_tenant
from servicekit.validation import load
from services.subsidy.models import Expenditure, Fund, Grant, LedgerEntry, LedgerLine, Station
from services.subsidy.usecases import (
    disbursements,
    expenditures,
    funds,
    grants,
    repayments,
    stations,
    supervision,
)

CITY_HR = Principal("hr-wang", "city_hr")
AUDITOR = Principal("audit-li", "auditor")
HUANCUI = Principal("hc-zhao", "district_hr", district="371002")
WENDENG = Principal("wd-sun", "district_hr", district="371003")
HOST = Principal("host-chen", "host_unit", organisation="unit-1")
OTHER_HOST = Principal("host-qian", "host_unit", organisation="unit-2")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%evidence\n"


def evidence(content: bytes = PNG, content_type: str = "image/png") -> dict[str, str]:
    return {"filename": "receipt.png", "content_type": content_type,
            "content_base64": base64.b64encode(content).decode()}


class Subsidy:
    """Drives the use cases as the service does, each call in its own unit of work."""

    def __init__(self, engine: Any, tmp_path: Any) -> None:
        upgrade(engine, "services.subsidy:migrations")
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.clock_file = tmp_path / "clock"
        self.move_to(date(2026, 6, 15))
        self.clock = Clock(str(self.clock_file))
        self.store = AttachmentStore(tmp_path / "attachments", max_bytes=1024,
                                     allowed=(attachments.PDF, attachments.JPEG,
                                              attachments.PNG))

    def move_to(self, day: date) -> None:
        set_clock_file(self.clock_file, datetime(day.year, day.month, day.day, 2, tzinfo=UTC))

    def uow(self, principal: Principal | None = None, tenant: str = CITY) -> UnitOfWork:
        principal = principal or Principal("system", "system")
        return UnitOfWork(self.sessions, "subsidy", tenant,
                          {"actor": principal.actor, "role": principal.role,
                           "correlation_id": "test"})

    def ctx(self, principal: Principal | None = None, tenant: str = CITY,
            uow: UnitOfWork | None = None, **extras: Any) -> Context:
        """The use cases' context, as the service builds it (with the evidence store)."""
        principal = principal or Principal("system", "system")
        return Context(uow or self.uow(principal, tenant), principal, self.clock,
                       get_tenant(tenant), {"store": self.store, **extras})

    # commands, with payloads loaded by the RPC schemas as the service loads them
    def budget(self, amount: str, principal: Principal = CITY_HR, district: str = CITY,
               year: int = 2026, **extra: Any) -> dict:
        data = load(contract.SetFundBudget(), {"fiscal_year": year, "district": district,
                                          "budget": amount, "document": f"budget-{amount}",
                                          **extra})
        return funds.set_fund_budget(self.ctx(principal), data)

    def station(self, station_id: str = "st-1", district: str = "371002",
                host_unit: str = "unit-1") -> None:
        payload = StationApproved().load({
            "station_id": station_id, "application_id": f"app-{station_id}",
            "plaque_number": f"WH-{station_id}", "name": f"Station {station_id}",
            "station_type": "innovation", "host_unit_id": host_unit,
            "host_unit_name": "Host", "district": district, "approved_on": "2026-01-10",
            "policy_version": "2020"})
        stations.record_station(self.ctx(), payload)

    def select(self, station_id: str = "st-1", fen: int = 10_000_000,
               provincial: bool = False, selection_id: str | None = None) -> list[str]:
        payload = DemonstrationSelected().load({
            "selection_id": selection_id or str(uuid.uuid4()), "cycle_id": "cy-2026",
            "station_id": station_id, "district": "371002", "proposed_subsidy_fen": fen,
            "provincial": provincial, "confirmed_on": "2026-06-01"})
        return grants.propose_from_selection(self.ctx(), payload)

    def revoke(self, station_id: str = "st-1") -> list[str]:
        payload = StationRevoked().load({
            "station_id": station_id, "plaque_number": f"WH-{station_id}",
            "district": "371002", "reason": "rectification failed",
            "revoked_on": "2026-06-15"})
        return stations.revoke_station(self.ctx(), payload, str(uuid.uuid4()))

    def approve(self, grant_id: str, principal: Principal = CITY_HR, **extra: Any) -> dict:
        data = load(contract.ApproveGrant(), {"grant_id": grant_id, "document": "doc-1", **extra})
        return grants.approve_grant(self.ctx(principal), data)

    def disburse(self, grant_id: str, amount: str, principal: Principal = CITY_HR,
                 key: str | None = None, reference: str | None = None) -> dict:
        data = load(contract.DisburseGrant(), {
            "grant_id": grant_id, "amount": amount,
            "payment_reference": reference or f"pay-{uuid.uuid4().hex[:12]}",
            "idempotency_key": key or str(uuid.uuid4())})
        return disbursements.disburse_grant(self.ctx(principal), data)

    def spend(self, grant_id: str, amount: str, category: str = "infrastructure",
              principal: Principal = HOST, files: list | None = None) -> dict:
        data = load(contract.RecordExpenditure(), {
            "grant_id": grant_id, "category": category, "amount": amount,
            "spent_on": "2026-06-10", "description": "lecture hall chairs",
            "attachments": files if files is not None else [evidence()]})
        return expenditures.record_expenditure(self.ctx(principal), data)

    def review(self, expenditure_id: str, decision: str, comment: str | None = "see rules",
               principal: Principal = CITY_HR) -> dict:
        data = load(contract.ReviewExpenditure(), {
            "expenditure_id": expenditure_id, "decision": decision, "comment": comment})
        return expenditures.review_expenditure(self.ctx(principal), data)

    def settle(self, grant_id: str, amount: str, principal: Principal = CITY_HR) -> dict:
        data = load(contract.SettleReceivable(), {
            "grant_id": grant_id, "amount": amount,
            "payment_reference": f"back-{uuid.uuid4().hex[:12]}"})
        return repayments.settle_receivable(self.ctx(principal), data)

    # reading
    def fund(self, fund_id: str, principal: Principal = AUDITOR) -> dict:
        return funds.get_fund(self.ctx(principal), fund_id)

    def grant(self, grant_id: str, principal: Principal = AUDITOR) -> dict:
        return grants.get_grant(self.ctx(principal), grant_id)

    def check(self) -> dict:
        return supervision.check_ledger(self.ctx(AUDITOR))

    def count(self, table: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def approved_grant(self, station_id: str = "st-1", fen: int = 10_000_000) -> str:
        """An approved construction grant, on a city fund of 1,000,000 yuan if none is set."""
        with self.engine.connect() as conn:
            if not conn.execute(select(func.count()).select_from(Fund)).scalar_one():
                self.budget("1000000.00")
        [grant_id] = self.select(station_id, fen)
        self.approve(grant_id)
        return grant_id


@pytest.fixture
def subsidy(engine: Any, tmp_path: Any) -> Subsidy:
    s = Subsidy(engine, tmp_path)
    s.station()
    return s


def test_budget_changes_are_postings_and_history(subsidy):
    first = subsidy.budget("1000000.00")
    second = subsidy.budget("800000.00")
    assert first["fund_id"] == second["fund_id"]
    fund = subsidy.fund(first["fund_id"])
    assert (fund["budget"], fund["available"], fund["kind"]) == ("800000.00", "800000.00",
                                                                 "city_special")
    assert [(c["before"], c["after"]) for c in fund["budget_changes"]] == [
        ("0.00", "1000000.00"), ("1000000.00", "800000.00")]
    assert subsidy.count(LedgerEntry) == 2
    with pytest.raises(Conflict):
        subsidy.budget("800000.00")
    assert subsidy.check()["ok"]


def test_selection_proposes_a_grant_once_and_approval_commits_the_fund(subsidy):  # R9.1
    fund_id = subsidy.budget("1000000.00")["fund_id"]
    selection = str(uuid.uuid4())
    [grant_id] = subsidy.select(selection_id=selection)
    # The same selection again (a re-sent event with a new id): no second grant.
    assert subsidy.select(selection_id=selection) == [grant_id]
    assert subsidy.grant(grant_id)["status"] == "proposed"

    approved = subsidy.approve(grant_id)
    assert (approved["status"], approved["amount"], approved["fund_id"]) == (
        "approved", "100000.00", fund_id)
    assert approved["balances"]["committed"] == "100000.00"
    fund = subsidy.fund(fund_id)
    assert (fund["available"], fund["committed"]) == ("900000.00", "100000.00")
    with subsidy.engine.connect() as conn:
        event = conn.execute(select(outbox.c.envelope)
                             .where(outbox.c.event_type == "grant_approved")).scalar_one()
    assert event["payload"] == {"grant_id": grant_id, "station_id": "st-1",
                                "kind": "construction", "fund_id": fund_id,
                                "amount_fen": 10_000_000}
    with pytest.raises(Conflict) as twice:  # approving twice
        subsidy.approve(grant_id)
    assert twice.value.code == "grant.wrong_status"
    assert subsidy.fund(fund_id)["committed"] == "100000.00"


@pytest.mark.parametrize(("amount", "accepted"), [
    ("49999.99", False), ("50000.00", True), ("200000.00", True), ("200000.01", False)])
def test_construction_limits_at_approval(subsidy, amount, accepted):  # R9.1
    subsidy.budget("1000000.00")
    [grant_id] = subsidy.select(fen=yuan_to_fen(amount))
    if accepted:
        assert subsidy.approve(grant_id)["amount"] == amount
    else:
        with pytest.raises(InvalidInput) as refused:
            subsidy.approve(grant_id)
        assert refused.value.code == "grant.amount_out_of_range"
        assert subsidy.count(LedgerEntry) == 1  # the budget only


def test_approval_commits_the_jointly_confirmed_amount(subsidy):
    """R9.4 (Art 9): the construction subsidy of a demonstration selection is the amount the
    two departments confirmed; the approver may not change it (the old behaviour let them)."""
    fund_id = subsidy.budget("1000000.00")["fund_id"]
    [grant_id] = subsidy.select(fen=15_000_000)
    for other in ("100000.00", "200000.00"):
        with pytest.raises(Conflict) as changed:
            subsidy.approve(grant_id, amount=other)
        assert (changed.value.code, changed.value.details["confirmed"]) == (
            "grant.amount_jointly_confirmed", "150000.00")
    assert subsidy.grant(grant_id)["status"] == "proposed"
    assert subsidy.fund(fund_id)["committed"] == "0.00"
    assert subsidy.approve(grant_id, amount="150000.00")["amount"] == "150000.00"


def test_approval_beyond_the_available_balance_is_refused(subsidy):  # R9.1
    fund_id = subsidy.budget("150000.00")["fund_id"]
    subsidy.approved_grant(fen=10_000_000)
    [second] = subsidy.select(fen=6_000_000)
    with pytest.raises(Conflict) as short:
        subsidy.approve(second)
    assert short.value.code == "fund.insufficient"
    assert short.value.details["available"] == "50000.00"
    assert subsidy.grant(second)["status"] == "proposed"
    assert subsidy.fund(fund_id)["available"] == "50000.00"


def test_approval_needs_a_fund_for_the_year(subsidy):
    [grant_id] = subsidy.select()
    with pytest.raises(NotFound) as missing:
        subsidy.approve(grant_id)
    assert missing.value.code == "fund.not_found"


def test_provincial_demonstration_gets_a_separate_reward_set_at_approval(subsidy):  # R9.2
    subsidy.budget("1000000.00")
    construction, reward = subsidy.select(provincial=True)
    kinds = {subsidy.grant(g)["kind"]: subsidy.grant(g) for g in (construction, reward)}
    assert set(kinds) == {"construction", "provincial_reward"}
    assert kinds["provincial_reward"]["proposed_amount"] is None
    with pytest.raises(InvalidInput) as no_amount:
        subsidy.approve(reward)
    assert no_amount.value.code == "grant.amount_required"
    # Beyond the construction range: the extra reward is recorded separately, not capped by it.
    assert subsidy.approve(reward, amount="300000.00")["amount"] == "300000.00"


def test_tranches_stop_at_the_grant_and_a_retry_pays_once(subsidy):
    grant_id = subsidy.approved_grant(fen=10_000_000)
    first = subsidy.disburse(grant_id, "40000.00", key="retry-key-0001", reference="BANK-1")
    again = subsidy.disburse(grant_id, "40000.00", key="retry-key-0001", reference="BANK-1")
    assert again == first and first["tranche"] == 1
    subsidy.disburse(grant_id, "60000.00")
    with pytest.raises(Conflict) as beyond:
        subsidy.disburse(grant_id, "0.01")
    assert beyond.value.code == "disbursement.exceeds_grant"
    grant = subsidy.grant(grant_id)
    assert [d["amount"] for d in grant["disbursements"]] == ["40000.00", "60000.00"]
    assert (grant["balances"]["committed"], grant["balances"]["unspent"]) == ("0.00",
                                                                              "100000.00")
    with pytest.raises(Conflict) as reused:  # the same key for another request
        subsidy.disburse(grant_id, "1.00", key="retry-key-0001", reference="BANK-2")
    assert reused.value.code == "idempotency.key_reused"
    with pytest.raises(Conflict) as same_payment:
        subsidy.disburse(grant_id, "1.00", reference="BANK-1")
    assert same_payment.value.code in ("payment.duplicate_reference",
                                       "disbursement.exceeds_grant")


def test_bad_money_is_refused_before_anything_is_posted(subsidy):
    grant_id = subsidy.approved_grant()
    entries = subsidy.count(LedgerEntry)
    for amount in ["100.001", "-5.00", "abc", "1e3", "1,000.00"]:
        with pytest.raises(InvalidInput) as refused:
            subsidy.disburse(grant_id, amount)
        assert "amount" in refused.value.details["fields"]
    with pytest.raises(InvalidInput) as zero:
        subsidy.disburse(grant_id, "0.00")
    assert zero.value.code == "money.not_positive"
    with pytest.raises(InvalidInput):  # a JSON number loses cents: refused
        load(contract.DisburseGrant(), {"grant_id": grant_id, "amount": 5.5,
                                  "payment_reference": "r", "idempotency_key": "k" * 8})
    assert subsidy.count(LedgerEntry) == entries


def test_spending_in_allowed_categories_within_what_was_paid(subsidy):  # R9.3
    grant_id = subsidy.approved_grant()
    with pytest.raises(Conflict) as nothing_paid:
        subsidy.spend(grant_id, "1.00")
    assert nothing_paid.value.code == "expenditure.exceeds_unspent"
    subsidy.disburse(grant_id, "30000.00")
    item = subsidy.spend(grant_id, "12000.50", category="project_roadshow")
    assert (item["status"], item["amount"]) == ("reported", "12000.50")
    [attachment] = item["attachments"]
    assert attachment["content_type"] == "image/png"
    assert subsidy.store.path(attachment["sha256"]).read_bytes() == PNG

    entries = subsidy.count(LedgerEntry)
    with pytest.raises(InvalidInput) as banquet:
        subsidy.spend(grant_id, "100.00", category="banquet")
    assert banquet.value.code == "expenditure.category_not_allowed"
    with pytest.raises(Conflict) as beyond:  # spending beyond what was disbursed
        subsidy.spend(grant_id, "18000.00")
    assert beyond.value.details["unspent"] == "17999.50"
    assert subsidy.count(LedgerEntry) == entries
    balances = subsidy.grant(grant_id)["balances"]
    assert (balances["spent"], balances["unspent"]) == ("12000.50", "17999.50")


def test_evidence_must_be_a_real_allowed_file_within_the_size_limit(subsidy):
    grant_id = subsidy.approved_grant()
    subsidy.disburse(grant_id, "30000.00")
    cases = [
        ([], "invalid_input"),
        ([{**evidence(), "content_base64": "not base64!"}], "attachment.base64"),
        ([evidence(b"MZ\x90\x00 an exe", "image/png")], "attachment.type"),
        ([evidence(PDF, "image/png")], "attachment.type"),  # declared one thing, is another
        ([evidence(PNG + b"\x00" * 2000)], "attachment.size"),
    ]
    for files, code in cases:
        with pytest.raises(InvalidInput) as refused:
            subsidy.spend(grant_id, "10.00", files=files)
        assert refused.value.code == code
    assert list(subsidy.store.root.rglob("*")) == []
    item = subsidy.spend(grant_id, "10.00", files=[evidence(PDF, "application/pdf"),
                                                    evidence()])
    assert sorted(a["content_type"] for a in item["attachments"]) == ["application/pdf",
                                                                     "image/png"]
    # Content-addressed: the same receipt twice is stored once.
    subsidy.spend(grant_id, "10.00")
    assert len([p for p in subsidy.store.root.rglob("*") if p.is_file()]) == 2


def test_disallowed_item_reverses_its_posting_and_is_reported(subsidy):  # R9.3
    grant_id = subsidy.approved_grant()
    subsidy.disburse(grant_id, "30000.00")
    item = subsidy.spend(grant_id, "5000.00", category="social_exchange")
    queried = subsidy.review(item["expenditure_id"], "query", "which event?")
    assert queried["status"] == "queried"
    with pytest.raises(InvalidInput):  # a disallowance needs its reason
        subsidy.review(item["expenditure_id"], "disallow", comment=None)
    rejected = subsidy.review(item["expenditure_id"], "disallow", "a private dinner")
    assert rejected["status"] == "disallowed"
    assert [n["kind"] for n in rejected["notes"]] == ["report", "query", "disallow"]
    balances = subsidy.grant(grant_id)["balances"]
    assert (balances["spent"], balances["unspent"]) == ("0.00", "30000.00")
    with subsidy.sessions() as session:
        reversal = session.get(LedgerEntry, rejected["reversal_entry_id"])
        assert reversal.reverses_id == item["entry_id"] and reversal.actor == "hr-wang"
    with subsidy.engine.connect() as conn:
        event = conn.execute(select(outbox.c.envelope)
                             .where(outbox.c.event_type == "expenditure_rejected")).scalar_one()
    assert event["payload"]["reason"] == "a private dinner"
    with pytest.raises(Conflict):  # a reversal is not reversed twice
        subsidy.review(item["expenditure_id"], "disallow", "again")
    assert subsidy.check()["ok"]


def test_revocation_claws_back_the_unspent_and_closes_the_grant(subsidy):  # R13.1
    fund_id = subsidy.budget("1000000.00")["fund_id"]
    grant_id = subsidy.approved_grant(fen=10_000_000)
    [proposed] = subsidy.select(fen=5_000_000)
    subsidy.disburse(grant_id, "60000.00")
    item = subsidy.spend(grant_id, "25000.00")
    assert sorted(subsidy.revoke()) == sorted([grant_id, proposed])

    grant = subsidy.grant(grant_id)
    assert grant["status"] == "closed" and "rectification failed" in grant["close_reason"]
    assert grant["balances"] == {"available": "0.00", "committed": "0.00",
                                 "disbursed": "60000.00", "spent": "25000.00",
                                 "unspent": "0.00", "receivable": "35000.00"}
    assert subsidy.grant(proposed)["status"] == "closed"
    fund = subsidy.fund(fund_id)
    assert (fund["available"], fund["receivable"]) == ("940000.00", "35000.00")
    with subsidy.engine.connect() as conn:
        [claw] = conn.execute(select(outbox.c.envelope)
                              .where(outbox.c.event_type == "clawback_raised")).scalars().all()
    assert claw["payload"]["amount_fen"] == 3_500_000

    # Nothing more is paid, spent or approved for a revoked station.
    with pytest.raises(Conflict):
        subsidy.disburse(grant_id, "1.00")
    with pytest.raises(Conflict):
        subsidy.spend(grant_id, "1.00")
    [late] = subsidy.select(fen=5_000_000)
    assert subsidy.grant(late)["status"] == "declined"
    with pytest.raises(Conflict):
        subsidy.approve(late)
    propose = load(contract.ProposeGrant(), {"station_id": "st-1", "amount": "1000.00",
                                            "purpose": "project_grant"})
    with pytest.raises(Conflict) as revoked:  # a grant for a revoked station
        grants.propose_grant(subsidy.ctx(HUANCUI), propose)
    assert revoked.value.code == "grant.station_revoked"

    # An item disallowed after the revocation is owed back too.
    subsidy.review(item["expenditure_id"], "disallow", "no evidence of the event")
    assert subsidy.grant(grant_id)["balances"]["receivable"] == "60000.00"
    settled = subsidy.settle(grant_id, "60000.00")
    assert settled["receivable"] == "0.00"
    with pytest.raises(Conflict):
        subsidy.settle(grant_id, "0.01")
    assert subsidy.fund(fund_id)["available"] == "1000000.00"
    assert subsidy.check()["ok"]


def test_a_district_acts_on_its_own_fund_and_stations_only(subsidy):  # R13.1
    subsidy.station("st-wd", district="371003", host_unit="unit-2")
    hc_fund = subsidy.budget("300000.00", principal=HUANCUI, district="371002",
                             allowed_uses=VENUE_USES)["fund_id"]
    with pytest.raises(Forbidden):
        subsidy.budget("300000.00", principal=HUANCUI, district="371003")
    with pytest.raises(Forbidden):  # the city fund is the city's
        subsidy.budget("300000.00", principal=HUANCUI)
    with pytest.raises(Forbidden):
        subsidy.budget("300000.00", principal=CITY_HR, district="371002")

    propose = load(contract.ProposeGrant(), {"station_id": "st-1", "amount": "20000.00",
                                            "purpose": "venue_subsidy"})
    grant = grants.propose_grant(subsidy.ctx(HUANCUI), propose)
    with pytest.raises(Forbidden):
        grants.propose_grant(subsidy.ctx(WENDENG), propose)
    with pytest.raises(Forbidden):
        subsidy.approve(grant["grant_id"], principal=WENDENG)
    with pytest.raises(Forbidden):
        subsidy.approve(grant["grant_id"], principal=CITY_HR)
    approved = subsidy.approve(grant["grant_id"], principal=HUANCUI)
    assert (approved["kind"], approved["fund_id"]) == ("district", hc_fund)
    subsidy.disburse(grant["grant_id"], "20000.00", principal=HUANCUI)

    # Reading: the city and auditor see all, a district its own, a host unit its own grants.
    with pytest.raises(Forbidden):
        subsidy.grant(grant["grant_id"], principal=WENDENG)
    with pytest.raises(Forbidden):
        subsidy.grant(grant["grant_id"], principal=OTHER_HOST)
    assert subsidy.grant(grant["grant_id"], principal=HOST)["grant_id"] == grant["grant_id"]
    with pytest.raises(Forbidden):
        subsidy.fund(hc_fund, principal=WENDENG)
    page = load(contract.ListGrants(), {})
    assert grants.list_grants(subsidy.ctx(WENDENG), page)["total"] == 0
    assert grants.list_grants(subsidy.ctx(HUANCUI), page)["total"] == 1
    assert grants.list_grants(subsidy.ctx(CITY_HR), page)["total"] == 1
    # A filter naming another district is refused, not answered with an empty page.
    elsewhere = load(contract.ListGrants(), {"district": "371002"})
    with pytest.raises(Forbidden) as filtered:
        grants.list_grants(subsidy.ctx(WENDENG), elsewhere)
    assert filtered.value.code == "forbidden.district"
    with pytest.raises(Forbidden):
        supervision.get_usage_report(subsidy.ctx(WENDENG), load(
            contract.UsageQuery(), {"by": "station", "district": "371002"}))
    # The spending of a grant is reported by its own host unit only.
    with pytest.raises(Forbidden):
        subsidy.spend(grant["grant_id"], "1.00", principal=OTHER_HOST)
    with pytest.raises(Forbidden):
        subsidy.spend(grant["grant_id"], "1.00", principal=CITY_HR)
    assert subsidy.spend(grant["grant_id"], "1.00", category="venue_rent")["status"] == (
        "reported")


VENUE_USES = {"venue_rent": "场地租金", "talent_activity": "人才活动"}


def test_a_district_grant_is_spent_under_the_district_funds_own_uses(subsidy):
    """R14.1 (Art 14): a district grant follows the district fund's allowed uses, not the
    eight Art 9 categories (which the old rule applied to it); the city fund's are Art 9's."""
    with pytest.raises(InvalidInput) as city_uses:
        subsidy.budget("300000.00", allowed_uses=VENUE_USES)
    assert (city_uses.value.code, city_uses.value.details["rule"]) == (
        "fund.city_uses_fixed", "R9.3")
    assert subsidy.count(Fund) == 0
    fund = subsidy.budget("300000.00", principal=HUANCUI, district="371002")
    assert fund["allowed_uses"] == {}
    propose = load(contract.ProposeGrant(), {"station_id": "st-1", "amount": "20000.00",
                                            "purpose": "venue_subsidy"})
    grant_id = grants.propose_grant(subsidy.ctx(HUANCUI), propose)["grant_id"]
    subsidy.approve(grant_id, principal=HUANCUI)
    subsidy.disburse(grant_id, "20000.00", principal=HUANCUI)
    with pytest.raises(InvalidInput) as unset:  # nothing allowed until the district sets it
        subsidy.spend(grant_id, "100.00", category="venue_rent")
    assert unset.value.code == "expenditure.district_use_not_allowed"

    configured = subsidy.budget("320000.00", principal=HUANCUI, district="371002",
                                allowed_uses=VENUE_USES)
    assert configured["allowed_uses"] == VENUE_USES
    with pytest.raises(InvalidInput) as art9:  # an Art 9 category is not the district's
        subsidy.spend(grant_id, "100.00", category="infrastructure")
    assert (art9.value.code, art9.value.details["allowed"]) == (
        "expenditure.district_use_not_allowed", ["venue_rent", "talent_activity"])
    assert subsidy.count(Expenditure) == 0
    assert subsidy.spend(grant_id, "100.00", category="venue_rent")["status"] == "reported"
    city = subsidy.budget("1000000.00")
    assert city["allowed_uses"]["infrastructure"] == "驿站基础建设"


def test_every_posting_names_its_person_and_document(subsidy):  # R13.1
    grant_id = subsidy.approved_grant()
    subsidy.disburse(grant_id, "30000.00", reference="BANK-77")
    subsidy.spend(grant_id, "100.00")
    data = load(contract.LedgerQuery(), {"grant_id": grant_id})
    entries = supervision.list_ledger_entries(subsidy.ctx(AUDITOR), data)["items"]
    assert [(e["kind"], e["actor"], e["role"]) for e in entries] == [
        ("commitment", "hr-wang", "city_hr"), ("disbursement", "hr-wang", "city_hr"),
        ("expenditure", "host-chen", "host_unit")]
    assert entries[1]["document"] == "BANK-77"
    assert entries[0]["document"] == "doc-1"
    assert entries[1]["lines"] == [
        {"account": "advanced", "grant_id": grant_id, "debit": "30000.00", "credit": None},
        {"account": "committed", "grant_id": grant_id, "debit": None, "credit": "30000.00"}]
    with pytest.raises(Forbidden):
        supervision.list_ledger_entries(subsidy.ctx(HOST), load(contract.LedgerQuery(), {}))


def test_the_database_refuses_to_change_the_ledger(subsidy):
    subsidy.budget("1000.00")
    for statement in ("UPDATE ledger_lines SET amount_fen = 1", "DELETE FROM ledger_entries",
                      "UPDATE ledger_entries SET document = 'forged'"):
        with pytest.raises(DBAPIError, match="append-only"), subsidy.engine.begin() as conn:
            conn.execute(text(statement))
    assert subsidy.count(LedgerLine) == 2


def test_supervision_reports(subsidy):  # R13.1
    subsidy.station("st-2", host_unit="unit-2")
    subsidy.budget("1000000.00")
    fast, slow = subsidy.approved_grant("st-1"), subsidy.approved_grant("st-2")
    subsidy.disburse(fast, "50000.00")
    subsidy.disburse(slow, "50000.00")
    subsidy.spend(fast, "40000.00", category="technology_sharing")
    subsidy.spend(slow, "1000.00", category="technology_sharing",
                  principal=Principal("host-qian", "host_unit", organisation="unit-2"))

    by_station = supervision.get_usage_report(
        subsidy.ctx(AUDITOR), load(contract.UsageQuery(), {"by": "station"}))["rows"]
    assert [(r["station_id"], r["granted"], r["spent"], r["share_spent_percent"])
            for r in by_station] == [("st-1", "100000.00", "40000.00", "80.00"),
                                     ("st-2", "100000.00", "1000.00", "2.00")]
    by_category = supervision.get_usage_report(
        subsidy.ctx(AUDITOR), load(contract.UsageQuery(), {"by": "category"}))["rows"]
    sharing = next(r for r in by_category if r["category"] == "technology_sharing")
    assert (sharing["items"], sharing["spent"], len(by_category)) == (2, "41000.00", 8)
    [fund] = supervision.get_usage_report(
        subsidy.ctx(AUDITOR), load(contract.UsageQuery(), {"by": "fund"}))["rows"]
    assert (fund["committed"], fund["disbursed"], fund["spent"], fund["reconciles"]) == (
        "100000.00", "100000.00", "41000.00", True)

    def slow_ones(**query: Any) -> list[str]:
        data = load(contract.SlowSpendingQuery(), query)
        report = supervision.list_slow_spenders(subsidy.ctx(AUDITOR, config={}), data)
        return [r["station_id"] for r in report["rows"]]

    assert slow_ones() == []  # paid today: too early to call it slow
    subsidy.move_to(date(2026, 12, 13))  # 181 days later
    assert slow_ones() == ["st-2"]
    assert sorted(slow_ones(below_percent=90)) == ["st-1", "st-2"]
    assert slow_ones(after_days=365) == []


def test_refused_commands_change_nothing(subsidy):
    grant_id = subsidy.approved_grant()
    before = (subsidy.count(LedgerEntry), subsidy.count(audit_log), subsidy.count(outbox))
    refusals = [
        lambda: subsidy.approve(grant_id),
        lambda: subsidy.disburse(grant_id, "100000.01"),
        lambda: subsidy.disburse(grant_id, "1.00", principal=HOST),
        lambda: subsidy.spend(grant_id, "1.00"),
        lambda: subsidy.review(str(uuid.uuid4()), "accept"),
        lambda: subsidy.budget("0.00"),
    ]
    for refuse in refusals:
        with pytest.raises(DomainError):
            refuse()
    assert (subsidy.count(LedgerEntry), subsidy.count(audit_log),
            subsidy.count(outbox)) == before


def test_concurrent_retries_of_a_payment_pay_once(subsidy):
    grant_id = subsidy.approved_grant()
    pool = eventlet.GreenPool()
    results = list(pool.imap(lambda _: _outcome(lambda: subsidy.disburse(
        grant_id, "10000.00", key="same-key-twice", reference="BANK-RACE")), range(4)))
    answers = [r for r in results if isinstance(r, dict)]
    assert answers and all(a == answers[0] for a in answers)
    # SQLite refuses a writer whose snapshot went stale; it never pays twice either.
    assert all(isinstance(r, dict) or "locked" in str(r) or "busy" in str(r).lower()
               for r in results), results
    assert [d["payment_reference"] for d in subsidy.grant(grant_id)["disbursements"]] == [
        "BANK-RACE"]


def _outcome(call: Any) -> Any:
    try:
        return call()
    except DBAPIError as exc:
        return exc


def test_a_district_instance_keeps_only_its_own_money(subsidy):  # R13.1
    own = load(contract.SetFundBudget(), {"fiscal_year": 2026, "district": "371002",
                                      "budget": "1000.00", "document": "d"})
    assert funds.set_fund_budget(subsidy.ctx(HUANCUI, tenant="371002"),
                                 own)["district"] == "371002"
    city_fund = load(contract.SetFundBudget(), {"fiscal_year": 2026, "budget": "1000.00",
                                           "document": "d"})
    with pytest.raises(Forbidden) as elsewhere:
        funds.set_fund_budget(subsidy.ctx(CITY_HR, tenant="371002"), city_fund)
    assert elsewhere.value.code == "forbidden.tenant"
    # Construction grants are the city fund's: a district instance lets the selection pass.
    payload = DemonstrationSelected().load({
        "selection_id": "sel-d", "cycle_id": "cy", "station_id": "st-1", "district": "371002",
        "proposed_subsidy_fen": 10_000_000, "provincial": False, "confirmed_on": "2026-06-01"})
    assert grants.propose_from_selection(subsidy.ctx(tenant="371002"), payload) == []


def test_one_selection_sent_twice_at_once_makes_one_grant_and_both_are_handled(subsidy):
    payload = DemonstrationSelected().load({
        "selection_id": "sel-twice", "cycle_id": "cy", "station_id": "st-1",
        "district": "371002", "proposed_subsidy_fen": 10_000_000, "provincial": False,
        "confirmed_on": "2026-06-01"})

    def deliver(event_id: str) -> list[str]:
        uow = UnitOfWork(subsidy.sessions, "subsidy", CITY, {},
                         inbox_key=(event_id, "subsidy.on_demonstration_selected"))
        return grants.propose_from_selection(subsidy.ctx(uow=uow), payload)

    events = [str(uuid.uuid4()), str(uuid.uuid4())]
    made = list(eventlet.GreenPool().imap(deliver, events))
    assert len({grant_id for ids in made for grant_id in ids}) == 1
    assert subsidy.count(Grant) == 1
    with subsidy.engine.connect() as conn:
        handled = conn.execute(select(processed_events.c.event_id)).scalars().all()
    assert sorted(handled) == sorted(events)


def test_answers_keep_to_the_contract(subsidy):
    """Every answer passes its contract schema (all required fields present, well typed), and
    the gateway's re-dump through the same schema leaves it unchanged."""
    grant_id = subsidy.approved_grant()
    paid = subsidy.disburse(grant_id, "30000.00")
    item = subsidy.spend(grant_id, "100.00")
    grant = subsidy.grant(grant_id)
    fund = subsidy.fund(grant["fund_id"])
    queries = {
        "usage": supervision.get_usage_report(
            subsidy.ctx(AUDITOR), load(contract.UsageQuery(), {"by": "station"})),
        "slow": supervision.list_slow_spenders(
            subsidy.ctx(AUDITOR, config={}), load(contract.SlowSpendingQuery(), {})),
        "entries": supervision.list_ledger_entries(
            subsidy.ctx(AUDITOR), load(contract.LedgerQuery(), {"grant_id": grant_id})),
    }
    answers = [
        (contract.Grant(), grant), (contract.Fund(), fund), (contract.Disbursement(), paid),
        (contract.Expenditure(), item), (contract.LedgerCheck(), subsidy.check()),
        (contract.UsageReport(), queries["usage"]), (contract.SlowSpending(), queries["slow"]),
        (contract.LedgerEntry(many=True), queries["entries"]["items"]),
        (contract.StationUsage(many=True), queries["usage"]["rows"]),
    ]
    for schema, answer in answers:
        assert schema.validate(answer) == {}, (type(schema).__name__, answer)
        assert schema.dump(answer) == answer, type(schema).__name__
    with pytest.raises(ValidationError, match="balances"):  # a missing field is caught
        contract.Grant().load({k: v for k, v in grant.items() if k != "balances"})


def test_a_revoke_that_overtakes_the_approval_is_kept(subsidy):  # servicekit.stations
    assert subsidy.revoke("st-9") == []
    subsidy.station("st-9", host_unit="unit-9")  # the approval arrives late: details only
    with subsidy.sessions() as session:
        station = session.get(Station, "st-9")
        assert (station.status, station.host_unit_id, station.revoked_on) == (
            "revoked", "unit-9", date(2026, 6, 15))
    [late] = subsidy.select("st-9")
    assert subsidy.grant(late)["status"] == "declined"
