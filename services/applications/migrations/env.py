"""Alembic environment of the applications service (its tables and the kit's)."""

from servicekit.migrations import run_env
from services.applications.models import Base

run_env(Base.metadata)
