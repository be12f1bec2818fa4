"""Nameko entrypoints of the subsidy service: parse, call a use case, return."""

from __future__ import annotations

from servicekit.attachments import JPEG, PDF, PNG, AttachmentStore
from servicekit.base import KitService, rpc
from servicekit.db import Database
from servicekit.envelope import Envelope
from servicekit.handlers import event_handler
from servicekit.validation import load
from services.subsidy import schemas, usecases

# Evidence of spending: documents and photographs (R9.3 reviews read them).
EVIDENCE_TYPES = (PDF, JPEG, PNG)

class SubsidyService(KitService):
    name = "subsidy"
    db = Database("services.subsidy:migrations")

    def _store(self) -> AttachmentStore:
        return AttachmentStore.for_service(self.config, self.name, allowed=EVIDENCE_TYPES)

    # --- events -----------------------------------------------------------------------------

    @event_handler("applications", "station_approved")
    def on_station_approved(self, event: Envelope) -> None:
        usecases.record_station(self.db, self.clock, event.payload)

    @event_handler("applications", "station_revoked")
    def on_station_revoked(self, event: Envelope) -> None:
        usecases.revoke_station(self.db, self.clock, event.payload, event.id)

    @event_handler("evaluation", "demonstration_selected")
    def on_demonstration_selected(self, event: Envelope) -> None:
        usecases.propose_from_selection(self.db, self.clock, event.payload)

    # --- funds ------------------------------------------------------------------------------

    @rpc
    def fund_set_budget(self, request: dict) -> dict:
        data = load(schemas.SetBudget(), request)
        return usecases.set_budget(self.db, self.caller, self.clock, data)

    @rpc
    def fund_get(self, request: dict) -> dict:
        data = load(schemas.FundRef(), request)
        return usecases.get_fund(self.db, self.caller, data["fund_id"])

    @rpc
    def fund_list(self, request: dict) -> dict:
        return usecases.list_funds(self.db, self.caller, load(schemas.FundList(), request))

    # --- grants -----------------------------------------------------------------------------

    @rpc
    def grant_propose(self, request: dict) -> dict:
        data = load(schemas.ProposeGrant(), request)
        return usecases.propose_district_grant(self.db, self.caller, self.clock, data)

    @rpc
    def grant_approve(self, request: dict) -> dict:
        data = load(schemas.ApproveGrant(), request)
        return usecases.approve_grant(self.db, self.caller, self.clock, data)

    @rpc
    def grant_decline(self, request: dict) -> dict:
        data = load(schemas.DeclineGrant(), request)
        return usecases.decline_grant(self.db, self.caller, self.clock, data)

    @rpc
    def grant_get(self, request: dict) -> dict:
        data = load(schemas.GrantRef(), request)
        return usecases.get_grant(self.db, self.caller, data["grant_id"])

    @rpc
    def grant_balance(self, request: dict) -> dict:
        data = load(schemas.GrantRef(), request)
        return usecases.grant_balance(self.db, self.caller, data["grant_id"])

    @rpc
    def grant_list(self, request: dict) -> dict:
        return usecases.list_grants(self.db, self.caller, load(schemas.GrantList(), request))

    @rpc
    def grant_disburse(self, request: dict) -> dict:
        data = load(schemas.Disburse(), request)
        return usecases.disburse(self.db, self.caller, self.clock, data)

    @rpc
    def disbursement_list(self, request: dict) -> list[dict]:
        data = load(schemas.GrantRef(), request)
        return usecases.list_disbursements(self.db, self.caller, data["grant_id"])

    @rpc
    def receivable_settle(self, request: dict) -> dict:
        data = load(schemas.SettleReceivable(), request)
        return usecases.settle_receivable(self.db, self.caller, self.clock, data)

    # --- expenditures -----------------------------------------------------------------------

    @rpc
    def expenditure_record(self, request: dict) -> dict:
        data = load(schemas.RecordExpenditure(), request)
        return usecases.record_expenditure(self.db, self.caller, self.clock, self._store(), data)

    @rpc
    def expenditure_review(self, request: dict) -> dict:
        data = load(schemas.ReviewExpenditure(), request)
        return usecases.review_expenditure(self.db, self.caller, self.clock, data)

    @rpc
    def expenditure_answer(self, request: dict) -> dict:
        data = load(schemas.AnswerQuery(), request)
        return usecases.answer_query(self.db, self.caller, self.clock, self._store(), data)

    @rpc
    def expenditure_list(self, request: dict) -> dict:
        data = load(schemas.ExpenditureList(), request)
        return usecases.list_expenditures(self.db, self.caller, data)

    @rpc
    def attachment_get(self, request: dict) -> dict:
        data = load(schemas.AttachmentRef(), request)
        return usecases.get_attachment(self.db, self.caller, self._store(), data)

    # --- supervision (R13.1) ----------------------------------------------------------------

    @rpc
    def usage_report(self, request: dict) -> dict:
        return usecases.usage_report(self.db, self.caller, load(schemas.UsageReport(), request))

    @rpc
    def slow_spenders(self, request: dict) -> dict:
        data = load(schemas.SlowSpenders(), request)
        return usecases.slow_spenders(self.db, self.caller, self.clock, self.config, data)

    @rpc
    def ledger_entries(self, request: dict) -> dict:
        data = load(schemas.LedgerQuery(), request)
        return usecases.ledger_entries(self.db, self.caller, data)

    @rpc
    def ledger_check(self) -> dict:
        return usecases.ledger_check(self.db, self.caller)
