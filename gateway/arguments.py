"""How the gateway reads what a request sends, before any view sees it.

- A JSON body is parsed by :func:`parse_json`: at most ``MAX_DEPTH`` levels deep, integers of
  at most ``MAX_DIGITS`` digits, no NaN or infinities, no lone surrogates in any string or key.
  Anything else is a 400 (``details.fields.json`` says why), never a crash further on.
- Every schema's strings go through the one text policy (``servicekit.text``) before the
  schema loads them, for bodies and query strings alike.

Every blueprint of the gateway is a :class:`Blueprint` of this module, so all of its routes
read arguments so; Flask's own ``request.get_json`` parses with the same rules
(:class:`JsonProvider`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import flask_smorest
from flask import Request
from flask.json.provider import DefaultJSONProvider
from marshmallow import Schema
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from servicekit import text

MAX_DEPTH = 32
MAX_DIGITS = 18  # fits a 64-bit column; larger numbers of the platform travel as strings


class MalformedJson(ValueError):
    """A body that is not JSON the platform takes; the message says why (English)."""


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise MalformedJson(f"A number has more than {MAX_DIGITS} digits.")
    return int(digits)


def _real(digits: str) -> float:
    number = float(digits)
    if not math.isfinite(number):
        raise MalformedJson("A number is out of range.")
    return number


def _constant(name: str) -> None:
    raise MalformedJson(f"{name} is not JSON.")


def _check_tree(value: Any) -> None:
    """Depth and text of every value, without recursion (the depth is what is checked)."""
    todo: list[tuple[Any, int]] = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, str):
            _check_string(item)
            continue
        if not isinstance(item, list | dict):
            continue
        if depth > MAX_DEPTH:
            raise MalformedJson(f"The body is nested more than {MAX_DEPTH} levels deep.")
        if isinstance(item, dict):
            for key in item:
                _check_string(key)
            todo.extend((v, depth + 1) for v in item.values())
        else:
            todo.extend((v, depth + 1) for v in item)


def _check_string(value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedJson("A string holds a lone surrogate (not Unicode text).") from None


def parse_json(data: str | bytes) -> Any:
    """The JSON document ``data``, or MalformedJson saying why it is not taken."""
    try:
        value = json.loads(data, parse_int=_integer, parse_float=_real, parse_constant=_constant)
    except RecursionError:
        raise MalformedJson(f"The body is nested more than {MAX_DEPTH} levels deep.") from None
    except MalformedJson:
        raise
    except ValueError:
        raise MalformedJson("The body is not valid JSON.") from None
    _check_tree(value)
    return value


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON with :func:`parse_json` for reading (``request.get_json``)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return parse_json(s)


class Parser(FlaskParser):
    """webargs' Flask parser with :func:`parse_json` and the text policy."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return parse_json(req.get_data(cache=True))
        except MalformedJson as exc:
            abort(400, exc=exc, messages={"json": [str(exc)]})

    def pre_load(self, location_data: Mapping, *, schema: Schema, req: Request,
                 location: str) -> Any:
        if location in ("query", "querystring"):
            # A MultiDictProxy answers lists for list fields; the policy walks plain values.
            location_data = {key: location_data[key] for key in location_data}
        return text.apply(schema, location_data)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint reading arguments with :class:`Parser`."""

    ARGUMENTS_PARSER = Parser()
