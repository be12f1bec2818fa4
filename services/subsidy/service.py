"""Nameko entrypoints of the subsidy service: parse, call a use case, return."""

from __future__ import annotations

from typing import Any

from contracts.rpc import subsidy as contract
from servicekit.attachments import JPEG, PDF, PNG, AttachmentStore
from servicekit.base import KitService, rpc
from servicekit.context import Context
from servicekit.db import Database
from servicekit.envelope import Envelope
from servicekit.handlers import event_handler
from servicekit.validation import load
from services.subsidy.usecases import (
    disbursements,
    expenditures,
    funds,
    grants,
    repayments,
    stations,
    supervision,
)

# Evidence of spending: documents and photographs (R9.3 reviews read them).
EVIDENCE_TYPES = (PDF, JPEG, PNG)


class SubsidyService(KitService):
    name = "subsidy"
    db = Database("services.subsidy:migrations")

    def _with_store(self) -> Context:
        store = AttachmentStore.for_service(self.config, self.name, allowed=EVIDENCE_TYPES)
        return self.context(store=store)

    # --- events -----------------------------------------------------------------------------

    @event_handler("applications", "station_approved")
    def on_station_approved(self, event: Envelope) -> None:
        stations.record_station(self.context(), event.payload)

    @event_handler("applications", "station_revoked")
    def on_station_revoked(self, event: Envelope) -> None:
        stations.revoke_station(self.context(), event.payload, event.id)

    @event_handler("evaluation", "demonstration_selected")
    def on_demonstration_selected(self, event: Envelope) -> None:
        grants.propose_from_selection(self.context(), event.payload)

    # --- funds ------------------------------------------------------------------------------

    @rpc
    def set_fund_budget(self, request: dict) -> dict:
        return funds.set_fund_budget(self.context(), load(contract.SetFundBudget(), request))

    @rpc
    def get_fund(self, request: dict) -> dict:
        data = load(contract.FundRef(), request)
        return funds.get_fund(self.context(), data["fund_id"])

    @rpc
    def list_funds(self, request: dict) -> dict:
        return funds.list_funds(self.context(), load(contract.ListFunds(), request))

    # --- grants -----------------------------------------------------------------------------

    @rpc
    def propose_grant(self, request: dict) -> dict:
        return grants.propose_grant(self.context(), load(contract.ProposeGrant(), request))

    @rpc
    def approve_grant(self, request: dict) -> dict:
        return grants.approve_grant(self.context(), load(contract.ApproveGrant(), request))

    @rpc
    def decline_grant(self, request: dict) -> dict:
        return grants.decline_grant(self.context(), load(contract.DeclineGrant(), request))

    @rpc
    def get_grant(self, request: dict) -> dict:
        data = load(contract.GrantRef(), request)
        return grants.get_grant(self.context(), data["grant_id"])

    @rpc
    def get_grant_balance(self, request: dict) -> dict:
        data = load(contract.GrantRef(), request)
        return grants.get_grant_balance(self.context(), data["grant_id"])

    @rpc
    def list_grants(self, request: dict) -> dict:
        return grants.list_grants(self.context(), load(contract.ListGrants(), request))

    # --- tranches and repayments ------------------------------------------------------------

    @rpc
    def disburse_grant(self, request: dict) -> dict:
        data = load(contract.DisburseGrant(), request)
        return disbursements.disburse_grant(self.context(), data)

    @rpc
    def list_disbursements(self, request: dict) -> list[dict[str, Any]]:
        data = load(contract.GrantRef(), request)
        return disbursements.list_disbursements(self.context(), data["grant_id"])

    @rpc
    def settle_receivable(self, request: dict) -> dict:
        data = load(contract.SettleReceivable(), request)
        return repayments.settle_receivable(self.context(), data)

    # --- expenditures -----------------------------------------------------------------------

    @rpc
    def record_expenditure(self, request: dict) -> dict:
        data = load(contract.RecordExpenditure(), request)
        return expenditures.record_expenditure(self._with_store(), data)

    @rpc
    def review_expenditure(self, request: dict) -> dict:
        data = load(contract.ReviewExpenditure(), request)
        return expenditures.review_expenditure(self.context(), data)

    @rpc
    def answer_query(self, request: dict) -> dict:
        data = load(contract.AnswerQuery(), request)
        return expenditures.answer_query(self._with_store(), data)

    @rpc
    def list_expenditures(self, request: dict) -> dict:
        data = load(contract.ListExpenditures(), request)
        return expenditures.list_expenditures(self.context(), data)

    @rpc
    def get_attachment(self, request: dict) -> dict:
        data = load(contract.AttachmentRef(), request)
        return expenditures.get_attachment(self._with_store(), data)

    # --- supervision (R13.1) ----------------------------------------------------------------

    @rpc
    def get_usage_report(self, request: dict) -> dict:
        data = load(contract.UsageQuery(), request)
        return supervision.get_usage_report(self.context(), data)

    @rpc
    def list_slow_spenders(self, request: dict) -> dict:
        data = load(contract.SlowSpendingQuery(), request)
        return supervision.list_slow_spenders(self.context(config=self.config), data)

    @rpc
    def list_ledger_entries(self, request: dict) -> dict:
        data = load(contract.LedgerQuery(), request)
        return supervision.list_ledger_entries(self.context(), data)

    @rpc
    def check_ledger(self) -> dict:
        return supervision.check_ledger(self.context())
