"""The double-entry ledger in the database: posting balanced entries and reading balances.

Every fund has the six accounts of ``domain.Account``. A line on a grant-level account also
carries its grant, so a grant's balances are the sums of its own few lines (the subsidiary
ledger) while a fund's are its account rows' running balances.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, insert, select, update
from sqlalchemy.orm import Session

from servicekit.clock import Clock
from servicekit.db import UnitOfWork
from services.subsidy import domain
from services.subsidy.domain import FUND_ACCOUNTS, GRANT_ACCOUNTS, Account, Figures, Posting
from services.subsidy.models import LedgerAccount, LedgerEntry, LedgerLine


def open_accounts(session: Session, fund_id: str) -> None:
    """The chart of accounts of a new fund, all at zero."""
    session.execute(
        insert(LedgerAccount),
        [{"fund_id": fund_id, "kind": str(kind), "balance_fen": 0} for kind in Account],
    )


def _accounts(session: Session, fund_id: str, lock: bool) -> dict[Account, LedgerAccount]:
    query = select(LedgerAccount).where(LedgerAccount.fund_id == fund_id)
    if lock:
        # PostgreSQL: concurrent postings to one fund queue here (ordered by id, so no
        # deadlock); SQLite serialises writers anyway.
        query = query.order_by(LedgerAccount.id).with_for_update()
    return {Account(a.kind): a for a in session.scalars(query)}


def fund_figures(session: Session, fund_id: str, lock: bool = False) -> Figures:
    accounts = _accounts(session, fund_id, lock)
    return Figures.of({k: domain.normal_balance(k, a.balance_fen) for k, a in accounts.items()})


def grant_normal_balances(session: Session, grant_id: str) -> dict[Account, int]:
    query = (
        select(LedgerAccount.kind, func.sum(LedgerLine.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .where(LedgerLine.grant_id == grant_id)
        .group_by(LedgerAccount.kind)
    )
    return {
        Account(kind): domain.normal_balance(Account(kind), int(total))
        for kind, total in session.execute(query)
    }


def grant_figures(session: Session, grant_id: str) -> Figures:
    return Figures.of(grant_normal_balances(session, grant_id))


def figures_by_grant(session: Session, grant_ids: Iterable[str] | Select) -> dict[str, Figures]:
    """Balances of many grants in one query; a grant without lines is absent."""
    if not isinstance(grant_ids, Select):
        grant_ids = list(grant_ids)
        if not grant_ids:
            return {}
    query = (
        select(LedgerLine.grant_id, LedgerAccount.kind, func.sum(LedgerLine.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .where(LedgerLine.grant_id.in_(grant_ids))
        .group_by(LedgerLine.grant_id, LedgerAccount.kind)
    )
    normal: dict[str, dict[Account, int]] = {}
    for grant_id, kind, total in session.execute(query):
        account = Account(kind)
        normal.setdefault(grant_id, {})[account] = domain.normal_balance(account, int(total))
    return {i: Figures.of(n) for i, n in normal.items()}


def post(
    uow: UnitOfWork,
    clock: Clock,
    fund_id: str,
    grant_id: str | None,
    posting: Posting,
    document: str,
    memo: str,
    reverses_id: int | None = None,
) -> LedgerEntry:
    """Append ``posting`` to the ledger; Conflict (nothing written) if a balance would go
    negative. The entry names the person (the unit of work's actor) and the document."""
    session = uow.session
    touched = {line.account for line in posting.lines}
    if grant_id is None and touched & set(GRANT_ACCOUNTS):
        raise ValueError(f"posting {posting.kind} touches grant accounts without a grant")
    accounts = _accounts(session, fund_id, lock=True)
    current = {
        a: domain.normal_balance(a, accounts[a].balance_fen)
        for a in FUND_ACCOUNTS
        if a in touched
    }
    if grant_id is not None:
        grant_balances = grant_normal_balances(session, grant_id)
        current.update({a: grant_balances.get(a, 0) for a in GRANT_ACCOUNTS if a in touched})
    domain.apply(current, posting)

    entry = LedgerEntry(
        fund_id=fund_id,
        grant_id=grant_id,
        kind=posting.kind,
        document=document,
        memo=memo,
        reverses_id=reverses_id,
        actor=uow.actor,
        role=uow.role,
        correlation_id=uow.correlation_id,
        posted_on=clock.today(),
        posted_at=clock.now(),
    )
    session.add(entry)
    session.flush()
    session.execute(
        insert(LedgerLine),
        [
            {
                "entry_id": entry.id,
                "account_id": accounts[line.account].id,
                "grant_id": grant_id if line.account in GRANT_ACCOUNTS else None,
                "amount_fen": line.amount_fen,
            }
            for line in posting.lines
        ],
    )
    for line in posting.lines:
        session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.id == accounts[line.account].id)
            .values(balance_fen=LedgerAccount.balance_fen + line.amount_fen)
        )
    return entry


