"""What every service class shares: its correlation context and the ``ping`` RPC."""

from __future__ import annotations

from nameko.dependency_providers import Config
from nameko.rpc import rpc

from servicekit.config import tenant_of
from servicekit.logs import CorrelationContext


class KitService:
    """Base class of the platform's nameko services (each sets ``name`` and its ``db``)."""

    name: str
    config = Config()
    correlation = CorrelationContext()

    @rpc
    def ping(self) -> dict[str, str]:
        """Liveness through the broker: the gateway's /readyz calls this on every service."""
        return {"service": self.name, "tenant": tenant_of(self.config), "status": "ok"}
