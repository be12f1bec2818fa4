"""Clawback: a revoked station's grants close (Art 17, R13.1): what was never paid goes back
to its fund, what was paid and not spent is a receivable, and repayments settle it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from contracts.rpc import subsidy as contract
from servicekit.context import Context
from servicekit.money import fen_to_yuan
from services.subsidy import domain, ledger
from services.subsidy.domain import GrantStatus
from services.subsidy.models import Grant, Repayment
from services.subsidy.usecases.permissions import require_here, require_manager
from services.subsidy.usecases.shared import load_grant, paid_on, require_free_reference

_SETTLEMENT = contract.Settlement()


def _close(ctx: Context, grant: Grant, reason: str, document: str) -> None:
    uow = ctx.uow
    before = {"status": grant.status}
    clawed_back = 0
    if grant.status == GrantStatus.APPROVED and grant.fund_id is not None:
        figures = ledger.grant_figures(uow.session, grant.id)
        for posting in domain.closing_postings(figures):
            ledger.post(uow, ctx.clock, grant.fund_id, grant.id, posting, document, reason)
        clawed_back = figures.advanced
    grant.status = GrantStatus.CLOSED
    grant.closed_at = ctx.now()
    grant.close_reason = reason
    uow.audit("grant.close", "grant", grant.id, before,
              {"status": grant.status, "reason": reason, "receivable": fen_to_yuan(clawed_back)})
    if clawed_back:
        uow.add_event("clawback_raised", {"grant_id": grant.id, "station_id": grant.station_id,
                                          "amount_fen": clawed_back, "reason": reason},
                      aggregate_id=grant.id)


# Commands ------------------------------------------------------------------------------------


def close_grants_of(ctx: Context, station_id: str, reason: str, document: str) -> list[str]:
    """Close every open grant of a station, in the caller's unit of work."""
    grants = ctx.uow.session.scalars(
        select(Grant)
        .where(Grant.station_id == station_id,
               Grant.status.in_((GrantStatus.PROPOSED, GrantStatus.APPROVED)))
        .order_by(Grant.id)
        .with_for_update()
    ).all()
    for grant in grants:
        _close(ctx, grant, reason, document)
    return [g.id for g in grants]


def settle_receivable(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Money a revoked station paid back goes back to the fund's available balance."""
    uow = ctx.uow
    with uow:
        grant = load_grant(uow, data["grant_id"], lock=True)
        require_here(ctx, grant.owner)
        require_manager(ctx.principal, grant.owner)
        day = paid_on(ctx, data["paid_on"])
        require_free_reference(uow, data["payment_reference"])
        domain.check_repayment(ledger.grant_figures(uow.session, grant.id).receivable,
                               data["amount"])
        entry = ledger.post(uow, ctx.clock, grant.fund_id or "", grant.id,
                            domain.repayment_posting(data["amount"]), data["payment_reference"],
                            "repayment of the clawback")
        repayment = Repayment(
            id=str(uuid.uuid4()), grant_id=grant.id, amount_fen=data["amount"],
            payment_reference=data["payment_reference"], paid_on=day, entry_id=entry.id,
            created_by=uow.actor, created_at=ctx.now())
        uow.session.add(repayment)
        answer = _SETTLEMENT.dump(contract.Source(
            repayment, receivable=ledger.grant_figures(uow.session, grant.id).receivable))
        uow.audit("grant.settle_receivable", "repayment", repayment.id, None, answer)
        uow.commit()
        return answer
