"""Tables of the subsidy service's own database (the kit's outbox, inbox and audit tables join
them through the migrations).

The ledger (ledger_entries, ledger_lines) is append-only: the migration adds triggers that
refuse UPDATE and DELETE on it. ledger_accounts.balance_fen is the running sum of an account's
lines, written in the same transaction as the lines (so a fund's balance is one row away);
``check_ledger`` recomputes it from the lines.
"""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.idempotency import IdempotencyRecord
from servicekit.models import NAMING_CONVENTION, UtcDateTime
from servicekit.stations import StationReadModel

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
_Serial = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Station(StationReadModel, Base):
    """Read model of the applications service's station registry (servicekit.stations)."""

    __tablename__ = "stations"


class Fund(Base):
    """The city talent work special fund (district 371000) or a district's fund, per year."""

    __tablename__ = "funds"
    __table_args__ = (UniqueConstraint("district", "fiscal_year"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    district: Mapped[str] = mapped_column(String(6))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # R14.1: a district fund's own allowed uses (code → name); null for the city fund, whose
    # uses are Art 9's, and for a district fund not yet configured (nothing may be spent).
    allowed_uses: Mapped[dict[str, str] | None] = mapped_column(JSON)


class BudgetChange(Base):
    """Every budget set, with the document behind it; the budget itself is in the ledger."""

    __tablename__ = "budget_changes"

    id: Mapped[int] = mapped_column(_Serial, primary_key=True, autoincrement=True)
    fund_id: Mapped[str] = mapped_column(ForeignKey("funds.id"), index=True)
    before_fen: Mapped[int] = mapped_column(BigInteger)
    after_fen: Mapped[int] = mapped_column(BigInteger)
    document: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class Grant(Base):
    __tablename__ = "grants"
    # One grant of each kind per demonstration selection: a redelivered or re-sent
    # selection never makes a second one.
    __table_args__ = (UniqueConstraint("selection_id", "kind"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # construction | provincial_reward | district
    status: Mapped[str] = mapped_column(String(20), index=True)
    station_id: Mapped[str] = mapped_column(String(64), index=True)
    district: Mapped[str] = mapped_column(String(6), index=True)  # the station's district
    owner: Mapped[str] = mapped_column(String(6))  # whose fund pays: 371000 or a district
    fund_id: Mapped[str | None] = mapped_column(ForeignKey("funds.id"), index=True)
    selection_id: Mapped[str | None] = mapped_column(String(64))
    cycle_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(40))  # district grants (Art 14)
    proposed_fen: Mapped[int | None] = mapped_column(BigInteger)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_document: Mapped[str | None] = mapped_column(String(200))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    close_reason: Mapped[str | None] = mapped_column(Text)


class Disbursement(Base):
    __tablename__ = "disbursements"
    __table_args__ = (UniqueConstraint("grant_id", "tranche"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    tranche: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    # The bank's reference of the transfer: one payment is one tranche.
    payment_reference: Mapped[str] = mapped_column(String(64), unique=True)
    paid_on: Mapped[date] = mapped_column(Date)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Repayment(Base):
    """Money a station paid back against its receivable."""

    __tablename__ = "repayments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payment_reference: Mapped[str] = mapped_column(String(64), unique=True)
    paid_on: Mapped[date] = mapped_column(Date)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Expenditure(Base):
    __tablename__ = "expenditures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    category: Mapped[str] = mapped_column(String(40), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    spent_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    reversal_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    reported_by: Mapped[str] = mapped_column(String(100))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExpenditureNote(Base):
    """The review dialogue of an expenditure: reports, queries, answers and decisions."""

    __tablename__ = "expenditure_notes"

    id: Mapped[int] = mapped_column(_Serial, primary_key=True, autoincrement=True)
    expenditure_id: Mapped[str] = mapped_column(ForeignKey("expenditures.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # report | accept | query | disallow | answer
    text: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class Attachment(Base):
    """An evidence file in the content-addressed store (its name is its SHA-256)."""

    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExpenditureAttachment(Base):
    __tablename__ = "expenditure_attachments"

    expenditure_id: Mapped[str] = mapped_column(ForeignKey("expenditures.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("attachments.sha256"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("fund_id", "kind"),)

    id: Mapped[int] = mapped_column(_Serial, primary_key=True, autoincrement=True)
    fund_id: Mapped[str] = mapped_column(ForeignKey("funds.id"))
    kind: Mapped[str] = mapped_column(String(20))
    balance_fen: Mapped[int] = mapped_column(BigInteger)  # debits minus credits


class LedgerEntry(Base):
    """One balanced posting: who made it, under which document, and what it corrects."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(_Serial, primary_key=True, autoincrement=True)
    fund_id: Mapped[str] = mapped_column(ForeignKey("funds.id"), index=True)
    grant_id: Mapped[str | None] = mapped_column(ForeignKey("grants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    document: Mapped[str] = mapped_column(String(200))
    memo: Mapped[str] = mapped_column(Text)
    # An entry is corrected by reversing it, once.
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), unique=True)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(40))
    correlation_id: Mapped[str | None] = mapped_column(String(200))  # as the kit's audit log
    posted_on: Mapped[date] = mapped_column(Date)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LedgerLine(Base):
    __tablename__ = "ledger_lines"
    __table_args__ = (Index("ix_ledger_lines_grant_account", "grant_id", "account_id"),)

    id: Mapped[int] = mapped_column(_Serial, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    grant_id: Mapped[str | None] = mapped_column(String(36))  # the subsidiary ledger
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # debit positive, credit negative


class IdempotencyKey(IdempotencyRecord, Base):
    """A payment already carried out, with its answer (servicekit.idempotency)."""

    __tablename__ = "idempotency_keys"
