"""Loading the subsidy's records, shared by the aggregates' modules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import Conflict, NotFound
from services.subsidy import domain
from services.subsidy.models import Disbursement, Expenditure, Fund, Grant, Repayment, Station

_NAMES_ZH = {"grant": "资助", "fund": "资金", "expenditure": "支出", "station": "驿站"}


def not_found(kind: str, key: str) -> NotFound:
    return NotFound(
        f"{kind}.not_found",
        f"There is no {kind} {key}.",
        f"{_NAMES_ZH.get(kind, kind)} {key} 不存在。",
        {f"{kind}_id": key},
    )


def load_grant(uow: UnitOfWork, grant_id: str, lock: bool = False) -> Grant:
    query = select(Grant).where(Grant.id == grant_id)
    if lock:
        query = query.with_for_update()
    grant = uow.session.scalars(query).first()
    if grant is None:
        raise not_found("grant", grant_id)
    return grant


def load_fund(uow: UnitOfWork, fund_id: str) -> Fund:
    fund = uow.session.get(Fund, fund_id)
    if fund is None:
        raise not_found("fund", fund_id)
    return fund


def load_expenditure(uow: UnitOfWork, expenditure_id: str, grant_id: str | None,
                     lock: bool = True) -> Expenditure:
    query = select(Expenditure).where(Expenditure.id == expenditure_id)
    if lock:
        query = query.with_for_update()
    expenditure = uow.session.scalars(query).first()
    if expenditure is None or grant_id not in (None, expenditure.grant_id):
        raise not_found("expenditure", expenditure_id)
    return expenditure


def station_of(uow: UnitOfWork, station_id: str) -> Station | None:
    return uow.session.get(Station, station_id)


def stations_by_id(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, Station]:
    ids = list(ids)
    if not ids:
        return {}
    return {s.id: s for s in uow.session.scalars(select(Station).where(Station.id.in_(ids)))}


def fund_of_year(uow: UnitOfWork, owner: str, year: int) -> Fund | None:
    return uow.session.scalars(
        select(Fund).where(Fund.district == owner, Fund.fiscal_year == year)
    ).first()


def paid_on(ctx: Context, day: date | None) -> date:
    """The day of a payment: today if not given, never in the future."""
    today = ctx.today()
    day = day or today
    domain.check_not_future(day, today, "paid_on")
    return day


def require_free_reference(uow: UnitOfWork, reference: str) -> None:
    """One payment (a tranche or a repayment) is recorded once."""
    for table in (Disbursement, Repayment):
        used = uow.session.scalars(
            select(table.id).where(table.payment_reference == reference)
        ).first()
        if used is not None:
            raise Conflict(
                "payment.duplicate_reference",
                f"Payment reference {reference} is already recorded; one payment is "
                "recorded once.",
                f"支付流水号 {reference} 已登记，同一笔支付只能登记一次。",
                {"field": "payment_reference", "value": reference},
            )
