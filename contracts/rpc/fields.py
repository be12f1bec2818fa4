"""The fields and the answer base class every RPC contract shares.

An answer is dumped twice: the service dumps its rows (or a small mapping of them) through the
contract's answer schema, and the gateway re-dumps the answer it received through the same
schema for its response (flask-smorest dumps every response). So every answer field passes
an already-dumped value unchanged: an ISO date string, an instant's ISO text, a yuan string.

``req`` and ``maybe`` make the fields an answer always carries: ``required`` (and, for
``maybe``, ``None`` allowed), so that a schema check of a response can fail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from functools import cached_property
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, utils, validate

from servicekit.errors import InvalidInput
from servicekit.money import fen_to_yuan, yuan_to_fen

__all__ = ["Answer", "Derived", "IsoDate", "IsoDateTime", "MeasureDate", "Yuan", "ident",
           "maybe", "req"]

# The measures were issued on 2020-12-14 (Art 18): nothing they govern happened before.
MEASURES_ISSUED = date(2020, 12, 14)
LAST_DAY = date(2099, 12, 31)


class IsoDate(fields.Date):
    """A date, dumped from a ``date``; an ISO string (a dumped answer) passes unchanged."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class MeasureDate(fields.Date):
    """A day of something the measures govern (a spend, a payment, an activity, an
    inspection): from 2020-12-14 to 2099-12-31. A fact's "not in the future" is the service's
    to check, by its own clock."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(
            min=MEASURES_ISSUED, max=LAST_DAY,
            error=f"Must be a day from {MEASURES_ISSUED} to {LAST_DAY}."))
        super().__init__(**kwargs)


class IsoDateTime(fields.AwareDateTime):
    """An instant, as :class:`IsoDate` is a date."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class Yuan(fields.String):
    """A yuan amount as a string with two decimals ("50000.00"): loaded as integer fen, dumped
    from integer fen; a string (an amount already dumped) passes unchanged."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": 'Yuan, at most two decimals: "50000.00"',
                                       "example": "50000.00"})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        try:
            return yuan_to_fen(value, field=attr or "amount")
        except InvalidInput as exc:
            raise ValidationError(exc.message_en) from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return fen_to_yuan(value)


def ident(**kwargs: Any) -> fields.String:
    """A record's id in a request: 1 to 64 characters (``ident(required=True)``)."""
    return fields.String(validate=validate.Length(min=1, max=64), **kwargs)


def req(field: type[fields.Field] = fields.String, **kwargs: Any) -> fields.Field:
    """A field every answer carries (``required``): ``req()``, ``req(fields.Integer)``."""
    return field(required=True, **kwargs)


def maybe(field: type[fields.Field] = fields.String, **kwargs: Any) -> fields.Field:
    """A field every answer carries, possibly ``None``."""
    return field(required=True, allow_none=True, **kwargs)


Derived = dict[str, Callable[[Any], Any]]


class Answer(Schema):
    """An answer schema: dumps a service's row, or a mapping of rows, or an answer dumped
    before (a mapping keyed by field name, taken as it is).

    A field is read, in this order:

    - from a mapping that has the field's name (or, for a field with an ``attribute``, that
      name of the field): an answer dumped before, or a value the use case gave;
    - from ``derived``, a function of the row (names of codes, masks, rounding), for rows only;
    - from ``sources``, a dotted path into the row (``"station.name"``; ``None`` when a step
      is);
    - else from the row's attribute (or the field's ``attribute``), as marshmallow does.
    """

    sources: ClassVar[Mapping[str, str]] = {}
    derived: ClassVar[Derived] = {}

    @cached_property
    def _names_of_columns(self) -> dict[str, str]:
        return {f.attribute: name for name, f in self.fields.items() if f.attribute}

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if isinstance(obj, Mapping):
            if attr in obj:
                return obj[attr]
            name = self._names_of_columns.get(attr)
            if name is not None and name in obj:
                return obj[name]
        elif attr in self.derived:
            return self.derived[attr](obj)
        path = self.sources.get(attr)
        if path is None:
            return super().get_attribute(obj, attr, default)
        value = obj
        for step in path.split("."):
            if value is None:
                return None
            value = utils.get_value(value, step, default)
        return value
