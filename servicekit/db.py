"""Database engines and the unit of work, handed to nameko workers by ``Database``.

One unit of work per worker. A use case opens it (``with self.uow:``), changes the session,
adds outbox events and audit records, and calls ``commit()``; leaving the block without a
commit rolls everything back. The commit happens inside the worker, before nameko replies or
acks, so a reply or an ack never precedes the data it reports.

SQLite and PostgreSQL go through the same code (engines: ``servicekit.engines``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from nameko.extensions import DependencyProvider
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from servicekit.config import database_url, tenant_of
from servicekit.engines import make_engine
from servicekit.envelope import make_envelope
from servicekit.logs import correlation_from
from servicekit.migrations import upgrade
from servicekit.outbox import OutboxRelay
from servicekit.tables import audit_log, outbox, processed_events

log = logging.getLogger(__name__)


# Built once: the unit of work's statements run on every command and every event.
_INSERT_OUTBOX = insert(outbox)
_INSERT_AUDIT = insert(audit_log)
_INSERT_PROCESSED = insert(processed_events)
_SELECT_PROCESSED = select(processed_events.c.event_id).where(
    processed_events.c.event_id == bindparam("event_id"),
    processed_events.c.handler == bindparam("handler"),
)


class AlreadyProcessed(Exception):
    """This handler has already applied this event; the redelivery is acknowledged unchanged."""


class UnitOfWork:
    """One worker's transaction boundary: the session, its outbox events, its audit trail."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        service: str,
        tenant: str,
        context: dict[str, Any],
        inbox_key: tuple[str, str] | None = None,
        on_events_committed: Any = None,
    ) -> None:
        self._sessions = sessions
        self.service = service
        self.tenant = tenant
        self.correlation_id = correlation_from(context)
        self.actor = str(context.get("actor") or "system")
        self.role = str(context.get("role") or "system")
        self.origin = context.get("origin")
        self._inbox_key = inbox_key
        self._on_events_committed = on_events_committed
        self._session: Session | None = None
        self._events_pending = False

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `with uow:`")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._sessions()
        if self._inbox_key is not None and self._already_processed(*self._inbox_key):
            self.close()
            raise self._processed_twice()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _processed_twice(self) -> AlreadyProcessed:
        event_id, handler = self._inbox_key or ("?", "?")
        return AlreadyProcessed(f"{handler} already processed event {event_id}")

    def _already_processed(self, event_id: str, handler: str) -> bool:
        found = self.session.execute(_SELECT_PROCESSED, {"event_id": event_id, "handler": handler})
        return found.first() is not None

    def _claim_inbox(self, event_id: str, handler: str) -> None:
        # Written at commit, in the same transaction as the handler's effect (both or
        # neither), and late, so a SQLite write lock is not held through the handler's work.
        self.session.execute(_INSERT_PROCESSED, {
            "event_id": event_id, "handler": handler, "tenant": self.tenant,
            "processed_at": datetime.now(UTC),
        })

    def add_event(
        self, event_type: str, payload: dict[str, Any], aggregate_id: str | None = None
    ) -> str:
        """Queue ``event_type`` in the outbox, in this transaction; returns the event id."""
        envelope = make_envelope(
            self.service, self.tenant, event_type, payload, self.correlation_id
        )
        self.session.execute(_INSERT_OUTBOX, {
            "event_id": envelope["id"], "event_type": event_type, "aggregate_id": aggregate_id,
            "tenant": self.tenant, "envelope": envelope, "created_at": datetime.now(UTC),
            "attempts": 0,
        })
        self._events_pending = True
        return envelope["id"]

    def audit(
        self,
        action: str,
        entity_type: str,
        entity_id: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        outcome: str = "done",
    ) -> None:
        """Record who did what to which record, from where, with the state before and after."""
        self.session.execute(_INSERT_AUDIT, {
            "at": datetime.now(UTC), "tenant": self.tenant, "actor": self.actor,
            "role": self.role, "origin": self.origin, "correlation_id": self.correlation_id,
            "action": action, "entity_type": entity_type, "entity_id": entity_id,
            "before": before, "after": after, "outcome": outcome,
        })

    def commit(self) -> None:
        if self._inbox_key is not None:
            try:
                self._claim_inbox(*self._inbox_key)
                self.session.commit()
            except IntegrityError:
                self.rollback()
                # A concurrent delivery of the same event committed first; any other
                # constraint is the handler's own failure and must not pass as a duplicate.
                if self._already_processed(*self._inbox_key):
                    raise self._processed_twice() from None
                raise
            self._inbox_key = None
        else:
            self.session.commit()
        if self._events_pending and self._on_events_committed is not None:
            self._on_events_committed()
        self._events_pending = False

    def rollback(self) -> None:
        self.session.rollback()
        self._events_pending = False

    def close(self) -> None:
        if self._session is not None:
            self._session.rollback()
            self._session.close()
            self._session = None
        self._events_pending = False


class Database(DependencyProvider):
    """The service's own database: migrated at start, a unit of work per worker, and the
    outbox relay that publishes what the units of work committed."""

    def __init__(self, migrations: str) -> None:
        """``migrations``: the Alembic script location, e.g. "services.applications:migrations"."""
        self.migrations = migrations
        self._units: dict[Any, UnitOfWork] = {}

    def setup(self) -> None:
        config = self.container.config
        self.service = self.container.service_name
        self.tenant = tenant_of(config)
        self.engine = make_engine(database_url(config, self.service))
        if config.get("MIGRATE_ON_START", True):
            upgrade(self.engine, self.migrations)
        # Units of work take SQLite's write lock when they begin: a second writer (another
        # process, e.g. an import) then waits its turn instead of failing on a stale snapshot.
        self.sessions = sessionmaker(
            self.engine.execution_options(sqlite_begin="BEGIN IMMEDIATE"), expire_on_commit=False
        )
        self.relay = OutboxRelay(self.engine, config, self.service)

    def start(self) -> None:
        self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def stop(self) -> None:
        self.relay.stop()
        self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> UnitOfWork:
        inbox_key = None
        context = dict(worker_ctx.context_data)
        key_of = getattr(worker_ctx.entrypoint, "inbox_key", None)
        if key_of is not None:
            inbox_key = key_of(worker_ctx)
            # What an event makes happen is done by the platform, in the event's name.
            entrypoint = worker_ctx.entrypoint
            context["actor"] = f"event:{entrypoint.source_service}.{entrypoint.event_type}"
            context["role"] = "system"
        unit = UnitOfWork(
            self.sessions,
            self.service,
            self.tenant,
            context,
            inbox_key=inbox_key,
            on_events_committed=self.relay.wake,
        )
        self._units[worker_ctx] = unit
        return unit

    def worker_teardown(self, worker_ctx: Any) -> None:
        unit = self._units.pop(worker_ctx, None)
        if unit is not None:
            unit.close()