def posting_of(session: Session, entry_id: int) -> Posting:
    """The posting an entry recorded (to reverse it)."""
    rows = session.execute(
        select(LedgerAccount.kind, LedgerLine.amount_fen, LedgerEntry.kind)
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .join(LedgerEntry, LedgerEntry.id == LedgerLine.entry_id)
        .where(LedgerLine.entry_id == entry_id)
        .order_by(LedgerLine.id)
    ).all()
    return Posting(rows[0][2], tuple(domain.Line(Account(k), int(a)) for k, a, _ in rows))


def check(session: Session) -> dict[str, Any]:
    """Recompute everything from the lines: each entry balances, each account's running
    balance equals the sum of its lines, no fund or grant account is negative, and every
    fund reconciles (budget = available + committed + disbursed)."""
    unbalanced = [
        {"entry_id": e, "sum_fen": int(s)}
        for e, s in session.execute(
            select(LedgerLine.entry_id, func.sum(LedgerLine.amount_fen))
            .group_by(LedgerLine.entry_id)
            .having(func.sum(LedgerLine.amount_fen) != 0)
        )
    ]
    line_sums = (
        select(LedgerLine.account_id, func.sum(LedgerLine.amount_fen).label("total"))
        .group_by(LedgerLine.account_id)
        .subquery()
    )
    accounts = session.execute(
        select(LedgerAccount, func.coalesce(line_sums.c.total, 0)).outerjoin(
            line_sums, line_sums.c.account_id == LedgerAccount.id
        )
    ).all()
    mismatched = []
    negative = []
    by_fund: dict[str, dict[Account, int]] = {}
    for account, total in accounts:
        kind = Account(account.kind)
        if account.balance_fen != int(total):
            mismatched.append(
                {"fund_id": account.fund_id, "account": account.kind,
                 "running_fen": account.balance_fen, "lines_fen": int(total)}
            )
        normal = domain.normal_balance(kind, int(total))
        by_fund.setdefault(account.fund_id, {})[kind] = normal
        if normal < 0:
            negative.append({"fund_id": account.fund_id, "account": account.kind,
                             "balance_fen": normal})
    for grant_id, kind, total in session.execute(
        select(LedgerLine.grant_id, LedgerAccount.kind, func.sum(LedgerLine.amount_fen))
        .join(LedgerAccount, LedgerAccount.id == LedgerLine.account_id)
        .where(LedgerLine.grant_id.is_not(None))
        .group_by(LedgerLine.grant_id, LedgerAccount.kind)
    ):
        normal = domain.normal_balance(Account(kind), int(total))
        if normal < 0:
            negative.append({"grant_id": grant_id, "account": kind, "balance_fen": normal})
    unreconciled = [f for f, n in by_fund.items() if not Figures.of(n).reconciles]
    counts = session.execute(
        select(func.count(func.distinct(LedgerLine.entry_id)), func.count())
    ).one()
    return {
        "ok": not (unbalanced or mismatched or negative or unreconciled),
        "entries": int(counts[0]),
        "lines": int(counts[1]),
        "unbalanced_entries": unbalanced,
        "mismatched_accounts": mismatched,
        "negative_balances": negative,
        "unreconciled_funds": unreconciled,
    }
