"""Who is signed in: the token and the user's profile live in the server-side session.

``login_required("district_hr")`` guards a view (any signed-in user when no role is named);
``current_user()`` is the signed-in user's profile or None. Logging in calls
POST /api/v1/auth/token, whose answer already carries the username, display name, role and
binding, so nothing is decoded from the token here.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for

from portal.client import ApiError, LoginRequired, api
from portal.districts import district_name
from portal.labels import ROLES, label

F = TypeVar("F", bound=Callable[..., Any])
EXPIRY_MARGIN_SECONDS = 30  # sign in again slightly before the gateway would refuse the token


def current_user() -> dict[str, Any] | None:
    """username, role, role_name, display_name, organisation, organisation_name, district,
    district_name, expert — or None when no one is signed in (or the token has run out)."""
    user = session.get("user")
    if not user or session.get("expires_at", 0) < time.time():
        return None
    return {**user, "role_name": label(ROLES, user["role"]),
            "district_name": district_name(user.get("district"))}


def sign_in(username: str, password: str) -> dict[str, Any]:
    """Exchange the credentials for a token and keep it in a fresh session; raises ApiError."""
    answer = api().post("/auth/token", json={"username": username, "password": password})
    binding = answer.get("binding") or {}
    lang = session.get("lang")
    session.clear()  # nothing of a previous user survives into this one
    session.regenerate()  # type: ignore[attr-defined]
    if lang:
        session["lang"] = lang
    session["token"] = answer["access_token"]
    session["expires_at"] = time.time() + int(answer.get("expires_in", 3600)) \
        - EXPIRY_MARGIN_SECONDS
    user = {
        "username": answer["username"], "role": answer["role"],
        "display_name": answer.get("display_name") or answer["username"],
        "organisation": binding.get("organisation"), "district": binding.get("district"),
        "expert": binding.get("expert"), "organisation_name": None,
    }
    session["user"] = user
    g.pop("api", None)  # the next call carries the new token
    user["organisation_name"] = _organisation_name(user)
    session["user"] = user
    return user


def _organisation_name(user: dict[str, Any]) -> str | None:
    # The header shows the unit's name; only a host unit's record is readable by its user.
    if user["role"] != "host_unit" or not user["organisation"]:
        return None
    try:
        unit = api().get(f"/host-units/{user['organisation']}")
    except ApiError:
        return None
    session["host_unit"] = unit
    return unit.get("name")


def sign_out() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: an absolute or scheme-relative URL would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def login_redirect() -> Any:
    """Forget the stale token and go to the login page, coming back here afterwards."""
    was_signed_in = "token" in session
    sign_out()
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    else:  # a POST cannot be replayed after login: come back to the page the form was on
        referrer = urlsplit(request.referrer or "")
        back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return redirect(url_for("account.login", next=safe_next(back) or "/",
                            expired=1 if was_signed_in else None))


def login_required(*roles: str) -> Callable[[F], F]:
    """Signed in (as one of ``roles`` when any are named), else to login or a refusal page."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                raise LoginRequired(401, "auth.required", "")
            if roles and user["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorator
