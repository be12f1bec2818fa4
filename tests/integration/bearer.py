"""Bearer tokens for gateway tests, signed by the app's own key as a login would issue them."""

from __future__ import annotations

from flask import Flask

from gateway.auth import TOKENS
from gateway.users import User


def bearer(app: Flask, role: str, actor: str | None = None, **binding: str) -> dict[str, str]:
    """The Authorization header of a ``role`` principal bound as given."""
    user = User(actor or f"test-{role}", role, role, **binding)
    return {"Authorization": f"Bearer {app.extensions[TOKENS].issue(user)}"}
