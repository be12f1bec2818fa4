"""Structured JSON logs that carry the correlation id of the work being done.

The correlation id lives in a ContextVar: greenlet 3 gives every eventlet greenthread its own
context, so each nameko worker sees only its own id.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar

from nameko.extensions import DependencyProvider
from pythonjsonlogger.json import JsonFormatter

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)

CORRELATION_KEY = "correlation_id"


class _ContextFilter(logging.Filter):
    def __init__(self, service: str, tenant: str) -> None:
        super().__init__()
        self.service = service
        self.tenant = tenant

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id.get()
        record.service = self.service
        record.tenant = self.tenant
        return True


def setup_logging(service: str, tenant: str, level: str = "INFO") -> None:
    """One JSON object per line on stderr, with service, tenant and correlation id."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(tenant)s "
            "%(correlation_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_ContextFilter(service, tenant))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic narrates every migration step at INFO; its warnings are what an operator needs.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def correlation_from(context_data: dict) -> str | None:
    """The correlation id nameko carried in message headers (gateway → RPC → events)."""
    value = context_data.get(CORRELATION_KEY)
    if value:
        return str(value)
    stack = context_data.get("call_id_stack") or []
    return str(stack[0]) if stack else None


class CorrelationContext(DependencyProvider):
    """Sets the worker's correlation id for its logs, and keeps it in the context data so
    nameko passes it on to every RPC call and event the worker makes."""

    def worker_setup(self, worker_ctx) -> None:
        value = correlation_from(worker_ctx.context_data) or worker_ctx.call_id
        worker_ctx.context_data.setdefault(CORRELATION_KEY, value)
        correlation_id.set(value)

    def worker_teardown(self, worker_ctx) -> None:
        correlation_id.set(None)
