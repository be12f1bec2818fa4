"""What every service class shares: correlation context, caller, clock, ``ping``, ``rpc``."""

from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc as nameko_rpc

from servicekit.auth import Caller
from servicekit.clock import ClockProvider
from servicekit.config import tenant_of
from servicekit.errors import DomainError
from servicekit.logs import CorrelationContext

# nameko's @rpc, except that a domain refusal is logged as an expected outcome (a warning),
# not as a worker crash with a traceback.
rpc = nameko_rpc(expected_exceptions=DomainError)


class KitService:
    """Base class of the platform's nameko services (each sets ``name`` and its ``db``)."""

    name: str
    config = Config()
    correlation = CorrelationContext()
    caller = Caller()  # the Principal of the request, re-checked against this tenant
    clock = ClockProvider()

    @rpc
    def ping(self) -> dict[str, str]:
        """Liveness through the broker: the gateway's /readyz calls this on every service."""
        return {"service": self.name, "tenant": tenant_of(self.config), "status": "ok"}
