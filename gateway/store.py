"""The gateway's own small database: its users, their self-registrations, and its audit trail
of state-changing requests.

SQLite under VAR_DIR by default (``{VAR_DIR}/{tenant}/gateway.sqlite3``): the gateway runs as
one process, and its rows are few and its own. ``GATEWAY_DATABASE_URL`` points it elsewhere,
e.g. at PostgreSQL in production (``{tenant}`` and ``{var_dir}`` are filled in). Migrated by
Alembic at start, like a service (branch "gateway", in gateway/migrations/).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import RowMapping

from servicekit.config import tenant_of, var_dir
from servicekit.db import make_engine
from servicekit.models import NAMING_CONVENTION

EXTENSION = "gateway.store"
MIGRATIONS = "gateway:migrations"
DEFAULT_URL = "sqlite:///{var_dir}/{tenant}/gateway.sqlite3"

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
_Sequence = BigInteger().with_variant(Integer(), "sqlite")

users = Table(
    "gateway_users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(40), nullable=False),
    # The one binding the role takes (see gateway.users.BINDING_OF_ROLE); the others are null.
    Column("district", String(6), nullable=True),
    Column("organisation", String(64), nullable=True),
    Column("expert", String(64), nullable=True),
    Column("display_name", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    # Raised when the user's issued tokens must stop at once (deactivation, a new password).
    Column("token_version", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A self-registered account (host unit, enterprise, expert) waiting for staff to verify it.
registrations = Table(
    "gateway_registrations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", ForeignKey("gateway_users.username"), nullable=False, unique=True),
    Column("role", String(40), nullable=False),
    Column("district", String(6), nullable=False),
    Column("organisation", JSON, nullable=False),  # what the registrant says of itself
    Column("status", String(12), nullable=False),  # pending, verified, rejected
    Column("reason", String(500), nullable=True),
    Column("bound_to", String(64), nullable=True),
    Column("decided_by", String(200), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_gateway_registrations_status", registrations.c.status, registrations.c.district)

audit = Table(
    "gateway_audit",
    metadata,
    Column("id", _Sequence, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("tenant", String(6), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("district", String(6), nullable=True),
    Column("method", String(10), nullable=False),
    Column("route", String(300), nullable=False),
    Column("object_id", String(200), nullable=True),
    Column("status", Integer, nullable=False),
    Column("error_code", String(100), nullable=True),
    Column("request_id", String(64), nullable=False),
    Column("origin", String(100), nullable=True),
)
Index("ix_gateway_audit_at", audit.c.at)
Index("ix_gateway_audit_actor", audit.c.actor, audit.c.at)


def database_url(config: dict[str, Any]) -> str:
    template = config.get("GATEWAY_DATABASE_URL") or DEFAULT_URL
    return template.format(tenant=tenant_of(config), var_dir=var_dir(config))


class Store:
    """The gateway's database: users by username, and audit rows appended."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)

    @classmethod
    def open(cls, config: dict[str, Any], migrate: bool = True) -> Store:
        store = cls(database_url(config))
        if migrate:
            from servicekit.migrations import upgrade

            # Only the gateway's branch: the kit's outbox and inbox are services' business.
            upgrade(store.engine, MIGRATIONS, "gateway@head")
        return store

    def close(self) -> None:
        self.engine.dispose()

    def user(self, username: str) -> RowMapping | None:
        with self.engine.connect() as conn:
            query = select(users).where(users.c.username == username)
            return conn.execute(query).mappings().first()

    def all_users(self) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(users).order_by(users.c.username)).mappings())

    def add_user(self, values: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(insert(users).values(**values, created_at=now, updated_at=now))

    def update_user(self, username: str, values: dict[str, Any]) -> bool:
        """False when there is no such user."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(users)
                .where(users.c.username == username)
                .values(**values, updated_at=datetime.now(UTC))
            )
        return result.rowcount == 1

    def add_registration(self, user: dict[str, Any], registration: dict[str, Any]) -> None:
        """The pending user and its registration, in one transaction."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(insert(users).values(**user, created_at=now, updated_at=now))
            conn.execute(insert(registrations).values(**registration, created_at=now))

    def registration(self, registration_id: str) -> RowMapping | None:
        with self.engine.connect() as conn:
            query = select(registrations).where(registrations.c.id == registration_id)
            return conn.execute(query).mappings().first()

    def registration_of(self, username: str) -> RowMapping | None:
        with self.engine.connect() as conn:
            query = select(registrations).where(registrations.c.username == username)
            return conn.execute(query).mappings().first()

    def registrations(self, status: str | None, district: str | None, limit: int,
                      offset: int) -> tuple[list[RowMapping], int]:
        """One page of registrations, oldest first, and how many match in all."""
        query = select(registrations)
        if status is not None:
            query = query.where(registrations.c.status == status)
        if district is not None:
            query = query.where(registrations.c.district == district)
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
            page = query.order_by(registrations.c.created_at, registrations.c.id)
            rows = list(conn.execute(page.limit(limit).offset(offset)).mappings())
        return rows, total

    def decide_registration(self, registration_id: str, values: dict[str, Any],
                            user: dict[str, Any]) -> bool:
        """Decide a pending registration and change its user alike; False when it is no
        longer pending (another decision came first)."""
        with self.engine.begin() as conn:
            decided = conn.execute(
                update(registrations)
                .where(registrations.c.id == registration_id,
                       registrations.c.status == "pending")
                .values(**values)
            )
            if decided.rowcount != 1:
                return False
            username = select(registrations.c.username).where(
                registrations.c.id == registration_id).scalar_subquery()
            conn.execute(update(users).where(users.c.username == username)
                         .values(**user, updated_at=datetime.now(UTC)))
        return True

    def append_audit(self, row: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(audit).values(**row))

    def audit_rows(self) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(audit).order_by(audit.c.id)).mappings())
