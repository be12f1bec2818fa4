"""Alembic environment of the evaluation service (its tables and the kit's)."""

from servicekit.migrations import run_env
from services.evaluation.models import Base

run_env(Base.metadata)
