"""A bounded pool of started nameko standalone RPC proxies, shared by the gateway's threads,
and the routes that send each request to the tenant that owns its data.

Opening a proxy costs a broker connection and a reply queue, so proxies are started lazily,
at most ``size`` of them, and reused: a thread checks one out for one call and returns it.
A proxy whose call failed below the RPC layer (connection lost, timeout) is stopped and
dropped, and the next checkout starts a fresh one in its place.

Tenants (DESIGN.md §4): with ``TENANT_BROKERS`` (tenant → AMQP URI of its vhost or broker)
and ``TENANT_SERVICES`` (tenant → the services it runs itself; all when absent), a request
goes to its tenant's own instance of the service, else to the city's, which serves every
district that runs no instance of its own. The tenant is the district_hr's own district
(R13.1: naming another is refused), else the ``X-Tenant`` header, else the city. A header
naming no tenant of Weihai is a 404.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from amqp.exceptions import AMQPError
from flask import current_app, g, request
from kombu.exceptions import OperationalError
from nameko.containers import WorkerContext
from nameko.exceptions import BadRequest, RemoteError, RpcTimeout, UnknownService
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ClusterRpcProxy

from gateway.auth import current_principal
from gateway.errors import ServiceUnavailable, UpstreamError, request_language
from servicekit.config import tenant_of
from servicekit.errors import DomainError, Forbidden, NotFound
from servicekit.logs import CORRELATION_KEY
from servicekit.tenants import CITY, TENANTS

log = logging.getLogger(__name__)

EXTENSION = "gateway.rpc"  # the pool of the gateway's own tenant (the city)
ROUTES = "gateway.rpc.routes"  # the other tenants' pools, when TENANT_BROKERS is configured
TENANT_HEADER = "X-Tenant"

# Observes one call's duration: (service, method, seconds).
LatencyObserver = Callable[[str, str, float], None]


class _Proxy(ClusterRpcProxy):
    """A ClusterRpcProxy whose calls each carry their own context data.

    A standalone proxy fixes its context data when built; a pooled one serves many requests,
    so every call gets a worker context of its own on the proxy's one reply queue.
    """

    def call(self, service: str, method: str, args: tuple[Any, ...], context: dict) -> Any:
        worker_ctx = WorkerContext(
            self._worker_ctx.container, service=None, entrypoint=self.Dummy, data=dict(context)
        )
        method_proxy = getattr(ServiceProxy(worker_ctx, service, self._reply_listener), method)
        reply = method_proxy.call_async(*args)
        try:
            return reply.result()
        except RemoteError:
            # nameko rebuilds only the error classes this process imported; any other domain
            # error is rebuilt from the payload it travelled in, with its own status.
            refusal = DomainError.from_remote(reply.resp_body["error"])
            if refusal is None:
                raise
            raise refusal from None


class RpcPool:
    """At most ``size`` started proxies. A call waits up to ``timeout`` for a free proxy,
    then up to ``timeout`` for the answer."""

    def __init__(
        self,
        config: dict[str, Any],
        size: int,
        timeout: float,
        observe: LatencyObserver | None = None,
    ) -> None:
        self._config = config
        self._timeout = timeout
        self._observe = observe
        self._slots = threading.BoundedSemaphore(size)
        self._idle: queue.LifoQueue[_Proxy] = queue.LifoQueue()
        self._started_lock = threading.Lock()
        self.size = size
        self.started = 0  # proxies started over the pool's life: reuse keeps it near size

    def call(self, service: str, method: str, args: tuple[Any, ...], context: dict) -> Any:
        """``service.method(*args)``; a service's DomainError is re-raised as is."""
        started_at = time.perf_counter()
        try:
            with self._proxy(service) as proxy:
                return proxy.call(service, method, args, context)
        finally:
            if self._observe is not None:
                self._observe(service, method, time.perf_counter() - started_at)

    def close(self) -> None:
        """Stop every idle proxy (at shutdown)."""
        while True:
            try:
                _stop(self._idle.get_nowait())
            except queue.Empty:
                return

    @contextmanager
    def _proxy(self, service: str) -> Iterator[_Proxy]:
        if not self._slots.acquire(timeout=self._timeout):
            raise ServiceUnavailable.of(service, "gateway_busy")
        try:
            proxy = self._checkout()
            try:
                yield proxy
            except (DomainError, RemoteError, BadRequest, UnknownService):
                # An answer (or a refusal to route) came back: the proxy is sound.
                self._idle.put(proxy)
                raise
            except BaseException:
                # After a timeout a late reply could still land on this reply queue and
                # stretch the next call's wait; after a socket error the queue may be gone.
                _stop(proxy)
                raise
            else:
                self._idle.put(proxy)
        except UnknownService:
            raise ServiceUnavailable.of(service, "not_running") from None
        except RpcTimeout:
            raise ServiceUnavailable.of(service, "timeout") from None
        except (RemoteError, BadRequest) as exc:
            # The service's traceback stays in its own log; the client gets no internals.
            log.error("RPC to %s failed remotely: %r", service, exc)
            raise UpstreamError.of(service) from None
        except (OSError, AMQPError, OperationalError, RuntimeError) as exc:
            # Socket, AMQP and kombu connection errors; nameko's reply consumer raises
            # RuntimeError once its connection is gone.
            log.warning("RPC to %s lost its broker connection: %r", service, exc)
            raise ServiceUnavailable.of(service, "broker_unreachable") from None
        finally:
            self._slots.release()

    def _checkout(self) -> _Proxy:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        proxy = _Proxy(self._config, timeout=self._timeout)
        proxy.start()
        with self._started_lock:
            self.started += 1
        return proxy


