"""``python -m portal``: the portal under gunicorn (as the gateway is), on PORTAL_PORT (8080).

One process, many threads: the server-side sessions and the once-only submit keys live in
the process (portal.sessions, portal.once).
"""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication

from portal.app import create_app


class PortalServer(BaseApplication):
    def __init__(self, options: dict) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # type: ignore[no-untyped-def]
        return create_app()


def main() -> None:
    host = os.environ.get("PORTAL_HOST", "127.0.0.1")
    port = os.environ.get("PORTAL_PORT", "8080")
    print(f"portal: http://{host}:{port}/ (gateway {os.environ.get('GATEWAY_URL', 'http://127.0.0.1:8000')})",
          flush=True)
    PortalServer({
        "bind": f"{host}:{port}", "workers": 1, "worker_class": "gthread", "threads": 8,
        "timeout": 60, "graceful_timeout": 10, "accesslog": "-", "errorlog": "-",
        "control_socket_disable": True,
    }).run()


if __name__ == "__main__":
    main()
