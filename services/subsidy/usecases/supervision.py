"""Supervision (R13.1): use of the money per station, fund or category, slow spending, the
ledger's postings and its check."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from contracts.rpc import subsidy as contract
from servicekit.auth import Principal
from servicekit.context import Context
from servicekit.paging import page, paginate
from services.subsidy import domain, ledger
from services.subsidy.domain import CATEGORIES, ExpenditureStatus, Figures, GrantStatus
from services.subsidy.models import (
    Disbursement,
    Expenditure,
    Fund,
    Grant,
    LedgerAccount,
    LedgerEntry,
    LedgerLine,
)
from services.subsidy.usecases.funds import dump_funds, funds_in_sight
from services.subsidy.usecases.permissions import (
    LEDGER_READERS,
    require_fund_reader,
    require_grant_reader,
    require_own_filter,
    scope_grants,
)
from services.subsidy.usecases.shared import load_fund, load_grant, station_of, stations_by_id

# Defaults (R13.1): a grant spends slowly when less than this share of what was paid out is
# spent this long after the first tranche. Configurable per deployment.
SLOW_BELOW_PERCENT = 50
SLOW_AFTER_DAYS = 180

_USAGE = contract.UsageReport()
_STATION_ROWS = contract.StationUsage(many=True)
_CATEGORY_ROWS = contract.CategoryUsage(many=True)
_SLOW = contract.SlowSpending()
_ENTRIES = contract.LedgerEntry(many=True)
_CHECK = contract.LedgerCheck()


def _grant_scope(principal: Principal, data: dict[str, Any]) -> Select:
    """The ids of the grants a report covers: in the principal's sight and the filters."""
    require_own_filter(principal, data.get("district"))
    query = scope_grants(principal, select(Grant.id))
    if data.get("district") is not None:
        query = query.where(Grant.district == data["district"])
    if data.get("fiscal_year") is not None:
        query = query.join(Fund, Fund.id == Grant.fund_id).where(
            Fund.fiscal_year == data["fiscal_year"])
    return query


def _percent(basis_points: int) -> str:
    return f"{basis_points // 100}.{basis_points % 100:02d}"


