"""Grants: construction grants and provincial rewards proposed by a demonstration selection
(R9.1, R9.2), a district's own grants (Art 14), their approval and decline."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from contracts.rpc import subsidy as contract
from servicekit.context import Context
from servicekit.errors import NotFound
from servicekit.money import fen_to_yuan
from servicekit.paging import page, paginate
from servicekit.tenants import CITY
from services.subsidy import domain, ledger
from services.subsidy.domain import Figures, GrantStatus
from services.subsidy.models import Disbursement, Fund, Grant, Repayment, Station
from services.subsidy.usecases.permissions import (
    require_grant_reader,
    require_here,
    require_manager,
    require_own_filter,
    scope_grants,
)
from services.subsidy.usecases.shared import (
    fund_of_year,
    load_grant,
    not_found,
    station_of,
    stations_by_id,
)

_GRANT = contract.Grant(exclude=("disbursements", "repayments"))
_GRANTS = contract.Grant(many=True, exclude=("disbursements", "repayments"))
_WITH_PAYMENTS = contract.Grant()
_BALANCE = contract.GrantBalance()


def grant_source(grant: Grant, station: Station | None, figures: Figures,
                 **values: Any) -> contract.Source:
    """A grant with its station's name and its balances, as the Grant answer reads it."""
    return contract.Source(grant, station_name=station.name if station else None,
                           host_unit_id=station.host_unit_id if station else None,
                           balances=figures, **values)


# Commands ------------------------------------------------------------------------------------


def propose_from_selection(ctx: Context, payload: dict[str, Any]) -> list[str]:
    """evaluation.demonstration_selected (R9.1, R9.2): a proposed construction grant and, for
    a provincial demonstration station, a separate extra-reward grant whose amount the city
    sets when it approves. A selection makes its grants once, however often it arrives."""
    uow = ctx.uow
    with uow:
        if not ctx.tenant.is_city:
            uow.commit()  # construction grants are the city fund's, kept by the city instance
            return []
        existing = uow.session.scalars(
            select(Grant.id).where(Grant.selection_id == payload["selection_id"])
        ).all()
        if existing:
            uow.commit()
            return list(existing)
        station = station_of(uow, payload["station_id"])
        revoked = station is not None and station.status == "revoked"
        kinds: list[tuple[str, int | None]] = [("construction", payload["proposed_subsidy_fen"])]
        if payload["provincial"]:
            kinds.append(("provincial_reward", None))
        grants = [
            Grant(
                id=str(uuid.uuid4()), kind=kind, station_id=payload["station_id"],
                district=payload["district"], owner=CITY, selection_id=payload["selection_id"],
                cycle_id=payload["cycle_id"], proposed_fen=amount, proposed_by=uow.actor,
                proposed_at=ctx.now(),
                status=GrantStatus.DECLINED if revoked else GrantStatus.PROPOSED,
                decline_reason="the station had lost its title when it was proposed"
                if revoked else None,
            )
            for kind, amount in kinds
        ]
        uow.session.add_all(grants)
        try:
            uow.session.flush()
        except IntegrityError:
            # The same selection under another event id committed its grants first: this
            # event is handled, with no second grant.
            uow.rollback()
            uow.commit()
            return []
        for grant in grants:
            uow.audit("grant.propose", "grant", grant.id, None,
                      {"kind": grant.kind, "station_id": grant.station_id,
                       "status": grant.status,
                       "proposed_amount": None if grant.proposed_fen is None
                       else fen_to_yuan(grant.proposed_fen),
                       "selection_id": payload["selection_id"]})
        uow.commit()
        return [g.id for g in grants]


