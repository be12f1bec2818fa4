"""Waiting and reading helpers for the integration tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import eventlet
from sqlalchemy import func, select

from servicekit.db import make_engine
from servicekit.tables import audit_log, outbox


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; fail the test with what it last returned."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value:
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        eventlet.sleep(interval)
        value = predicate()
    return value


def received(database_url_template: str, service: str = "kitconsumer") -> list[dict]:
    """Audit rows a test consumer wrote, one per applied event, in order of application."""
    engine = make_engine(database_url_template.format(service=service))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(audit_log.c.entity_id, audit_log.c.after)
                .where(audit_log.c.action == "thing.received")
                .order_by(audit_log.c.id)
            ).all()
    finally:
        engine.dispose()
    return [{"thing_id": r.entity_id, **r.after} for r in rows]


def unpublished(database_url_template: str, service: str = "kitproducer") -> int:
    engine = make_engine(database_url_template.format(service=service))
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(outbox.c.published_at.is_(None))
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()
