"""The subsidy rules: the chart of accounts, balanced postings, grant and expenditure states.

Pure: no I/O. Amounts are integer fen. A posting is a set of lines whose signed amounts
(debit positive, credit negative) sum to zero; balances are the sums of lines.

Accounts of one fund (the grant-level ones are also kept per grant, as a subsidiary ledger):
  appropriation  credit-normal: the budget appropriated to the fund (its negative is the budget)
  available      budget not yet committed to any grant
  committed      approved grants not yet paid out
  advanced       paid out to stations and not yet spent (their unspent money)
  spent          reported expenditure
  receivable     clawed back after a revocation and not yet repaid
Since every posting balances: budget = available + committed + advanced + spent + receivable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

# The states and decisions are the RPC contract's vocabulary, defined there once.
from contracts.rpc.subsidy import ART9_CATEGORIES, ExpenditureStatus, GrantStatus
from servicekit.errors import Conflict, InvalidInput
from servicekit.money import fen_to_yuan


class Account(StrEnum):
    APPROPRIATION = "appropriation"
    AVAILABLE = "available"
    COMMITTED = "committed"
    ADVANCED = "advanced"
    SPENT = "spent"
    RECEIVABLE = "receivable"


FUND_ACCOUNTS = (Account.APPROPRIATION, Account.AVAILABLE)
GRANT_ACCOUNTS = (Account.COMMITTED, Account.ADVANCED, Account.SPENT, Account.RECEIVABLE)

ACCOUNT_NAMES_ZH = {
    Account.APPROPRIATION: "预算拨款",
    Account.AVAILABLE: "可用余额",
    Account.COMMITTED: "已承诺未拨付",
    Account.ADVANCED: "已拨付未使用",
    Account.SPENT: "已使用",
    Account.RECEIVABLE: "应收回",
}

# R9.1: a demonstration station's construction subsidy, 50,000–200,000 CNY inclusive.
CONSTRUCTION_MIN_FEN = 5_000_000
CONSTRUCTION_MAX_FEN = 20_000_000

# R9.3: the uses Art 9 allows for subsidy money (the vocabulary is the contract's).
CATEGORIES = ART9_CATEGORIES

# Review decision → (states it may be taken from, resulting state).
_REVIEWS: dict[str, tuple[tuple[ExpenditureStatus, ...], ExpenditureStatus]] = {
    "accept": (
        (ExpenditureStatus.REPORTED, ExpenditureStatus.QUERIED),
        ExpenditureStatus.ACCEPTED,
    ),
    "query": ((ExpenditureStatus.REPORTED,), ExpenditureStatus.QUERIED),
    # A later audit may still disallow an accepted item: the correction is a reversal.
    "disallow": (
        (ExpenditureStatus.REPORTED, ExpenditureStatus.QUERIED, ExpenditureStatus.ACCEPTED),
        ExpenditureStatus.DISALLOWED,
    ),
}


def credit_normal(account: Account) -> bool:
    return account is Account.APPROPRIATION


def normal_balance(account: Account, raw_fen: int) -> int:
    """The balance as the account is read: debits minus credits, or the reverse."""
    return -raw_fen if credit_normal(account) else raw_fen


@dataclass(frozen=True)
class Line:
    account: Account
    amount_fen: int  # debit positive, credit negative


@dataclass(frozen=True)
class Posting:
    """One balanced journal entry; ``kind`` says what it records."""

    kind: str
    lines: tuple[Line, ...]

    def __post_init__(self) -> None:
        if len(self.lines) < 2 or any(line.amount_fen == 0 for line in self.lines):
            raise ValueError(f"posting {self.kind} needs two or more non-zero lines")
        if sum(line.amount_fen for line in self.lines) != 0:
            raise ValueError(f"posting {self.kind} does not balance: {self.lines}")

    def reversed(self, kind: str) -> Posting:
        """The correcting entry: the same lines with their sides swapped."""
        return Posting(kind, tuple(Line(x.account, -x.amount_fen) for x in self.lines))


def _transfer(kind: str, debit: Account, credit: Account, amount_fen: int) -> Posting:
    return Posting(kind, (Line(debit, amount_fen), Line(credit, -amount_fen)))


def budget_posting(delta_fen: int) -> Posting:
    """A budget raised (delta > 0) or cut (delta < 0)."""
    return _transfer("budget", Account.AVAILABLE, Account.APPROPRIATION, delta_fen)


def commitment_posting(amount_fen: int) -> Posting:
    return _transfer("commitment", Account.COMMITTED, Account.AVAILABLE, amount_fen)


def disbursement_posting(amount_fen: int) -> Posting:
    return _transfer("disbursement", Account.ADVANCED, Account.COMMITTED, amount_fen)


def expenditure_posting(amount_fen: int) -> Posting:
    return _transfer("expenditure", Account.SPENT, Account.ADVANCED, amount_fen)


def release_posting(amount_fen: int) -> Posting:
    """The part of a closed grant never paid out goes back to the fund."""
    return _transfer("release", Account.AVAILABLE, Account.COMMITTED, amount_fen)


def clawback_posting(amount_fen: int) -> Posting:
    """Art 17 / R13.1: money paid out and unspent becomes a receivable."""
    return _transfer("clawback", Account.RECEIVABLE, Account.ADVANCED, amount_fen)


def repayment_posting(amount_fen: int) -> Posting:
    return _transfer("repayment", Account.AVAILABLE, Account.RECEIVABLE, amount_fen)


def apply(balances: Mapping[Account, int], posting: Posting) -> dict[Account, int]:
    """The normal balances after ``posting``; Conflict if one of them would go negative.

    ``balances`` holds the normal balances of the accounts the posting touches (the fund's
    for appropriation and available, the grant's for the others).
    """
    after = dict(balances)
    for line in posting.lines:
        after[line.account] = after.get(line.account, 0) + normal_balance(
            line.account, line.amount_fen
        )
    negative = {a: v for a, v in after.items() if v < 0}
    if negative:
        account, value = next(iter(negative.items()))
        raise Conflict(
            "ledger.negative_balance",
            f"The posting would leave account {account} at {fen_to_yuan(value)} yuan; "
            "no balance may go negative.",
            f"该记账将使账户“{ACCOUNT_NAMES_ZH[account]}”余额为 {fen_to_yuan(value)} 元，"
            "任何余额不得为负。",
            {"account": str(account), "balance": fen_to_yuan(value), "posting": posting.kind},
        )
    return after


@dataclass(frozen=True)
class Figures:
    """What a fund or a grant stands at, all derived from ledger balances."""

    budget: int
    available: int
    committed: int
    advanced: int
    spent: int
    receivable: int

    @classmethod
    def of(cls, normal: Mapping[Account, int]) -> Figures:
        return cls(
            budget=normal.get(Account.APPROPRIATION, 0),
            available=normal.get(Account.AVAILABLE, 0),
            committed=normal.get(Account.COMMITTED, 0),
            advanced=normal.get(Account.ADVANCED, 0),
            spent=normal.get(Account.SPENT, 0),
            receivable=normal.get(Account.RECEIVABLE, 0),
        )

    @property
    def disbursed(self) -> int:
        """Paid out to stations and not repaid."""
        return self.advanced + self.spent + self.receivable

    @property
    def reconciles(self) -> bool:
        return self.budget == self.available + self.committed + self.disbursed


# --- rules ----------------------------------------------------------------------------------


def require_positive(amount_fen: int, field: str = "amount") -> None:
    if amount_fen <= 0:
        raise InvalidInput(
            "money.not_positive",
            f"{field} must be more than zero.",
            f"{field} 须大于零。",
            {"field": field, "value": fen_to_yuan(amount_fen)},
        )


def check_construction_amount(amount_fen: int, field: str = "amount") -> None:
    """R9.1: 50,000.00 to 200,000.00 yuan, both inclusive."""
    if not CONSTRUCTION_MIN_FEN <= amount_fen <= CONSTRUCTION_MAX_FEN:
        low, high = fen_to_yuan(CONSTRUCTION_MIN_FEN), fen_to_yuan(CONSTRUCTION_MAX_FEN)
        raise InvalidInput(
            "grant.amount_out_of_range",
            f"A construction subsidy is {low} to {high} yuan (R9.1); "
            f"{fen_to_yuan(amount_fen)} is outside.",
            f"示范驿站建设补贴须在 {low} 至 {high} 元之间（R9.1），"
            f"{fen_to_yuan(amount_fen)} 元超出范围。",
            {"field": field, "rule": "R9.1", "value": fen_to_yuan(amount_fen),
             "min": low, "max": high},
        )


def approval_amount(kind: str, proposed_fen: int | None, requested_fen: int | None,
                    jointly_confirmed: bool = False) -> int:
    """The amount a grant is approved at: the one given with the approval, else the proposal's.

    The provincial extra reward (R9.2) arrives without an amount: the approver sets it. A
    construction subsidy of a demonstration selection commits the amount the HR bureau and the
    organisation department confirmed jointly (R9.4): approval cannot change it.
    """
    if jointly_confirmed and requested_fen is not None and requested_fen != proposed_fen:
        confirmed = fen_to_yuan(proposed_fen or 0)
        raise Conflict(
            "grant.amount_jointly_confirmed",
            f"This subsidy commits the {confirmed} yuan the HR bureau and the organisation "
            "department confirmed jointly; a different amount needs a new joint confirmation "
            "(R9.4).",
            f"该补助按市人社局与市委组织部共同确认的 {confirmed} 元列支，审批不得更改；"
            "如需调整金额，须重新共同确认（R9.4）。",
            {"field": "amount", "confirmed": confirmed, "rule": "R9.4"},
        )
    amount = requested_fen if requested_fen is not None else proposed_fen
    if amount is None:
        raise InvalidInput(
            "grant.amount_required",
            "This grant has no proposed amount; give the amount with the approval.",
            "该资助无拟定金额，审批时须填写金额。",
            {"field": "amount", "rule": "R9.2" if kind == "provincial_reward" else None},
        )
    require_positive(amount)
    if kind == "construction":
        check_construction_amount(amount)
    return amount


def require_grant_status(status: str, allowed: tuple[GrantStatus, ...], action: str) -> None:
    if status not in allowed:
        names = ", ".join(allowed)
        raise Conflict(
            "grant.wrong_status",
            f"A grant that is {status} cannot be {action}; it must be {names}.",
            f"资助状态为“{status}”，不能执行“{action}”，须为：{names}。",
            {"status": status, "allowed": [str(s) for s in allowed], "action": action},
        )


def require_station_not_revoked(station_status: str | None, station_id: str) -> None:
    if station_status == "revoked":
        raise Conflict(
            "grant.station_revoked",
            f"Station {station_id} has lost its title; it receives no subsidy.",
            f"驿站 {station_id} 已被撤销称号，不得获得资助。",
            {"station_id": station_id, "rule": "R17.1"},
        )


def check_commitment(available_fen: int, amount_fen: int, fund_id: str) -> None:
    """R9.1: a grant is committed only within the fund's available balance."""
    if amount_fen > available_fen:
        raise Conflict(
            "fund.insufficient",
            f"The fund has {fen_to_yuan(available_fen)} yuan available; "
            f"{fen_to_yuan(amount_fen)} cannot be committed.",
            f"资金可用余额为 {fen_to_yuan(available_fen)} 元，不足以承诺 "
            f"{fen_to_yuan(amount_fen)} 元。",
            {"fund_id": fund_id, "available": fen_to_yuan(available_fen),
             "amount": fen_to_yuan(amount_fen), "rule": "R9.1"},
        )


def budget_delta(figures: Figures, new_budget_fen: int) -> int:
    """The change a new budget makes; refused if unchanged or below what is already used."""
    delta = new_budget_fen - figures.budget
    if delta == 0:
        raise Conflict(
            "fund.budget_unchanged",
            f"The budget is already {fen_to_yuan(new_budget_fen)} yuan.",
            f"预算已是 {fen_to_yuan(new_budget_fen)} 元。",
            {"field": "budget", "budget": fen_to_yuan(new_budget_fen)},
        )
    used = figures.budget - figures.available
    if new_budget_fen < used:
        raise Conflict(
            "fund.budget_below_use",
            f"{fen_to_yuan(used)} yuan of the fund is committed or paid out; "
            f"the budget cannot be cut to {fen_to_yuan(new_budget_fen)}.",
            f"该资金已承诺或拨付 {fen_to_yuan(used)} 元，预算不能减至 "
            f"{fen_to_yuan(new_budget_fen)} 元。",
            {"field": "budget", "used": fen_to_yuan(used)},
        )
    return delta


def check_tranche(grant_amount_fen: int, paid_fen: int, amount_fen: int) -> None:
    """A tranche never takes the payments beyond the grant."""
    require_positive(amount_fen)
    if paid_fen + amount_fen > grant_amount_fen:
        left = grant_amount_fen - paid_fen
        raise Conflict(
            "disbursement.exceeds_grant",
            f"{fen_to_yuan(left)} yuan of the grant remain to be paid; "
            f"a tranche of {fen_to_yuan(amount_fen)} is too much.",
            f"该资助尚余 {fen_to_yuan(left)} 元可拨付，本次 {fen_to_yuan(amount_fen)} 元超出。",
            {"field": "amount", "remaining": fen_to_yuan(left)},
        )


def check_category(category: str) -> None:
    """R9.3: spending of the city's subsidy only in the categories Art 9 allows."""
    if category not in CATEGORIES:
        allowed_en = ", ".join(en for en, _ in CATEGORIES.values())
        allowed_zh = "、".join(zh for _, zh in CATEGORIES.values())
        raise InvalidInput(
            "expenditure.category_not_allowed",
            f"Subsidy money may not be spent on {category!r}: Art 9 allows only {allowed_en}.",
            f"补贴资金不得用于“{category}”，《办法》第九条仅允许用于：{allowed_zh}。",
            {"field": "category", "rule": "R9.3", "value": category,
             "allowed": list(CATEGORIES)},
        )


def check_district_use(category: str, allowed: Mapping[str, str] | None,
                       district: str) -> None:
    """R14.1 (Art 14): a district grant is spent under the district fund's own allowed uses,
    not the Art 9 categories (those bind the city's demonstration subsidy only)."""
    uses = allowed or {}
    if category not in uses:
        names = "、".join(uses.values()) or "（尚未设定）"
        raise InvalidInput(
            "expenditure.district_use_not_allowed",
            f"A grant of district {district} may be spent only on the uses its district fund "
            f"allows ({', '.join(uses) or 'none set yet'}), not on {category!r} (R14.1).",
            f"区市（{district}）资助仅可用于该区市资金设定的用途：{names}，"
            f"不得用于“{category}”（R14.1）。",
            {"field": "category", "rule": "R14.1", "value": category, "allowed": list(uses)},
        )


def check_spending(unspent_fen: int, amount_fen: int) -> None:
    """Nothing is spent that was not first paid out."""
    require_positive(amount_fen)
    if amount_fen > unspent_fen:
        raise Conflict(
            "expenditure.exceeds_unspent",
            f"The station holds {fen_to_yuan(unspent_fen)} yuan paid out and unspent; "
            f"it cannot report spending {fen_to_yuan(amount_fen)}.",
            f"驿站已拨付未使用的资金为 {fen_to_yuan(unspent_fen)} 元，不能报告支出 "
            f"{fen_to_yuan(amount_fen)} 元。",
            {"field": "amount", "unspent": fen_to_yuan(unspent_fen)},
        )


def check_not_future(day: date, today: date, field: str) -> None:
    if day > today:
        raise InvalidInput(
            "date.in_future",
            f"{field} {day.isoformat()} is after today ({today.isoformat()}).",
            f"{field}（{day.isoformat()}）晚于今天（{today.isoformat()}）。",
            {"field": field, "value": day.isoformat()},
        )


def review(status: str, decision: str) -> ExpenditureStatus:
    """The state an expenditure takes after a review decision."""
    allowed, result = _REVIEWS[decision]
    if status not in allowed:
        raise Conflict(
            "expenditure.wrong_status",
            f"An expenditure that is {status} cannot take the decision {decision}.",
            f"支出状态为“{status}”，不能作出“{decision}”决定。",
            {"status": status, "decision": decision, "allowed": [str(s) for s in allowed]},
        )
    return result


def require_reason(text: str | None, field: str) -> str:
    if not text or not text.strip():
        raise InvalidInput(
            "reason.required",
            f"{field} is required for this decision.",
            f"此决定须填写 {field}。",
            {"field": field},
        )
    return text.strip()


def check_repayment(receivable_fen: int, amount_fen: int) -> None:
    require_positive(amount_fen)
    if amount_fen > receivable_fen:
        raise Conflict(
            "receivable.exceeds_balance",
            f"{fen_to_yuan(receivable_fen)} yuan are owed; {fen_to_yuan(amount_fen)} is more.",
            f"应收回金额为 {fen_to_yuan(receivable_fen)} 元，{fen_to_yuan(amount_fen)} 元超出。",
            {"field": "amount", "receivable": fen_to_yuan(receivable_fen)},
        )


def closing_postings(figures: Figures) -> list[Posting]:
    """Closing a grant after revocation: release what was never paid, claw back the unspent."""
    postings = []
    if figures.committed:
        postings.append(release_posting(figures.committed))
    if figures.advanced:
        postings.append(clawback_posting(figures.advanced))
    return postings


def share_spent_basis_points(spent_fen: int, paid_fen: int) -> int:
    """Spent as a share of what was paid out, in hundredths of a percent (integers only)."""
    return spent_fen * 10_000 // paid_fen if paid_fen else 0


def spends_slowly(
    first_paid_on: date | None,
    paid_fen: int,
    spent_fen: int,
    today: date,
    below_percent: int,
    after_days: int,
) -> bool:
    """R13.1 supervision: paid out at least ``after_days`` ago and less than ``below_percent``
    of it spent."""
    if first_paid_on is None or paid_fen == 0:
        return False
    if today - first_paid_on < timedelta(days=after_days):
        return False
    return spent_fen * 100 < below_percent * paid_fen
