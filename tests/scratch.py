"""A throwaway topology on the local RabbitMQ and PostgreSQL, for tests and benchmarks:
vhosts, a federation user, databases with a unique prefix, all removed afterwards."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from deploy.provision import apply, remove
from deploy.rabbitmq import Management, ManagementError
from deploy.topology import Topology, from_dict

BROKER = "amqp://guest:guest@127.0.0.1:5672"
MANAGEMENT = "http://guest:guest@127.0.0.1:15672"


@contextmanager
def scratch_topology(tenants: dict[str, list[str]], database_url: str, *,
                     broker: str = BROKER, management_url: str = MANAGEMENT,
                     reconnect_delay_seconds: int = 1) -> Iterator[Topology]:
    """``database_url``: a template with {tenant} and {service}; ``{prefix}`` in it is this
    topology's unique prefix (so PostgreSQL databases are new ones)."""
    prefix = f"wh{uuid.uuid4().hex[:10]}"
    user, password = f"{prefix}-federation", secrets.token_hex(12)
    host = urlsplit(broker)
    topology = from_dict({
        "broker": broker,
        "vhost": f"{prefix}-{{tenant}}",
        "management_url": management_url,
        # The brokers federate as a user of their own, so a test can take the links down.
        "federation_uri": f"amqp://{user}:{password}@{host.hostname}:{host.port or 5672}/"
                          f"{prefix}-{{tenant}}",
        "database_url": database_url.replace("{prefix}", prefix),
        "reconnect_delay_seconds": reconnect_delay_seconds,
        "tenants": tenants,
        "prefix": prefix,
        "federation_user": user,
        "federation_password": password,
    })
    management = Management(management_url)
    management.put_user(user, password)
    try:
        apply(topology)
        yield topology
    finally:
        _patiently(lambda: remove(topology, drop=True))
        _patiently(lambda: management.delete_user(user))


def _patiently(clean: Callable[[], None], timeout: float = 120.0) -> None:
    """Clean up even if the broker is restarting (a test elsewhere may restart it)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            clean()
            return
        except ManagementError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