def _stop(proxy: _Proxy) -> None:
    try:
        proxy.stop()
    except Exception as exc:  # a broken connection may fail to close; it is dropped anyway
        log.debug("stopping a broken RPC proxy failed: %r", exc)


def request_context() -> dict[str, str]:
    """The context data of RPCs made for the current request (nameko sends it as headers):
    the request id as correlation id, and the principal as the services' ``Caller`` reads it
    (actor, role, district, organisation, expert)."""
    principal = current_principal()
    context = {
        CORRELATION_KEY: g.request_id,
        "actor": principal.actor,
        "role": principal.role,
        "district": principal.district,
        "organisation": principal.organisation,
        "expert": principal.expert,
        "origin": request.remote_addr,
        "language": request_language(),
    }
    return {key: value for key, value in context.items() if value is not None}


class TenantRoutes:
    """tenant → the pool of its own broker, for the services it runs itself."""

    def __init__(self, home: str, pools: dict[str, RpcPool],
                 services: dict[str, frozenset[str]]) -> None:
        self.home = home
        self.pools = pools
        self.services = services

    @classmethod
    def from_config(cls, config: dict[str, Any], size: int, timeout: float,
                    observe: LatencyObserver | None = None) -> TenantRoutes | None:
        """None without TENANT_BROKERS (one tenant: everything goes to AMQP_URI)."""
        brokers = {str(k): v for k, v in (config.get("TENANT_BROKERS") or {}).items()}
        if not brokers:
            return None
        home = tenant_of(config)
        if home != CITY:
            raise ValueError("TENANT_BROKERS: the gateway that routes between tenants is the "
                             f"city's (TENANT {CITY}), not {home}'s")
        listed = {str(k): v for k, v in (config.get("TENANT_SERVICES") or {}).items()}
        unknown = sorted((set(brokers) | set(listed)) - set(TENANTS))
        if unknown:
            raise ValueError(f"TENANT_BROKERS/TENANT_SERVICES: unknown tenants {unknown}")
        pools, services = {}, {}
        for tenant, amqp_uri in brokers.items():
            if tenant == home:
                continue
            pools[tenant] = RpcPool({**config, "AMQP_URI": amqp_uri}, size, timeout, observe)
            services[tenant] = frozenset(listed.get(tenant) or ())
        return cls(home, pools, services)

    def pool(self, tenant: str, service: str) -> RpcPool | None:
        """The pool of ``tenant``'s own instance of ``service``; None: the home tenant's."""
        if tenant in self.pools and (not self.services[tenant]
                                     or service in self.services[tenant]):
            return self.pools[tenant]
        return None

    def close(self) -> None:
        for pool in self.pools.values():
            pool.close()


def check_tenant_header() -> None:
    """Before any view: a request naming a tenant that does not exist is a 404."""
    asked = request.headers.get(TENANT_HEADER)
    if asked is not None and asked not in TENANTS:
        raise NotFound(
            "tenant.not_found",
            f"No tenant {asked!r}; tenants: {', '.join(TENANTS)}.",
            f"不存在租户（{asked}）。",
            {"header": TENANT_HEADER, "tenant": asked, "known": list(TENANTS)},
        )


def request_tenant() -> str:
    """The tenant that owns the current request's data (see the module's docstring)."""
    principal = current_principal()
    asked = request.headers.get(TENANT_HEADER) or None
    if principal.role == "district_hr" and principal.district:
        if asked is not None and asked != principal.district:
            raise Forbidden(
                "forbidden.tenant",
                f"District {principal.district} may not act at tenant {asked}.",
                f"区市（{principal.district}）不能访问其他租户（{asked}）的数据。",
                {"header": TENANT_HEADER, "tenant": asked, "rule": "R13.1"},
            )
        return principal.district
    return asked or CITY


def call(service: str, method: str, *args: Any) -> Any:
    """``service.method(*args)`` for the current request, through the pool of the tenant
    that owns it."""
    # The tenant first, routes or not: naming another district is refused either way.
    tenant = request_tenant()
    routes: TenantRoutes | None = current_app.extensions.get(ROUTES)
    pool = routes.pool(tenant, service) if routes is not None else None
    if pool is None:
        pool = current_app.extensions[EXTENSION]
    return pool.call(service, method, args, request_context())
