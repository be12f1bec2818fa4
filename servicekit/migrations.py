"""Alembic, run from code: each service's migrations cover its tables and the kit's."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from eventlet.semaphore import Semaphore
from sqlalchemy import Engine, MetaData

from servicekit.engines import make_engine
from servicekit.tables import metadata as kit_metadata

KIT_VERSIONS = Path(__file__).with_name("kit_migrations")


def alembic_config(script_location: str, engine: Engine | None = None) -> Config:
    """Alembic config of one service: its own version branch plus the kit's ("kit")."""
    package, _, folder = script_location.partition(":")
    service_versions = Path(importlib.import_module(package).__file__).parent / folder / "versions"
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("path_separator", "os")
    locations = os.pathsep.join(map(str, (service_versions, KIT_VERSIONS)))
    config.set_main_option("version_locations", locations)
    if engine is not None:
        url = engine.url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser syntax
        config.attributes["engine"] = engine
    return config


# Alembic's migration context is process-global: containers starting side by side in one
# process (a ServiceRunner) must migrate one at a time.
_one_at_a_time = Semaphore(1)


def upgrade(engine: Engine, script_location: str, revision: str = "heads") -> None:
    """Bring the database to ``revision``; already there, it changes nothing."""
    with _one_at_a_time:
        command.upgrade(alembic_config(script_location, engine), revision)


def run_env(service_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (online mode only: we migrate live DBs)."""
    engine = context.config.attributes.get("engine") or make_engine(
        context.config.get_main_option("sqlalchemy.url")
    )
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=[kit_metadata, service_metadata],
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
