"""gunicorn's own error answers in the gateway's JSON error shape.

gunicorn answers some requests before the app sees them (a request line over
``limit_request_line``: 414; headers over their limits: 431; a malformed request: 400; an app
that crashed past Flask: 500), with an HTML page of its own and no hook to change it. So its
one writer of those pages, ``gunicorn.util.write_error``, is replaced by :func:`write_error`
(``install()``, from gunicorn.conf.py). The request's language is not known when its headers
could not be read, so the message is said in English and Chinese.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util

from gateway.errors import HTTP_ERRORS, OTHER_HTTP_ERROR


def error_body(status: int) -> bytes:
    code, english, chinese = HTTP_ERRORS.get(status, OTHER_HTTP_ERROR)
    return json.dumps({"code": code, "message": f"{english} {chinese}",
                       "details": {"status": status}}, ensure_ascii=False).encode("utf-8")


def write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """What gunicorn writes for an error of its own; ``mesg`` (gunicorn's words, which may
    echo the request) is only logged by gunicorn, never sent."""
    body = error_body(status_int)
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install() -> None:
    util.write_error = write_error
