"""What the benchmarks share: percentiles, a fresh RabbitMQ vhost, a process of the platform
run as production runs it, CPU time of a process, and a CPU load generator for figures taken on
a busy machine (``--background-load N``)."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import requests
from sqlalchemy.engine import make_url


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (sorted or not), ``q`` in (0, 1]."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@contextmanager
def fresh_vhost(amqp_uri: str, management_url: str, prefix: str) -> Iterator[str]:
    """A new RabbitMQ vhost for this run (management HTTP API), deleted afterwards; yields the
    AMQP URI of it."""
    name = quote(f"{prefix}-{uuid.uuid4().hex[:8]}", safe="")
    api = f"{management_url.rstrip('/')}/api"
    user = make_url(amqp_uri.replace("amqp://", "x://", 1)).username or "guest"
    requests.put(f"{api}/vhosts/{name}", timeout=10).raise_for_status()
    try:
        requests.put(
            f"{api}/permissions/{name}/{quote(user, safe='')}",
            json={"configure": ".*", "write": ".*", "read": ".*"},
            timeout=10,
        ).raise_for_status()
        yield f"{amqp_uri.rstrip('/')}/{name}"
    finally:
        try:
            requests.delete(f"{api}/vhosts/{name}", timeout=30)
        except requests.RequestException as exc:
            print(f"could not delete vhost {name}: {exc}", file=sys.stderr)


@contextmanager
def platform_process(command: list[str], log_path: Path, cwd: Path,
                     env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """``command`` (a service under ``python -m servicekit.run``, the gateway under gunicorn)
    with its output in ``log_path``; SIGTERM at the end. The tail of the log is printed when
    the block fails."""
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(command, cwd=cwd, stdout=log_file,
                                   stderr=subprocess.STDOUT, env=env)
    print(f"{log_path.stem}: pid {process.pid}, log {log_path}", file=sys.stderr)
    try:
        yield process
    except BaseException:
        tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        print("\n".join([f"--- {log_path.name} (tail) ---", *tail]), file=sys.stderr)
        raise
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` so far (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its live descendants (gunicorn's master and its worker)."""
    total = cpu_seconds(pid) or 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return total
    return total + sum(tree_cpu_seconds(int(child)) for child in children)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


@contextmanager
def background_load(processes: int) -> Iterator[None]:
    """``processes`` busy loops (each wants one core) while the block runs, so a figure can be
    taken on a loaded machine as well as on a quiet one. Killed on the way out."""
    busy = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"],
                         stdin=subprocess.DEVNULL, start_new_session=True)
        for _ in range(processes)
    ]
    try:
        yield
    finally:
        for proc in busy:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
