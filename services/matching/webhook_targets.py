"""Where an enterprise's webhook may point, and sending to it without server-side request
forgery (SSRF).

A webhook address is the enterprise's to choose, so the platform must not become its probe of
the intranet: an address is refused when it is not HTTPS (``WEBHOOK_REQUIRE_HTTPS``, off only
for a local demo), carries credentials, or names or resolves to an address that is not public
(loopback, private, link-local, carrier-grade NAT, multicast, reserved, unspecified, IPv4 in
IPv6 of those). Checked when the enterprise saves it and again at every send: the name is
resolved, every address checked, and the request connects to the checked address itself (with
the name as Host and for TLS), so a DNS answer that changes between check and connect (DNS
rebinding) reaches nothing else. Redirects are never followed. ``WEBHOOK_ALLOWED_NETWORKS``
lists networks an operator trusts even so (a test's loopback receiver, an intranet of
enterprises).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

import urllib3

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NUMERIC_V4 = re.compile(r"(0[xX][0-9a-fA-F]+|[0-9]+)(\.(0[xX][0-9a-fA-F]+|[0-9]+)){0,3}")
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefused(Exception):
    """The address may not be called; ``reason`` is a short word, the message says more."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class TargetPolicy:
    require_https: bool = True
    allowed_networks: tuple[IpNetwork, ...] = ()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> TargetPolicy:
        require = config.get("WEBHOOK_REQUIRE_HTTPS", True)
        if isinstance(require, str):  # ${VAR:false} in YAML arrives as text
            require = require.strip().lower() not in ("0", "false", "no", "off")
        return cls(bool(require), tuple(ipaddress.ip_network(str(n), strict=False)
                                        for n in config.get("WEBHOOK_ALLOWED_NETWORKS") or ()))


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def parse(url: str, policy: TargetPolicy) -> Target:
    """The target of ``url`` by its syntax alone; TargetRefused if it may not be one."""
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("malformed", "The webhook address is not a valid URL.") from None
    schemes = ("https",) if policy.require_https else ("https", "http")
    if parts.scheme not in schemes:
        raise TargetRefused("scheme", f"The webhook address must use {' or '.join(schemes)}.")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("credentials", "The webhook address may not carry credentials.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("malformed", "The webhook address names no host.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


def refusal(address: IpAddress, policy: TargetPolicy) -> str | None:
    """Why the platform may not connect to ``address`` (None: it may)."""
    if any(address in network for network in policy.allowed_networks):
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        return refusal(mapped, policy)
    for reason, flag in (("loopback", address.is_loopback),
                         ("link-local", address.is_link_local),
                         ("multicast", address.is_multicast),
                         ("unspecified", address.is_unspecified),
                         ("reserved", address.is_reserved), ("private", address.is_private)):
        if flag:
            return reason
    return None if address.is_global else "not public"


def _check_all(addresses: Iterable[IpAddress], policy: TargetPolicy) -> list[IpAddress]:
    checked = list(addresses)
    for address in checked:
        reason = refusal(address, policy)
        if reason:
            raise TargetRefused(reason, f"The webhook address resolves to a {reason} address "
                                        "(only public addresses may be called).")
    return checked


def _literal(host: str) -> IpAddress | None:
    """The address ``host`` writes as a number, in any form C's inet_aton takes too
    ("0x7f000001", "2130706433", "127.1"), so no resolver can read it otherwise."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not _NUMERIC_V4.fullmatch(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def resolve(target: Target, policy: TargetPolicy) -> list[IpAddress]:
    """Every address ``target`` names, each checked; TargetRefused if any is not allowed,
    OSError if the name does not resolve."""
    literal = _literal(target.host)
    if literal is not None:
        return _check_all([literal], policy)
    if target.host.lower() == "localhost" or target.host.lower().endswith(".localhost"):
        return _check_all([ipaddress.ip_address("127.0.0.1")], policy)  # RFC 6761
    found = socket.getaddrinfo(target.host, target.port, 0, socket.SOCK_STREAM)
    addresses = {ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in found}
    if not addresses:
        raise OSError(f"{target.host} has no address")
    return _check_all(sorted(addresses, key=lambda a: (a.version, int(a))), policy)


def check_saved(url: str, policy: TargetPolicy) -> Target:
    """The check when an enterprise saves ``url``: its syntax, and the addresses its name
    resolves to now (a name that does not resolve yet is checked again at every send)."""
    target = parse(url, policy)
    with contextlib.suppress(OSError):  # not resolvable (yet): every send resolves again
        resolve(target, policy)
    return target


def post(url: str, policy: TargetPolicy, body: bytes, headers: dict[str, str],
         timeout: float) -> int:
    """POST ``body`` to ``url`` at an address checked now; the answer's status. TargetRefused
    if the address may not be called; urllib3's errors if it cannot be reached."""
    target = parse(url, policy)
    address = resolve(target, policy)[0]
    options: dict[str, Any] = {"timeout": urllib3.Timeout(total=timeout), "retries": False,
                               "maxsize": 1}
    if target.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            str(address), target.port, server_hostname=target.host,
            assert_hostname=target.host, cert_reqs="CERT_REQUIRED", **options)
    else:
        pool = urllib3.HTTPConnectionPool(str(address), target.port, **options)
    with pool:
        response = pool.urlopen("POST", target.path, body=body,
                                headers={**headers, "Host": target.host_header},
                                redirect=False, assert_same_host=False, preload_content=True)
        return response.status
