"""Alembic environment of the gateway's own database (its users and audit trail)."""

from gateway.store import metadata
from servicekit.migrations import run_env

run_env(metadata)
