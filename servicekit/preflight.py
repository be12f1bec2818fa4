"""Checks run before a service starts: the broker and the database answer, or one clear
message says what to start."""

from __future__ import annotations

from kombu import Connection
from kombu.utils.url import maybe_sanitize_url
from sqlalchemy import text

from servicekit.db import make_engine


class PreflightError(Exception):
    """What is missing and what to run; printed as is, without a traceback."""


def check_broker(amqp_uri: str) -> None:
    try:
        with Connection(amqp_uri, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=2, interval_start=0.5, interval_step=0.5)
    except Exception as exc:
        raise PreflightError(
            f"RabbitMQ is not reachable at {maybe_sanitize_url(amqp_uri)} ({exc}).\n"
            "Start it with `rabbitmq-server -detached` (as root), or run `make services`, "
            "which installs and starts it."
        ) from None


def check_database(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = (
            "Start PostgreSQL with `pg_ctlcluster --skip-systemctl-redirect "
            "$(ls /etc/postgresql) main start` and create the database."
            if engine.dialect.name == "postgresql"
            else "Check that the folder is writable."
        )
        raise PreflightError(
            f"The database {engine.url.render_as_string(hide_password=True)} "
            f"is not usable ({first_line}).\n{hint}"
        ) from None
    finally:
        engine.dispose()
