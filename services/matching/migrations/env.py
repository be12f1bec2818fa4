"""Alembic environment of the matching service (its tables and the kit's)."""

from servicekit.migrations import run_env
from services.matching.models import Base

run_env(Base.metadata)
