"""Tranches: payments of an approved grant, each with its bank reference, never beyond the
grant; a retried payment (the same idempotency key) is answered, not paid again."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from contracts.rpc import subsidy as contract
from servicekit import idempotency
from servicekit.context import Context
from services.subsidy import domain, ledger
from services.subsidy.domain import GrantStatus
from services.subsidy.models import Disbursement, IdempotencyKey
from services.subsidy.usecases.permissions import (
    require_grant_reader,
    require_here,
    require_manager,
)
from services.subsidy.usecases.shared import (
    load_grant,
    paid_on,
    require_free_reference,
    station_of,
)

OPERATION = "disburse_grant"
_DISBURSEMENT = contract.Disbursement()
_DISBURSEMENTS = contract.Disbursement(many=True)


# Commands ------------------------------------------------------------------------------------


def disburse_grant(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A tranche of an approved grant, with its payment reference; never beyond the grant.
    A retry with the same idempotency key answers the first payment and pays nothing."""
    uow, key = ctx.uow, data["idempotency_key"]
    fingerprint = idempotency.request_fingerprint(OPERATION, ctx.principal.actor, data)
    with uow:
        # Payments of one grant queue on its row (PostgreSQL), so a concurrent retry finds
        # the first one's key once it may look.
        grant = load_grant(uow, data["grant_id"], lock=True)
        require_here(ctx, grant.owner)
        require_manager(ctx.principal, grant.owner)
        replayed = idempotency.replay(uow.session, IdempotencyKey, key, OPERATION, fingerprint)
        if replayed is not None:
            return replayed
        domain.require_grant_status(grant.status, (GrantStatus.APPROVED,), "paid")
        day = paid_on(ctx, data["paid_on"])
        require_free_reference(uow, data["payment_reference"])
        paid, tranches = uow.session.execute(
            select(func.coalesce(func.sum(Disbursement.amount_fen), 0), func.count())
            .where(Disbursement.grant_id == grant.id)
        ).one()
        domain.check_tranche(grant.amount_fen or 0, int(paid), data["amount"])
        entry = ledger.post(uow, ctx.clock, grant.fund_id or "", grant.id,
                            domain.disbursement_posting(data["amount"]),
                            data["payment_reference"], f"tranche {tranches + 1}")
        payment = Disbursement(
            id=str(uuid.uuid4()), grant_id=grant.id, tranche=tranches + 1,
            amount_fen=data["amount"], payment_reference=data["payment_reference"],
            paid_on=day, entry_id=entry.id, created_by=uow.actor, created_at=ctx.now())
        uow.session.add(payment)
        answer = _DISBURSEMENT.dump(payment)
        idempotency.remember(uow.session, IdempotencyKey, key, OPERATION, fingerprint,
                             uow.actor, answer, ctx.now())
        uow.audit("grant.disburse", "disbursement", payment.id, None, answer)
        uow.add_event("grant_disbursed", {
            "grant_id": grant.id, "disbursement_id": payment.id, "station_id": grant.station_id,
            "amount_fen": data["amount"], "payment_reference": data["payment_reference"],
        }, aggregate_id=grant.id)
        try:
            uow.commit()
        except IntegrityError:
            # A concurrent retry with the same key (or the same payment) committed first.
            uow.rollback()
            replayed = idempotency.replay(uow.session, IdempotencyKey, key, OPERATION,
                                          fingerprint)
            if replayed is not None:
                return replayed
            require_free_reference(uow, data["payment_reference"])
            raise
        return answer


# Queries -------------------------------------------------------------------------------------


def list_disbursements(ctx: Context, grant_id: str) -> list[dict[str, Any]]:
    """The grant's tranches."""
    uow = ctx.uow
    with uow:
        grant = load_grant(uow, grant_id)
        require_grant_reader(ctx.principal, grant, station_of(uow, grant.station_id))
        rows = uow.session.scalars(
            select(Disbursement).where(Disbursement.grant_id == grant_id)
            .order_by(Disbursement.tranche))
        return _DISBURSEMENTS.dump(rows)
