"""The `make run` stack in a throwaway folder: ``python -m deploy.local.launch`` on its own
RabbitMQ vhost, with free ports and a CLOCK_FILE, until the demo data is loaded and the portal
answers. The browser tests and bench/portal.py run against it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
RABBIT_API = os.environ.get("RABBITMQ_API", "http://127.0.0.1:15672/api")
RABBIT_AUTH = ("guest", "guest")
READY_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Sandbox:
    """Addresses and files of the running stack."""

    portal_url: str
    gateway_url: str
    amqp_uri: str
    var_dir: Path
    clock_file: Path
    log: Path

    def set_clock(self, instant: str) -> None:
        """Move the platform's clock (servicekit/clock.py reads this file), e.g. past a window."""
        self.clock_file.write_text(instant + "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, check: Callable[[], bool], proc: subprocess.Popen, log: Path,
          deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the stack exited while waiting for {what}; "
                               f"its log:\n{log.read_text()[-5000:]}")
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{what} not ready in {READY_TIMEOUT_SECONDS}s; log:\n"
                       f"{log.read_text()[-5000:]}")


@contextmanager
def sandbox(work: Path, prefix: str = "sandbox",
            extra_env: dict[str, str] | None = None) -> Iterator[Sandbox]:
    """The stack under ``work`` (its databases, log and clock file), stopped afterwards as
    Ctrl-C stops `make run`, and its vhost deleted."""
    # Its own vhost: the services' queue names are fixed, and `make run` may use the default one.
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    requests.put(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{vhost}/guest", auth=RABBIT_AUTH, timeout=10,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    gateway_port, portal_port = free_port(), free_port()
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    portal_url = f"http://127.0.0.1:{portal_port}"
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    env = {**os.environ, "AMQP_URI": amqp_uri, "VAR_DIR": str(work / "var"),
           "CLOCK_FILE": str(work / "clock"), "GATEWAY_PORT": str(gateway_port),
           "PORTAL_PORT": str(portal_port), "GATEWAY_URL": gateway_url, "DATABASE_URL": "",
           "GATEWAY_DATABASE_URL": "", **(extra_env or {})}
    log = work / "stack.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "deploy.local.launch"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        marker = work / "var" / "371000" / "demo-loaded"
        _wait("the demo data", marker.exists, proc, log, deadline)
        _wait("the portal", lambda: requests.get(portal_url + "/", timeout=10).ok, proc, log,
              deadline)
        yield Sandbox(portal_url, gateway_url, amqp_uri, work / "var", work / "clock", log)
    finally:
        proc.send_signal(signal.SIGINT)  # as Ctrl-C: the launcher stops every process
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        requests.delete(f"{RABBIT_API}/vhosts/{vhost}", auth=RABBIT_AUTH, timeout=10)
