"""What every service class shares: correlation context, caller, clock, ``ping``, ``rpc``."""

from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc as nameko_rpc

from servicekit.auth import Caller
from servicekit.clock import ClockProvider
from servicekit.config import tenant_of
from servicekit.context import Context
from servicekit.errors import DomainError
from servicekit.logs import CorrelationContext
from servicekit.tenants import Tenant, get_tenant

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

    @property
    def tenant(self) -> Tenant:
        """The tenant this instance serves (configured as TENANT; the city by default)."""
        return get_tenant(tenant_of(self.config))

    def context(self, **extras: object) -> Context:
        """The use cases' context for this worker: its unit of work (``self.db``), caller,
        clock and tenant, plus any service-specific collaborators."""
        return Context(self.db, self.caller, self.clock, self.tenant, dict(extras))

    @rpc
    def ping(self) -> dict[str, str]:
        """Liveness through the broker: the gateway's /readyz calls this on every service."""
        return {"service": self.name, "tenant": tenant_of(self.config), "status": "ok"}
