"""Alembic environment of the subsidy service (its tables and the kit's)."""

from servicekit.migrations import run_env
from services.subsidy.models import Base

run_env(Base.metadata)
