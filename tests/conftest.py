"""Fixtures shared by the suite.

Every test gets its own RabbitMQ vhost (nameko's ``rabbit_config``) and its own databases:
SQLite files in a temporary folder, or, when TEST_DATABASE_URL points at PostgreSQL, one
schema per service in that database, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from psycogreen.eventlet import patch_psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from servicekit.db import make_engine
from servicekit.tenants import CITY

# As in production (servicekit/run.py): PostgreSQL waits yield to other greenthreads.
patch_psycopg()

# Services whose databases a test may create: the platform's and the suite's own test services.
SERVICE_NAMES = ("applications", "evaluation", "subsidy", "matching", "kitproducer", "kitconsumer")


@pytest.fixture
def database_url_template(tmp_path: Any) -> Iterator[str]:
    """A DATABASE_URL template with {service}: fresh, empty databases for this test."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path}/db/{{service}}.sqlite3"
        return
    prefix = f"t{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in SERVICE_NAMES:
            conn.execute(text(f'CREATE SCHEMA "{prefix}_{name}"'))
    separator = "&" if make_url(base).query else "?"
    yield f"{base}{separator}options=-csearch_path%3D{prefix}_{{service}}"
    with admin.connect() as conn:
        for name in SERVICE_NAMES:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{prefix}_{name}" CASCADE'))
    admin.dispose()


@pytest.fixture
def database_url(database_url_template: str) -> str:
    """One fresh database (for tests of the kit without a service)."""
    return database_url_template.format(service="kitproducer")


@pytest.fixture
def engine(database_url: str) -> Iterator[Any]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def service_config(rabbit_config: dict, database_url_template: str, tmp_path: Any) -> dict:
    """nameko config of one tenant's services on this test's vhost and databases."""
    return {
        **rabbit_config,
        "TENANT": CITY,
        "DATABASE_URL": database_url_template,
        "VAR_DIR": str(tmp_path / "var"),
        "EVENT_RETRIES": 2,
        "EVENT_RETRY_DELAY_MS": 100,
        "OUTBOX_POLL_SECONDS": 0.2,
    }
