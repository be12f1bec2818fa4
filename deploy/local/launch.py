"""`make run`: every process of deploy/local/Procfile (the services, the gateway and the portal)
in the foreground, demo data once.

supervisord runs the processes (deploy/local/supervise.py): one that dies is restarted with
back-off while the others keep serving, and Ctrl-C stops them all. Beside it, a thread waits
until the gateway reports every service ready and, the first time only, loads the demo data
(deploy/local/demo.py) and creates the demo users; a marker file under var/ remembers that it
did. supervisord's socket and configuration are under var/{tenant}/supervisor/.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from pathlib import Path

import requests

from deploy.local.supervise import supervise
from servicekit.config import load_config, tenant_of, var_dir

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "local" / "config.yaml"
READY_TIMEOUT_SECONDS = 180


def _say(text: str) -> None:
    print(f"demo   | {text}", flush=True)


def _wait_until_ready(port: str) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(1)
    return False


def _load_demo_once(config: dict, port: str) -> None:
    from deploy.local.demo import (
        Demo,
        load_applications,
        load_current_applications,
        load_evaluation,
        load_matching,
        load_subsidy,
    )
    from gateway.users import ensure_demo_users

    marker = var_dir(config) / tenant_of(config) / "demo-loaded"
    if not _wait_until_ready(port):
        _say(f"the platform did not become ready in {READY_TIMEOUT_SECONDS}s; no demo data")
        return
    if marker.exists():
        _say(f"demo data already loaded ({marker}); delete var/ to start afresh")
    else:
        _say("loading demo data (once)…")
        demo = Demo(config, Path(config["CLOCK_FILE"]), _say)
        try:
            first = load_applications(demo)
            load_evaluation(demo, first["stations"])
            load_current_applications(demo, first)
            matching = load_matching(demo, first["stations"][0])
            load_subsidy(demo, first["stations"][0])
        finally:
            demo.close()
        users = ensure_demo_users(config, {
            "host_unit": first["host_unit"], "reviewer": first["reviewer"],
            "enterprise": matching["enterprise"], "expert": matching["expert"]})
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("\n".join(f"{u['username']} {u['role']}" for u in users) + "\n")
    _say(f"ready: http://127.0.0.1:{port}/api/v1/docs — demo logins in README.md")


def _demo_thread(config: dict, port: str) -> None:
    try:
        _load_demo_once(config, port)
    except Exception:
        _say("loading the demo data failed; the platform keeps running:\n"
             + traceback.format_exc())


def read_procfile(path: Path) -> dict[str, str]:
    """name -> command of each ``name: command`` line."""
    entries = (line.split(":", 1) for line in path.read_text().splitlines()
               if line.strip() and not line.lstrip().startswith("#"))
    return {name.strip(): command.strip() for name, command in entries}


def main() -> int:
    os.chdir(ROOT)
    config = load_config(CONFIG)
    port = os.environ.get("GATEWAY_PORT", "8000")
    # The processes inherit this environment through supervisord.
    os.environ.setdefault("GATEWAY_URL", f"http://127.0.0.1:{port}")  # the portal's backend
    procfile = read_procfile(ROOT / "deploy" / "local" / "Procfile")
    threading.Thread(target=_demo_thread, args=(config, port), daemon=True).start()
    runtime = var_dir(config).resolve() / tenant_of(config) / "supervisor"
    return supervise({name: (command, {}) for name, command in procfile.items()}, runtime, ROOT)


if __name__ == "__main__":
    sys.exit(main())
