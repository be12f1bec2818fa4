"""Funds: the city talent work special fund and the districts' funds, a budget per year."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from contracts.rpc import subsidy as contract
from servicekit.auth import Principal
from servicekit.context import Context
from servicekit.db import UnitOfWork
from servicekit.errors import InvalidInput
from servicekit.money import fen_to_yuan
from servicekit.paging import page, paginate
from servicekit.tenants import CITY
from services.subsidy import domain, ledger
from services.subsidy.models import BudgetChange, Fund
from services.subsidy.usecases.permissions import (
    require_fund_reader,
    require_here,
    require_manager,
    require_own_filter,
)
from services.subsidy.usecases.shared import fund_of_year, load_fund

_FUND = contract.Fund(exclude=("budget_changes",))
_FUNDS = contract.Fund(many=True, exclude=("budget_changes",))
_WITH_HISTORY = contract.Fund()


_ART9_USES = {code: zh for code, (_, zh) in contract.ART9_CATEGORIES.items()}


def fund_source(uow: UnitOfWork, fund: Fund, **values: Any) -> contract.Source:
    """A fund with its figures from the ledger and its allowed uses, as the Fund answer reads
    it."""
    city = fund.district == CITY
    return contract.Source(fund, ledger.fund_figures(uow.session, fund.id),
                           kind="city_special" if city else "district",
                           allowed_uses=_ART9_USES if city else (fund.allowed_uses or {}),
                           **values)


def funds_in_sight(principal: Principal, data: dict[str, Any]) -> Select:
    """The funds a principal may read (R13.1: a district its own), filtered as asked."""
    require_own_filter(principal, data["district"])
    query = select(Fund)
    if not principal.reads_everything:
        require_fund_reader(principal, principal.district or "")
        query = query.where(Fund.district == principal.district)
    if data["fiscal_year"] is not None:
        query = query.where(Fund.fiscal_year == data["fiscal_year"])
    if data["district"] is not None:
        query = query.where(Fund.district == data["district"])
    return query


def dump_funds(uow: UnitOfWork, funds: list[Fund]) -> list[dict[str, Any]]:
    return _FUNDS.dump([fund_source(uow, f) for f in funds])


# Commands ------------------------------------------------------------------------------------


def set_fund_budget(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """A fund's budget for a fiscal year; each change is a ledger posting and a history row.
    A district fund also takes its own allowed uses (R14.1)."""
    uow = ctx.uow
    owner, year = data["district"], data["fiscal_year"]
    with uow:
        require_here(ctx, owner)
        require_manager(ctx.principal, owner)
        if owner == CITY and data["allowed_uses"] is not None:
            raise InvalidInput(
                "fund.city_uses_fixed",
                "The city talent fund's uses are those of Art 9; they are not configured "
                "(R9.3).",
                "市人才工作专项资金的用途由《办法》第九条规定，不可另行设定（R9.3）。",
                {"field": "allowed_uses", "rule": "R9.3"},
            )
        fund = fund_of_year(uow, owner, year)
        if fund is None:
            fund = Fund(id=str(uuid.uuid4()), district=owner, fiscal_year=year,
                        created_by=uow.actor, created_at=ctx.now())
            uow.session.add(fund)
            uow.session.flush()
            ledger.open_accounts(uow.session, fund.id)
        uses_before = fund.allowed_uses
        if data["allowed_uses"] is not None:
            fund.allowed_uses = dict(data["allowed_uses"])
        before = ledger.fund_figures(uow.session, fund.id, lock=True)
        delta = domain.budget_delta(before, data["budget"])
        entry = ledger.post(uow, ctx.clock, fund.id, None, domain.budget_posting(delta),
                            data["document"], f"budget {year} set to {fen_to_yuan(data['budget'])}")
        uow.session.add(BudgetChange(
            fund_id=fund.id, before_fen=before.budget, after_fen=data["budget"],
            document=data["document"], note=data["note"], entry_id=entry.id, actor=uow.actor,
            at=ctx.now()))
        answer = _FUND.dump(fund_source(uow, fund))
        uow.audit("fund.set_budget", "fund", fund.id,
                  {"budget": fen_to_yuan(before.budget), "allowed_uses": uses_before},
                  {"budget": answer["budget"], "document": data["document"],
                   "entry_id": entry.id, "allowed_uses": fund.allowed_uses})
        uow.commit()
        return answer


# Queries -------------------------------------------------------------------------------------


def get_fund(ctx: Context, fund_id: str) -> dict[str, Any]:
    """A fund's figures and the history of its budget."""
    uow = ctx.uow
    with uow:
        fund = load_fund(uow, fund_id)
        require_fund_reader(ctx.principal, fund.district)
        changes = list(uow.session.scalars(
            select(BudgetChange).where(BudgetChange.fund_id == fund_id).order_by(BudgetChange.id)
        ))
        return _WITH_HISTORY.dump(fund_source(uow, fund, budget_changes=changes))


def list_funds(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    uow = ctx.uow
    with uow:
        query = funds_in_sight(ctx.principal, data).order_by(Fund.fiscal_year.desc(),
                                                               Fund.district)
        funds, total = paginate(uow.session, query, data["limit"], data["offset"])
        return page(dump_funds(uow, funds), total, data["limit"], data["offset"])
