"""A running matching service, the people who use it, a real SMTP server and a webhook
receiver on loopback, for the matching service's integration tests."""

from __future__ import annotations

import json
import mailbox
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kombu import Connection, Exchange
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from servicekit.clock import SHANGHAI, set_clock_file
from servicekit.db import make_engine
from servicekit.envelope import make_envelope
from servicekit.tables import audit_log, outbox
from servicekit.tenants import CITY
from services.matching.service import MatchingService
from tests.integration.helpers import wait_for

# The platform's "today" in these tests; demand deadlines are dated from it.
TODAY = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)

CITY_HR = {"actor": "city-1", "role": "city_hr"}
AUDITOR = {"actor": "audit-1", "role": "auditor"}


def district_hr(district: str) -> dict[str, str]:
    return {"actor": f"dist-{district}", "role": "district_hr", "district": district}


def enterprise(org: str) -> dict[str, str]:
    return {"actor": f"user-{org}", "role": "enterprise", "organisation": org}


def expert(expert_id: str) -> dict[str, str]:
    return {"actor": f"user-{expert_id}", "role": "expert", "expert": expert_id}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """aiosmtpd in its own process (asyncio and eventlet do not share a process well),
    delivering into a Maildir the test reads."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.maildir = folder / "maildir"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        wait_for(self._listening, timeout=15)

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def messages(self) -> list[dict[str, str]]:
        if not self.maildir.exists():
            return []
        out = []
        for message in mailbox.Maildir(str(self.maildir), create=False):
            body = message.get_payload(decode=True).decode(message.get_content_charset())
            out.append({"to": message["To"], "subject": str(make_header(
                decode_header(message["Subject"]))), "body": body})
        return out

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class WebhookReceiver:
    """An HTTP server on loopback that records each POST and answers with the next status of
    ``statuses`` (then 200 for ever)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/talent"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def publish_station_event(config: dict, event_type: str, payload: dict[str, Any]) -> None:
    """Publish an applications station event as the applications service would: a valid
    envelope of the real contract, on its events exchange."""
    envelope = make_envelope("applications", CITY, event_type, payload, None)
    exchange = Exchange("applications.events", type="topic", durable=True)
    with Connection(config["AMQP_URI"]) as conn:
        conn.Producer().publish(envelope, exchange=exchange, routing_key=event_type,
                                serializer="json", declare=[exchange])


def publish_station_approved(config: dict, **overrides: Any) -> dict[str, Any]:
    """Publish applications.station_approved for st-1 (``overrides`` change its payload)."""
    payload = {
        "station_id": "st-1", "application_id": "app-1", "plaque_number": "WHRCYZ-2026-001",
        "name": "威海碳纤维产业人才驿站", "station_type": "innovation",
        "host_unit_id": "hu-1", "host_unit_name": "威海火炬高技术产业开发区管委会",
        "district": "371071", "approved_on": "2026-02-20", "policy_version": "2020-10",
        **overrides,
    }
    publish_station_event(config, "station_approved", payload)
    return payload


class World:
    def __init__(self, config: dict, database_url_template: str) -> None:
        self.config = config
        self._stack = ExitStack()
        self._proxies: dict[tuple, Any] = {}
        self.database_url = database_url_template.format(service="matching")
        self.clock_file: Path | None = None

    def as_(self, principal: dict[str, str]) -> Any:
        key = tuple(sorted(principal.items()))
        if key not in self._proxies:
            self._proxies[key] = self._stack.enter_context(
                ServiceRpcProxy("matching", self.config, context_data=principal))
        return self._proxies[key]

    @property
    def city(self) -> Any:
        return self.as_(CITY_HR)

    def close(self) -> None:
        self._stack.close()

    def rows(self, table: Any, *where: Any) -> list[Any]:
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return conn.execute(select(table).where(*where)).all()
        finally:
            engine.dispose()

    def audits(self, action: str) -> list[Any]:
        return self.rows(audit_log, audit_log.c.action == action)

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [r.envelope["payload"] for r in self.rows(outbox, outbox.c.event_type == event_type)]

    def counts(self) -> tuple[int, int]:
        """(audit rows, outbox rows): a refusal leaves both as they were."""
        return len(self.rows(audit_log)), len(self.rows(outbox))


def start_world(container_factory: Any, service_config: dict, database_url_template: str,
                tmp_path: Path, smtp_port: int | None = None) -> Iterator[World]:
    """The matching service on the test's vhost and database, its clock at TODAY; email goes
    to ``smtp_port`` (by default a port nothing listens on)."""
    clock_file = tmp_path / "clock"
    set_clock_file(clock_file, TODAY)
    config = {
        **service_config,
        "CLOCK_FILE": str(clock_file),
        "DELIVERY_POLL_SECONDS": 0.2,
        "DELIVERY_RETRY_SECONDS": 0.3,
        "DELIVERY_MAX_ATTEMPTS": 3,
        "DELIVERY_TIMEOUT_SECONDS": 5,
        "SMTP_PORT": smtp_port or free_port(),
        # The webhook receiver of these tests is plain HTTP on loopback (webhook_targets).
        "WEBHOOK_REQUIRE_HTTPS": False,
        "WEBHOOK_ALLOWED_NETWORKS": ["127.0.0.1/32"],
    }
    container = container_factory(MatchingService, config)
    container.start()
    w = World(config, database_url_template)
    w.clock_file = clock_file
    yield w
    w.close()


def payload_of(request: dict[str, Any]) -> dict[str, Any]:
    return json.loads(request["body"])
