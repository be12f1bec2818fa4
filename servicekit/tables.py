"""Tables the kit keeps in every service's own database: outbox, inbox (processed events)
and audit log. Each service's Alembic environment migrates them with its own tables."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from servicekit.models import NAMING_CONVENTION, UtcDateTime

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
_Sequence = BigInteger().with_variant(Integer(), "sqlite")

outbox = Table(
    "kit_outbox",
    metadata,
    # position: the relay publishes strictly in this order, so events of one aggregate
    # leave in the order they were committed.
    Column("position", _Sequence, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("event_type", String(100), nullable=False),
    Column("aggregate_id", String(64), nullable=True),
    Column("tenant", String(6), nullable=False),
    Column("envelope", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("published_at", UtcDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
)
Index("ix_kit_outbox_unpublished", outbox.c.published_at, outbox.c.position)

processed_events = Table(
    "kit_processed_events",
    metadata,
    Column("event_id", String(36), nullable=False),
    Column("handler", String(200), nullable=False),
    Column("tenant", String(6), nullable=False),
    Column("processed_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("event_id", "handler"),
)

audit_log = Table(
    "kit_audit_log",
    metadata,
    Column("id", _Sequence, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("tenant", String(6), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("role", String(40), nullable=False),
    Column("origin", String(100), nullable=True),
    Column("correlation_id", String(200), nullable=True),
    Column("action", String(100), nullable=False),
    Column("entity_type", String(60), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("outcome", String(20), nullable=False),
)
Index("ix_kit_audit_entity", audit_log.c.entity_type, audit_log.c.entity_id)
