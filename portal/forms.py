"""Form helpers: the API's refusals beside the fields, and once-only submits.

``apply_api_error(form, err)`` puts a refusal on the form: ``details.fields`` (422
invalid_input: field → messages, a nested object's as ``object.field``) and ``details.field``
(a service rule naming one field) go beside the matching fields, the message at the top
(``form.api_error``). The form keeps what
the user typed, because the view re-renders it from the POST instead of redirecting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, redirect, request
from flask_wtf import FlaskForm
from wtforms import HiddenField

from portal import once
from portal.auth import current_user
from portal.client import ApiError, LoginRequired


class OnceForm(FlaskForm):
    """A form that a double click submits once (see portal.once)."""

    idempotency_key = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.idempotency_key.data:
            self.idempotency_key.data = once.new_key()


def _field_of(form: FlaskForm, name: str, aliases: dict[str, str]) -> Any:
    name = aliases.get(name, name)
    for candidate in (name, name.replace(".", "_"), name.split(".")[-1], name.split(".")[0]):
        if candidate in form._fields:
            return form._fields[candidate]
    return None


def _as_messages(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _as_messages(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _as_messages(v)]
    return [str(value)]


def _flat(fields: dict, prefix: str = "") -> list[tuple[str, Any]]:
    """``{"organisation": {"name": [...]}}`` → ``[("organisation.name", [...])]``: a nested
    object's problems go beside its own fields."""
    flat: list[tuple[str, Any]] = []
    for name, problems in fields.items():
        if isinstance(problems, dict) and all(isinstance(k, str) for k in problems):
            flat.extend(_flat(problems, f"{prefix}{name}."))
        else:
            flat.append((f"{prefix}{name}", problems))
    return flat


def apply_api_error(form: FlaskForm, err: ApiError,
                    aliases: dict[str, str] | None = None) -> None:
    """Show ``err`` on ``form``; ``aliases`` maps an API field name to the form's."""
    aliases = aliases or {}
    form.api_error = err  # type: ignore[attr-defined]
    fields = err.details.get("fields")
    if isinstance(fields, dict):
        for name, problems in _flat(fields):
            target = _field_of(form, name, aliases)
            if target is not None:
                target.errors = [*list(target.errors or []), *_as_messages(problems)]
    single = err.details.get("field")
    if isinstance(single, str):
        target = _field_of(form, single, aliases)
        if target is not None:
            target.errors = [*list(target.errors or []), err.message]


def api_error_of(form: FlaskForm) -> ApiError | None:
    return getattr(form, "api_error", None)


def submit_once(form: FlaskForm, action: Callable[[str], str],
                aliases: dict[str, str] | None = None) -> Response | None:
    """Run ``action(idempotency_key)`` (which calls the API and returns where to go) once per
    form key; redirect there (post/redirect/get). A refusal is put on the form and None
    returned, so the view re-renders it with what the user typed. 401, 403 and 404 propagate
    to the app's handlers (log in again; the refusal page; the not-found page)."""
    user = current_user()
    owner = user["username"] if user else "public"
    key = form.idempotency_key.data
    seen = once.claim(owner, key)
    if seen is not None:
        return redirect(seen or request.url)
    try:
        target = action(key)
    except ApiError as err:
        once.release(owner, key)
        if isinstance(err, LoginRequired) or err.status in (403, 404):
            raise
        apply_api_error(form, err, aliases)
        return None
    once.done(owner, key, target)
    return redirect(target)


def form_status(form: FlaskForm) -> int:
    """422 for a re-rendered refused form (tests and tools see the refusal), else 200."""
    return 422 if form.errors or api_error_of(form) else 200
