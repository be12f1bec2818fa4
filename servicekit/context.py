"""The one calling convention of every use case: ``usecase(ctx, data)``.

A service's entrypoint builds a :class:`Context` from its worker's dependencies (``self.context()``
on :class:`servicekit.base.KitService`) and passes it on; a use case reads the unit of work,
the caller, the clock and the tenant from it and nothing from nameko.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from servicekit.auth import Principal
from servicekit.clock import Clock
from servicekit.db import UnitOfWork
from servicekit.tenants import Tenant


@dataclass
class Context:
    """What a use case needs of its worker."""

    uow: UnitOfWork
    principal: Principal
    clock: Clock
    tenant: Tenant
    # Service-specific collaborators (an attachment store, a search index, a notifier), by name.
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.clock.today()

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not fields: ``ctx.store`` reads ``extras["store"]``.
        extras = self.__dict__.get("extras", {})
        if name in extras:
            return extras[name]
        raise AttributeError(name)