def propose_grant(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Art 14: a district supports a station of its own jurisdiction from its own fund."""
    uow, principal = ctx.uow, ctx.principal
    with uow:
        principal.require("district_hr")
        station = station_of(uow, data["station_id"])
        if station is None:
            raise not_found("station", data["station_id"])
        principal.require_district(station.district or "")
        require_here(ctx, station.district or "")
        domain.require_station_not_revoked(station.status, station.id)
        domain.require_positive(data["amount"])
        grant = Grant(
            id=str(uuid.uuid4()), kind="district", status=GrantStatus.PROPOSED,
            station_id=station.id, district=station.district, owner=station.district,
            purpose=data["purpose"], proposed_fen=data["amount"], note=data["note"],
            proposed_by=uow.actor, proposed_at=ctx.now(),
        )
        uow.session.add(grant)
        uow.audit("grant.propose", "grant", grant.id, None,
                  {"kind": "district", "station_id": station.id,
                   "proposed_amount": fen_to_yuan(data["amount"]), "purpose": data["purpose"]})
        uow.commit()
        return _GRANT.dump(grant_source(grant, station, Figures.of({})))


def approve_grant(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R9.1: commits the amount on the fund of the fiscal year, never beyond what is
    available; the construction subsidy is 50,000–200,000 yuan and, for a demonstration
    selection, the amount confirmed jointly (R9.4). Approving twice is refused."""
    uow = ctx.uow
    with uow:
        grant = load_grant(uow, data["grant_id"], lock=True)
        require_here(ctx, grant.owner)
        require_manager(ctx.principal, grant.owner)
        domain.require_grant_status(grant.status, (GrantStatus.PROPOSED,), "approved")
        station = station_of(uow, grant.station_id)
        domain.require_station_not_revoked(station.status if station else None, grant.station_id)
        amount = domain.approval_amount(
            grant.kind, grant.proposed_fen, data["amount"],
            jointly_confirmed=grant.kind == "construction" and grant.selection_id is not None)
        year = data["fiscal_year"] or ctx.today().year
        fund = fund_of_year(uow, grant.owner, year)
        if fund is None:
            raise NotFound(
                "fund.not_found",
                f"There is no fund of {grant.owner} for {year}; set its budget first.",
                f"{grant.owner} 尚无 {year} 年度资金，请先设定预算。",
                {"district": grant.owner, "fiscal_year": year},
            )
        domain.check_commitment(ledger.fund_figures(uow.session, fund.id, lock=True).available,
                                amount, fund.id)
        entry = ledger.post(uow, ctx.clock, fund.id, grant.id, domain.commitment_posting(amount),
                            data["document"], f"{grant.kind} grant to station {grant.station_id}")
        grant.status = GrantStatus.APPROVED
        grant.amount_fen = amount
        grant.fund_id = fund.id
        grant.decided_by = uow.actor
        grant.decided_at = ctx.now()
        grant.decision_document = data["document"]
        uow.audit("grant.approve", "grant", grant.id, {"status": GrantStatus.PROPOSED},
                  {"status": grant.status, "amount": fen_to_yuan(amount), "fund_id": fund.id,
                   "document": data["document"], "entry_id": entry.id})
        uow.add_event("grant_approved", {"grant_id": grant.id, "station_id": grant.station_id,
                                         "kind": grant.kind, "fund_id": fund.id,
                                         "amount_fen": amount}, aggregate_id=grant.id)
        answer = _GRANT.dump(grant_source(grant, station,
                                          ledger.grant_figures(uow.session, grant.id)))
        uow.commit()
        return answer


def decline_grant(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    uow = ctx.uow
    with uow:
        grant = load_grant(uow, data["grant_id"], lock=True)
        require_here(ctx, grant.owner)
        require_manager(ctx.principal, grant.owner)
        domain.require_grant_status(grant.status, (GrantStatus.PROPOSED,), "declined")
        grant.status = GrantStatus.DECLINED
        grant.decline_reason = data["reason"]
        grant.decided_by = uow.actor
        grant.decided_at = ctx.now()
        uow.audit("grant.decline", "grant", grant.id, {"status": GrantStatus.PROPOSED},
                  {"status": grant.status, "reason": data["reason"]})
        answer = _GRANT.dump(grant_source(grant, station_of(uow, grant.station_id),
                                          Figures.of({})))
        uow.commit()
        return answer


# Queries -------------------------------------------------------------------------------------


def get_grant(ctx: Context, grant_id: str) -> dict[str, Any]:
    """A grant with its balances, tranches and repayments."""
    uow = ctx.uow
    with uow:
        grant = load_grant(uow, grant_id)
        station = station_of(uow, grant.station_id)
        require_grant_reader(ctx.principal, grant, station)
        disbursements = list(uow.session.scalars(
            select(Disbursement).where(Disbursement.grant_id == grant_id)
            .order_by(Disbursement.tranche)))
        repayments = list(uow.session.scalars(
            select(Repayment).where(Repayment.grant_id == grant_id)
            .order_by(Repayment.created_at)))
        return _WITH_PAYMENTS.dump(grant_source(
            grant, station, ledger.grant_figures(uow.session, grant_id),
            disbursements=disbursements, repayments=repayments))


def get_grant_balance(ctx: Context, grant_id: str) -> dict[str, Any]:
    """A grant's balances, from its lines in the ledger."""
    uow = ctx.uow
    with uow:
        grant = load_grant(uow, grant_id)
        require_grant_reader(ctx.principal, grant, station_of(uow, grant.station_id))
        figures = ledger.grant_figures(uow.session, grant_id)
        return _BALANCE.dump(contract.Source(figures, grant_id=grant_id,
                                             amount=grant.amount_fen))


def list_grants(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Grants in sight: all for the city, a district's stations', a host unit's own."""
    uow = ctx.uow
    with uow:
        require_own_filter(ctx.principal, data["district"])
        query = scope_grants(ctx.principal, select(Grant)).order_by(Grant.proposed_at.desc(),
                                                                     Grant.id)
        for column in ("status", "kind", "station_id", "district"):
            if data[column] is not None:
                query = query.where(getattr(Grant, column) == data[column])
        if data["fiscal_year"] is not None:
            query = query.join(Fund, Fund.id == Grant.fund_id).where(
                Fund.fiscal_year == data["fiscal_year"])
        grants, total = paginate(uow.session, query, data["limit"], data["offset"])
        figures = ledger.figures_by_grant(uow.session, (g.id for g in grants))
        stations = stations_by_id(uow, {g.station_id for g in grants})
        items = _GRANTS.dump([
            grant_source(g, stations.get(g.station_id), figures.get(g.id, Figures.of({})))
            for g in grants])
        return page(items, total, data["limit"], data["offset"])