def _by_fund(ctx: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    query = funds_in_sight(ctx.principal, data).order_by(Fund.fiscal_year, Fund.district)
    return dump_funds(ctx.uow, list(ctx.uow.session.scalars(query)))


def _by_station(ctx: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    session = ctx.uow.session
    scope = _grant_scope(ctx.principal, data).subquery()
    sums = session.execute(
        select(Grant.station_id, LedgerAccount.kind, func.sum(LedgerLine.amount_fen))
        .join(LedgerLine, LedgerLine.grant_id == Grant.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .where(Grant.id.in_(select(scope.c.id)))
        .group_by(Grant.station_id, LedgerAccount.kind)
    ).all()
    granted = session.execute(
        select(Grant.station_id, Grant.district, func.count(),
               func.coalesce(func.sum(Grant.amount_fen), 0))
        .where(Grant.id.in_(select(scope.c.id)), Grant.amount_fen.is_not(None))
        .group_by(Grant.station_id, Grant.district)
    ).all()
    normal: dict[str, dict[domain.Account, int]] = {}
    for station_id, kind, total in sums:
        account = domain.Account(kind)
        normal.setdefault(station_id, {})[account] = domain.normal_balance(account, int(total))
    stations = stations_by_id(ctx.uow, {row[0] for row in granted})
    rows = []
    for station_id, district, count, amount in sorted(granted):
        figures = Figures.of(normal.get(station_id, {}))
        station = stations.get(station_id)
        paid = figures.advanced + figures.spent
        rows.append(contract.Source(
            figures, station_id=station_id, station_name=station.name if station else None,
            plaque_number=station.plaque_number if station else None, district=district,
            grants=int(count), granted=int(amount),
            share_spent_percent=_percent(domain.share_spent_basis_points(figures.spent, paid))))
    return _STATION_ROWS.dump(rows)


def _by_category(ctx: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    scope = _grant_scope(ctx.principal, data).subquery()
    totals = {
        category: (int(count), int(amount))
        for category, count, amount in ctx.uow.session.execute(
            select(Expenditure.category, func.count(), func.sum(Expenditure.amount_fen))
            .where(Expenditure.grant_id.in_(select(scope.c.id)),
                   Expenditure.status != ExpenditureStatus.DISALLOWED)
            .group_by(Expenditure.category)
        )
    }
    return _CATEGORY_ROWS.dump([
        {"category": category, "name_en": en, "name_zh": zh,
         "items": totals.get(category, (0, 0))[0], "spent": totals.get(category, (0, 0))[1]}
        for category, (en, zh) in CATEGORIES.items()
    ])


_USAGE_BY = {"fund": _by_fund, "station": _by_station, "category": _by_category}


# Queries -------------------------------------------------------------------------------------


def get_usage_report(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Use of the money per station, per fund or per spending category."""
    with ctx.uow:
        rows = _USAGE_BY[data["by"]](ctx, data)
        return _USAGE.dump({**data, "rows": rows})


def list_slow_spenders(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """R13.1: open grants that spent less than a share of what they were paid, a given time
    after their first tranche (defaults from ``ctx.config``)."""
    below = data["below_percent"] or int(ctx.config.get("SUBSIDY_SLOW_BELOW_PERCENT",
                                                        SLOW_BELOW_PERCENT))
    after_days = data["after_days"] or int(ctx.config.get("SUBSIDY_SLOW_AFTER_DAYS",
                                                          SLOW_AFTER_DAYS))
    today = ctx.today()
    uow = ctx.uow
    with uow:
        scope = _grant_scope(ctx.principal, data).subquery()
        first = (
            select(Disbursement.grant_id, func.min(Disbursement.paid_on).label("first_paid_on"))
            .group_by(Disbursement.grant_id)
            .subquery()
        )
        open_paid = (
            select(Grant, first.c.first_paid_on)
            .join(first, first.c.grant_id == Grant.id)
            .where(Grant.id.in_(select(scope.c.id)), Grant.status == GrantStatus.APPROVED)
            .order_by(Grant.id)
        )
        grants = uow.session.execute(open_paid).all()
        figures = ledger.figures_by_grant(uow.session, select(open_paid.subquery().c.id))
        stations = stations_by_id(uow, {g.station_id for g, _ in grants})
        rows = []
        for grant, first_paid_on in grants:
            f = figures.get(grant.id, Figures.of({}))
            paid = f.advanced + f.spent
            if not domain.spends_slowly(first_paid_on, paid, f.spent, today, below,
                                        after_days):
                continue
            station = stations.get(grant.station_id)
            rows.append(contract.Source(
                grant, grant_id=grant.id, station_name=station.name if station else None,
                first_paid_on=first_paid_on, disbursed=paid, spent=f.spent, unspent=f.advanced,
                share_spent_percent=_percent(domain.share_spent_basis_points(f.spent, paid))))
        return _SLOW.dump({"as_of": today, "below_percent": below, "after_days": after_days,
                           "rows": rows})


def list_ledger_entries(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Postings with their lines, each with the person and the document behind it."""
    uow, principal = ctx.uow, ctx.principal
    with uow:
        query = select(LedgerEntry).order_by(LedgerEntry.id)
        if data["grant_id"] is not None:
            grant = load_grant(uow, data["grant_id"])
            require_grant_reader(principal, grant, station_of(uow, grant.station_id))
            query = query.where(LedgerEntry.grant_id == grant.id)
        elif data["fund_id"] is not None:
            fund = load_fund(uow, data["fund_id"])
            require_fund_reader(principal, fund.district)
            query = query.where(LedgerEntry.fund_id == fund.id)
        else:
            principal.require(*LEDGER_READERS)
        entries, total = paginate(uow.session, query, data["limit"], data["offset"])
        lines: dict[int, list[dict[str, Any]]] = {}
        if entries:
            for entry_id, kind, grant_id, amount in uow.session.execute(
                select(LedgerLine.entry_id, LedgerAccount.kind, LedgerLine.grant_id,
                       LedgerLine.amount_fen)
                .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
                .where(LedgerLine.entry_id.in_([e.id for e in entries]))
                .order_by(LedgerLine.id)
            ):
                lines.setdefault(entry_id, []).append(
                    {"account": kind, "grant_id": grant_id,
                     "debit": amount if amount > 0 else None,
                     "credit": -amount if amount < 0 else None})
        items = _ENTRIES.dump([contract.Source(e, lines=lines.get(e.id, [])) for e in entries])
        return page(items, total, data["limit"], data["offset"])


def check_ledger(ctx: Context) -> dict[str, Any]:
    """The ledger recomputed from its lines (city staff and the auditor)."""
    with ctx.uow:
        ctx.principal.require(*LEDGER_READERS)
        return _CHECK.dump(ledger.check(ctx.uow.session))
