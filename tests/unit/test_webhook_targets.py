"""No SSRF through an enterprise's webhook (issue 13, item 1): which addresses are refused, at
save and at send, and that a send connects to the checked address and follows no redirect."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from services.matching import notify
from services.matching.webhook_targets import TargetPolicy, TargetRefused, check_saved

STRICT = TargetPolicy()
DEMO = TargetPolicy(require_https=False)
LOOPBACK_ALLOWED = TargetPolicy(require_https=False,
                                allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))


@pytest.mark.parametrize(("url", "reason"), [
    ("http://example.com/hook", "scheme"),
    ("ftp://example.com/hook", "scheme"),
    ("https://user:pw@example.com/hook", "credentials"),
    ("https://127.0.0.1/hook", "loopback"),
    ("https://localhost:5432/", "loopback"),
    ("https://api.localhost/", "loopback"),
    ("https://[::1]/", "loopback"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://0x7f000001/", "loopback"),
    ("https://2130706433/", "loopback"),
    ("https://127.1/", "loopback"),
    ("https://017700000001/", "loopback"),
    ("https://[::ffff:127.0.0.1]/", "loopback"),
    ("https://10.1.2.3/", "private"),
    ("https://192.168.1.1/", "private"),
    ("https://100.64.0.1/", "not public"),
    ("https://224.0.0.1/", "multicast"),
    ("https://0.0.0.0/", "unspecified"),
    ("https://203.0.113.9/", "private"),
    ("https://[fe80::1]/", "link-local"),
])
def test_addresses_that_are_not_public_https_are_refused_at_save(url: str, reason: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        check_saved(url, STRICT)
    assert refused.value.reason == reason


def test_a_public_address_passes_and_https_is_configurable() -> None:
    assert check_saved("https://93.184.216.34:8443/hooks?x=1", TargetPolicy()).host_header \
        == "93.184.216.34:8443"
    with pytest.raises(TargetRefused):
        check_saved("http://8.8.8.8/hook", STRICT)
    assert check_saved("http://8.8.8.8/hook", DEMO).scheme == "http"
    assert TargetPolicy.from_config({"WEBHOOK_REQUIRE_HTTPS": "false"}).require_https is False
    assert check_saved("http://127.0.0.1:9/x", LOOPBACK_ALLOWED).port == 9


class Receiver:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.seen: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.seen.append(dict(self.headers))
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(200)
    yield r
    r.server.shutdown()
    r.server.server_close()


def _settings(policy: TargetPolicy) -> notify.DeliverySettings:
    return notify.DeliverySettings(timeout_seconds=3, targets=policy)


def test_a_send_to_a_refused_address_reaches_nothing_and_says_so_generally(receiver) -> None:
    for url in (f"http://127.0.0.1:{receiver.port}/h", f"http://localhost:{receiver.port}/h",
                f"http://0x7f000001:{receiver.port}/h"):
        with pytest.raises(notify.DeliveryFailed) as failed:
            notify.post_webhook(_settings(DEMO), url, "s" * 16, "d-1", {"event": "x"})
        assert str(failed.value) == ("The webhook address is not allowed: it must be a public "
                                     "HTTPS address.")
    assert receiver.seen == []


def test_a_send_connects_to_the_checked_address_with_the_name_as_host(receiver) -> None:
    url = f"http://localhost:{receiver.port}/h"
    assert notify.post_webhook(_settings(LOOPBACK_ALLOWED), url, "s" * 16, "d-1",
                               {"event": "x"}) == "HTTP 200"
    assert receiver.seen[0]["Host"] == f"localhost:{receiver.port}"


def test_a_redirect_is_not_followed_and_an_unreachable_port_is_said_generally() -> None:
    redirecting = Receiver(302, {"Location": "http://169.254.169.254/latest"})
    try:
        with pytest.raises(notify.DeliveryFailed, match="answered HTTP 302"):
            notify.post_webhook(_settings(LOOPBACK_ALLOWED),
                                f"http://127.0.0.1:{redirecting.port}/h", "s" * 16, "d", {})
        assert len(redirecting.seen) == 1
    finally:
        redirecting.server.shutdown()
        redirecting.server.server_close()
    with pytest.raises(notify.DeliveryFailed) as failed:
        notify.post_webhook(_settings(LOOPBACK_ALLOWED), "http://127.0.0.1:1/h", "s" * 16, "d",
                            {})
    assert str(failed.value) == "The webhook receiver could not be reached."
