"""RabbitMQ's management HTTP API: apply a definitions document, read federation links,
remove a vhost. The same documents load with ``rabbitmqctl import_definitions FILE``."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from deploy.topology import quote_vhost


class ManagementError(Exception):
    """The management API refused or could not be reached; the message says which and why."""


class Management:
    def __init__(self, url: str, timeout: float = 15.0) -> None:
        parts = urlsplit(url)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        self.auth = (unquote(parts.username or "guest"), unquote(parts.password or "guest"))
        self.timeout = timeout

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = requests.request(method, self.base + path, auth=self.auth,
                                        timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise ManagementError(
                f"the RabbitMQ management API at {self.base} is not reachable ({exc}); "
                "run `deploy/local/setup.sh rabbitmq`") from None
        if response.status_code == 404 and method == "DELETE":
            return None
        if response.status_code >= 400:
            raise ManagementError(
                f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    def has_federation(self) -> bool:
        """rabbitmq_federation (with its management part, as setup.sh enables them) runs."""
        try:
            response = requests.get(self.base + "/federation-links", auth=self.auth,
                                    timeout=self.timeout)
        except requests.RequestException:
            return False
        return response.status_code == 200

    def apply(self, document: dict[str, list[dict]]) -> None:
        """Merge a definitions document into the broker (existing objects are kept)."""
        self._request("POST", "/definitions", json=document)

    def delete_vhost(self, vhost: str) -> None:
        """The vhost and everything in it: queues, exchanges, upstreams, policies."""
        self._request("DELETE", f"/vhosts/{quote_vhost(vhost)}")

    def vhosts(self) -> list[str]:
        return [v["name"] for v in self._request("GET", "/vhosts")]

    def federation_links(self, vhost: str) -> list[dict[str, Any]]:
        return self._request("GET", f"/federation-links/{quote_vhost(vhost)}") or []

    def queues(self, vhost: str) -> list[dict[str, Any]]:
        return self._request("GET", f"/queues/{quote_vhost(vhost)}") or []

    def put_user(self, name: str, password: str) -> None:
        self._request("PUT", f"/users/{quote_vhost(name)}", json={"password": password,
                                                                  "tags": ""})

    def delete_user(self, name: str) -> None:
        self._request("DELETE", f"/users/{quote_vhost(name)}")

    def set_permissions(self, vhost: str, user: str) -> None:
        self._request("PUT", f"/permissions/{quote_vhost(vhost)}/{quote_vhost(user)}",
                      json={"configure": ".*", "write": ".*", "read": ".*"})
