"""The unit of work against a real database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from servicekit.db import AlreadyProcessed, UnitOfWork
from servicekit.migrations import alembic_config, upgrade
from servicekit.tables import audit_log, outbox, processed_events
from servicekit.tenants import CITY
from tests.integration.kit_services import KIT_ONLY_MIGRATIONS


@pytest.fixture
def sessions(engine):
    upgrade(engine, KIT_ONLY_MIGRATIONS)
    return sessionmaker(engine, expire_on_commit=False)


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _uow(sessions, inbox_key=None, context=None) -> UnitOfWork:
    return UnitOfWork(sessions, "kitproducer", CITY, context or {}, inbox_key=inbox_key)


def test_commit_keeps_events_and_audit_together(engine, sessions):
    context = {"correlation_id": "c-1", "actor": "u-7", "role": "city_hr", "origin": "10.0.0.9"}
    with _uow(sessions, context=context) as uow:
        event_id = uow.add_event("thing_happened", {"thing_id": "t", "n": 1}, "agg-1")
        uow.audit("thing.create", "thing", "t", None, {"n": 1})
        uow.commit()
    with engine.connect() as conn:
        row = conn.execute(select(outbox)).one()
        audit = conn.execute(select(audit_log)).one()
    assert row.event_id == event_id and row.published_at is None and row.aggregate_id == "agg-1"
    assert row.envelope["source"] == {"service": "kitproducer", "tenant": CITY}
    assert row.envelope["correlation_id"] == "c-1"
    assert (audit.actor, audit.role, audit.origin, audit.tenant) == ("u-7", "city_hr",
                                                                     "10.0.0.9", CITY)
    assert audit.after == {"n": 1} and audit.correlation_id == "c-1"


def test_leaving_without_commit_rolls_everything_back(engine, sessions):
    with pytest.raises(RuntimeError), _uow(sessions) as uow:
        uow.add_event("thing_happened", {"thing_id": "t", "n": 1})
        uow.audit("thing.create", "thing", "t", None, {"n": 1})
        raise RuntimeError("the use case failed half-way")
    assert _count(engine, outbox) == 0
    assert _count(engine, audit_log) == 0


def test_event_breaking_its_contract_is_refused_before_it_is_stored(engine, sessions):
    with _uow(sessions) as uow, pytest.raises(ValueError, match="breaks its contract"):
        uow.add_event("thing_happened", {"thing_id": "t"})
    with _uow(sessions) as uow, pytest.raises(ValueError, match="no contract"):
        uow.add_event("unheard_of", {})
    assert _count(engine, outbox) == 0


def test_inbox_makes_a_second_delivery_a_no_op(engine, sessions):
    key = ("0b4e7a4e-0000-4000-8000-000000000001", "kitconsumer.on_thing")
    with _uow(sessions, inbox_key=key) as uow:
        uow.audit("thing.received", "thing", "t", None, {})
        uow.commit()
    with pytest.raises(AlreadyProcessed), _uow(sessions, inbox_key=key):
        pass
    assert _count(engine, audit_log) == 1
    assert _count(engine, processed_events) == 1


def test_inbox_mark_is_rolled_back_with_a_failed_effect(engine, sessions):
    key = ("0b4e7a4e-0000-4000-8000-000000000002", "kitconsumer.on_thing")
    with pytest.raises(RuntimeError), _uow(sessions, inbox_key=key) as uow:
        uow.audit("thing.received", "thing", "t", None, {})
        raise RuntimeError("handler failed")
    assert _count(engine, processed_events) == 0
    with _uow(sessions, inbox_key=key) as uow:  # the retry applies it
        uow.audit("thing.received", "thing", "t", None, {})
        uow.commit()
    assert _count(engine, audit_log) == 1


def test_concurrent_duplicate_loses_at_commit_and_its_retry_is_a_no_op(engine, sessions):
    key = ("0b4e7a4e-0000-4000-8000-000000000003", "kitconsumer.on_thing")
    first, second = _uow(sessions, inbox_key=key), _uow(sessions, inbox_key=key)
    with first, second:  # both pass the early check before either commits
        first.audit("thing.received", "thing", "t", None, {})
        first.commit()
        # PostgreSQL: the inbox key collides. SQLite: the stale snapshot may not write.
        with pytest.raises((AlreadyProcessed, OperationalError)):
            second.audit("thing.received", "thing", "t", None, {})
            second.commit()
    with pytest.raises(AlreadyProcessed), _uow(sessions, inbox_key=key):
        pass  # the handler's retry of the loser
    assert _count(engine, audit_log) == 1


def test_sqlite_runs_with_wal_and_foreign_keys(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_migrations_run_twice_change_nothing(engine):
    upgrade(engine, KIT_ONLY_MIGRATIONS)
    upgrade(engine, KIT_ONLY_MIGRATIONS)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    heads = ScriptDirectory.from_config(alembic_config(KIT_ONLY_MIGRATIONS)).get_heads()
    assert sorted(versions) == sorted(heads)
    assert "k0002" in versions  # the kit's own branch is always there


class _Base(DeclarativeBase):
    pass


class _OutboxRow(_Base):
    """The outbox table mapped, so that a duplicate is only found when the session flushes."""

    __table__ = outbox


def test_a_handlers_own_constraint_at_commit_is_not_taken_for_a_redelivery(engine, sessions):
    key = ("0b4e7a4e-0000-4000-8000-000000000004", "kitconsumer.on_thing")
    row = {"event_id": "same", "event_type": "x", "tenant": CITY, "envelope": {},
           "created_at": datetime.now(UTC), "attempts": 0}
    with _uow(sessions, inbox_key=key) as uow:
        uow.session.add_all([_OutboxRow(**row), _OutboxRow(**row)])
        with pytest.raises(IntegrityError):
            uow.commit()
    assert _count(engine, processed_events) == 0
