"""Server-side sessions: the browser holds only a random id, the token never leaves the portal.

Flask's default session is a signed (not encrypted) cookie, so a bearer token kept there
would be readable by anyone holding the cookie file. Here the cookie carries an opaque id and
the data lives in this process's memory (the portal runs one process, many threads), expiring
after PERMANENT_SESSION_LIFETIME of inactivity. A restart of the portal signs everyone out.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict


class ServerSession(CallbackDict, SessionMixin):
    def __init__(self, sid: str, data: dict[str, Any] | None = None, new: bool = False) -> None:
        def on_update(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, on_update)
        self.sid = sid
        self.new = new
        self.modified = False
        self.rotated_from: str | None = None

    def regenerate(self) -> None:
        """A new id for the same data: called at login so a planted id is worthless."""
        self.rotated_from = self.rotated_from or self.sid
        self.sid = secrets.token_urlsafe(32)
        self.modified = True


class MemoryStore:
    def __init__(self) -> None:
        self._data: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def load(self, sid: str, max_age: float) -> dict[str, Any] | None:
        now = time.monotonic()
        with self._lock:
            entry = self._data.get(sid)
            if entry is None or now - entry[0] > max_age:
                self._data.pop(sid, None)
                return None
            return dict(entry[1])

    def save(self, sid: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._data[sid] = (time.monotonic(), dict(data))
            if len(self._data) > 10_000:  # bound memory: drop the least recently used tenth
                for old in sorted(self._data, key=lambda k: self._data[k][0])[:1_000]:
                    del self._data[old]

    def touch(self, sid: str) -> None:
        with self._lock:
            if sid in self._data:
                self._data[sid] = (time.monotonic(), self._data[sid][1])

    def delete(self, sid: str) -> None:
        with self._lock:
            self._data.pop(sid, None)


class ServerSessionInterface(SessionInterface):
    def __init__(self) -> None:
        self.store = MemoryStore()

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(self.get_cookie_name(app))
        max_age = app.permanent_session_lifetime.total_seconds()
        data = self.store.load(sid, max_age) if sid else None
        if data is None:
            return ServerSession(secrets.token_urlsafe(32), new=True)
        return ServerSession(sid, data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        name = self.get_cookie_name(app)
        if session.rotated_from:
            self.store.delete(session.rotated_from)
        if not session:
            self.store.delete(session.sid)
            if not session.new:
                response.delete_cookie(name, path=self.get_cookie_path(app))
            return
        if session.modified or session.new or session.rotated_from:
            self.store.save(session.sid, dict(session))
        else:
            self.store.touch(session.sid)
        response.set_cookie(
            name, session.sid, httponly=True, path=self.get_cookie_path(app),
            secure=self.get_cookie_secure(app), samesite=self.get_cookie_samesite(app),
            domain=self.get_cookie_domain(app),
        )
