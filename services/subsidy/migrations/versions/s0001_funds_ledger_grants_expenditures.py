"""funds, ledger, grants, expenditures

Revision ID: s0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = ("subsidy",)
depends_on = None

LEDGER_TABLES = ("ledger_entries", "ledger_lines")
APPEND_ONLY = "the ledger is append-only: correct it by a reversing entry"


def _serial() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    referred = target.partition(".")[0]
    return sa.ForeignKeyConstraint(
        [column], [target], name=op.f(f"fk_{table}_{column}_{referred}")
    )


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(name or op.f(f"ix_{table}_{columns[0]}"), table, list(columns))


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_attachments")),
    )
    op.create_table(
        "funds",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funds")),
        sa.UniqueConstraint("district", "fiscal_year", name=op.f("uq_funds_district")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("operation", sa.String(60), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "stations",
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("host_unit_id", sa.String(64), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("plaque_number", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_stations")),
    )
    _index("stations", "host_unit_id")
    op.create_table(
        "grants",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("owner", sa.String(6), nullable=False),
        sa.Column("fund_id", sa.String(36), nullable=True),
        sa.Column("selection_id", sa.String(64), nullable=True),
        sa.Column("cycle_id", sa.String(64), nullable=True),
        sa.Column("purpose", sa.String(40), nullable=True),
        sa.Column("proposed_fen", sa.BigInteger(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.String(100), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_document", sa.String(200), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        _fk("grants", "fund_id", "funds.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grants")),
        sa.UniqueConstraint("selection_id", "kind", name=op.f("uq_grants_selection_id")),
    )
    for column in ("district", "fund_id", "station_id", "status"):
        _index("grants", column)
    op.create_table(
        "ledger_accounts",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("fund_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        _fk("ledger_accounts", "fund_id", "funds.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("fund_id", "kind", name=op.f("uq_ledger_accounts_fund_id")),
    )
    op.create_table(
        "ledger_entries",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("fund_id", sa.String(36), nullable=False),
        sa.Column("grant_id", sa.String(36), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("document", sa.String(200), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("reverses_id", _serial(), nullable=True),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("correlation_id", sa.String(200), nullable=True),
        sa.Column("posted_on", sa.Date(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        _fk("ledger_entries", "fund_id", "funds.id"),
        _fk("ledger_entries", "grant_id", "grants.id"),
        _fk("ledger_entries", "reverses_id", "ledger_entries.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_ledger_entries_reverses_id")),
    )
    _index("ledger_entries", "fund_id")
    _index("ledger_entries", "grant_id")
    op.create_table(
        "ledger_lines",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("entry_id", _serial(), nullable=False),
        sa.Column("account_id", _serial(), nullable=False),
        sa.Column("grant_id", sa.String(36), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        _fk("ledger_lines", "account_id", "ledger_accounts.id"),
        _fk("ledger_lines", "entry_id", "ledger_entries.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_lines")),
    )
    _index("ledger_lines", "account_id")
    _index("ledger_lines", "entry_id")
    _index("ledger_lines", "grant_id", "account_id", name="ix_ledger_lines_grant_account")
    op.create_table(
        "budget_changes",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("fund_id", sa.String(36), nullable=False),
        sa.Column("before_fen", sa.BigInteger(), nullable=False),
        sa.Column("after_fen", sa.BigInteger(), nullable=False),
        sa.Column("document", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("entry_id", _serial(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("budget_changes", "entry_id", "ledger_entries.id"),
        _fk("budget_changes", "fund_id", "funds.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_changes")),
    )
    _index("budget_changes", "fund_id")
    for table in ("disbursements", "repayments"):
        op.create_table(
            table,
            sa.Column("id", sa.String(36), nullable=False),
            sa.Column("grant_id", sa.String(36), nullable=False),
            *([sa.Column("tranche", sa.Integer(), nullable=False)]
              if table == "disbursements" else []),
            sa.Column("amount_fen", sa.BigInteger(), nullable=False),
            sa.Column("payment_reference", sa.String(64), nullable=False),
            sa.Column("paid_on", sa.Date(), nullable=False),
            sa.Column("entry_id", _serial(), nullable=False),
            sa.Column("created_by", sa.String(100), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            _fk(table, "entry_id", "ledger_entries.id"),
            _fk(table, "grant_id", "grants.id"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            *([sa.UniqueConstraint("grant_id", "tranche", name=op.f(f"uq_{table}_grant_id"))]
              if table == "disbursements" else []),
            sa.UniqueConstraint(
                "payment_reference", name=op.f(f"uq_{table}_payment_reference")
            ),
        )
        _index(table, "grant_id")
    op.create_table(
        "expenditures",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("grant_id", sa.String(36), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("entry_id", _serial(), nullable=False),
        sa.Column("reversal_entry_id", _serial(), nullable=True),
        sa.Column("reported_by", sa.String(100), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        _fk("expenditures", "entry_id", "ledger_entries.id"),
        _fk("expenditures", "grant_id", "grants.id"),
        _fk("expenditures", "reversal_entry_id", "ledger_entries.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expenditures")),
    )
    _index("expenditures", "category")
    _index("expenditures", "grant_id")
    op.create_table(
        "expenditure_attachments",
        sa.Column("expenditure_id", sa.String(36), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        _fk("expenditure_attachments", "expenditure_id", "expenditures.id"),
        _fk("expenditure_attachments", "sha256", "attachments.sha256"),
        sa.PrimaryKeyConstraint(
            "expenditure_id", "sha256", name=op.f("pk_expenditure_attachments")
        ),
    )
    op.create_table(
        "expenditure_notes",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("expenditure_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        _fk("expenditure_notes", "expenditure_id", "expenditures.id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expenditure_notes")),
    )
    _index("expenditure_notes", "expenditure_id")
    _append_only()


def _append_only() -> None:
    """The database itself refuses to change or delete a posted entry or line."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
        )
        for table in LEDGER_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()"
            )
        return
    for table in LEDGER_TABLES:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )


def downgrade() -> None:
    for table in (
        "expenditure_notes", "expenditure_attachments", "expenditures", "repayments",
        "disbursements", "budget_changes", "ledger_lines", "ledger_entries", "ledger_accounts",
        "grants", "stations", "idempotency_keys", "funds", "attachments",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_append_only()")
