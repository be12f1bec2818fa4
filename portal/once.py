"""Double submits: the first POST of a form's key runs, a repeat is sent where the first went.

Every form carries a hidden ``idempotency_key`` made when the page was rendered. A double
click sends two POSTs with the same key, concurrently; ``claim`` lets exactly one through and
tells the other where to go (the first's redirect, or back to the form while it is running).
Kept in this process (the portal runs one), for an hour.
"""

from __future__ import annotations

import threading
import time
import uuid

_TTL_SECONDS = 3600
_PENDING = ""
_lock = threading.Lock()
_keys: dict[str, tuple[float, str]] = {}


def new_key() -> str:
    return uuid.uuid4().hex


def claim(owner: str, key: str | None) -> str | None:
    """None when this request may proceed; else the URL the first submit redirected to
    (empty while the first is still running)."""
    if not key:
        return None
    now = time.monotonic()
    name = f"{owner}:{key}"
    with _lock:
        for stale in [k for k, (at, _) in _keys.items() if now - at > _TTL_SECONDS]:
            del _keys[stale]
        if name in _keys:
            return _keys[name][1]
        _keys[name] = (now, _PENDING)
    return None


def done(owner: str, key: str | None, url: str) -> None:
    """The first submit succeeded and redirects to ``url``."""
    if key:
        with _lock:
            _keys[f"{owner}:{key}"] = (time.monotonic(), url)


def release(owner: str, key: str | None) -> None:
    """The first submit was refused: the user may correct the form and send it again."""
    if key:
        with _lock:
            _keys.pop(f"{owner}:{key}", None)
