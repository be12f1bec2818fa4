"""Every state-changing request (POST, PUT, PATCH, DELETE) leaves a record at the gateway:
who (actor, role, district), what (method, route template, object id), when, from where
(client address, request id) and the outcome (status, error code) — refused and failed
attempts included. One row in the gateway's database and one JSON log line each.

The services keep their own audit of what changed (``uow.audit``, before and after); this is
the record of who asked, joined to theirs by the request id (their correlation id).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request

from gateway import auth
from gateway import store as gateway_store
from gateway.health import UNMATCHED
from servicekit.config import tenant_of

log = logging.getLogger("gateway.audit")

AUDITED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def init_app(app: Flask) -> None:
    app.after_request(_record)


def _object_id(response: Response) -> str | None:
    # A view whose route does not name its object sets g.audit_object_id (a login: the account).
    if "audit_object_id" in g:
        return str(g.audit_object_id)
    if response.status_code == 201 and response.is_json:
        created = response.get_json(silent=True)
        if isinstance(created, dict) and created.get("id") is not None:
            return str(created["id"])
    # Routes name the object acted on last: /grants/<grant_id>/disbursements/<id>.
    args = list((request.view_args or {}).values())
    return str(args[-1]) if args else None


def _error_code(response: Response) -> str | None:
    if response.status_code < 400 or not response.is_json:
        return None
    body = response.get_json(silent=True)
    return str(body["code"]) if isinstance(body, dict) and "code" in body else None


def _record(response: Response) -> Response:
    if request.method not in AUDITED_METHODS:
        return response
    principal = auth.current_principal()
    row: dict[str, Any] = {
        "at": datetime.now(UTC),
        "tenant": tenant_of(current_app.config),
        "actor": principal.actor,
        "role": principal.role,
        "district": principal.district,
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule is not None else UNMATCHED,
        "object_id": _object_id(response),
        "status": response.status_code,
        "error_code": _error_code(response),
        "request_id": g.request_id,
        "origin": request.remote_addr,
    }
    log.info("audit", extra={"audit": {**row, "at": row["at"].isoformat()}})
    store: gateway_store.Store = current_app.extensions[gateway_store.EXTENSION]
    try:
        store.append_audit(row)
    except Exception:
        # The change (if any) is done and the services audited it; the log line above still
        # holds this record, so the answer goes out and an operator is told.
        log.exception("could not store the audit record of request %s", row["request_id"])
    return response
