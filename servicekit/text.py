"""The one text policy of every request: what a string a client sends may hold.

Every string a schema loads goes through :func:`clean` (``servicekit.validation.load`` in the
services, the gateway's argument parser before any view):

- normalised to NFC, so that one text has one spelling (and one length);
- refused if it holds a control character (C0 but tab and line feed, DEL, C1), a bidi
  override or isolate (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C: "Trojan source"), a
  byte order mark, a noncharacter (U+FDD0–U+FDEF, U+xFFFE/F) or a lone surrogate;
- a **line** (names, titles, codes, ids: the default) also refuses tab, CR, LF and the
  Unicode line and paragraph separators, and loses its surrounding white space;
- a **multi-line** text (a field whose maximum length is 500 or more: descriptions, notes,
  reasons, findings) keeps tabs and line feeds, with CRLF and CR made LF, and loses surrounding
  white space;
- **verbatim** text (passwords, secrets: ``metadata={"text": "verbatim"}``) is kept as sent
  but for the refusals above;
- a text that is blank once white space and invisible characters (zero-width spaces, joiners,
  word joiners) are removed counts as empty: refused where the field is required or needs at
  least one character.

``metadata={"text": "line" | "multiline" | "verbatim"}`` overrides the rule by length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Literal

from marshmallow import Schema, ValidationError, fields, validate

Kind = Literal["line", "multiline", "verbatim"]
# The metadata of a field whose text is kept as sent (passwords, secrets).
VERBATIM: dict[str, Kind] = {"text": "verbatim"}
MULTILINE_FROM = 500  # a field of at least this maximum length takes several lines

_REFUSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
    "\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff]"
    "|[\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]"
)
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")
_INVISIBLE = "\u200b\u200c\u200d\u2060\u180e"
MESSAGE_REFUSED = "Must not contain the character {char} (control, bidi, BOM or noncharacter)."
MESSAGE_LINE = "Must be a single line (no tab, CR or LF)."
MESSAGE_BLANK = "Must not be blank."


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def kind_of(field: fields.Field) -> Kind:
    """How ``field`` takes text: its ``metadata["text"]``, else by its maximum length."""
    given = field.metadata.get("text")
    if given:
        return given
    if isinstance(field, fields.Email | fields.URL | fields.UUID):
        return "line"
    validators = field.validators if isinstance(field.validators, list | tuple) else ()
    for rule in validators:
        if isinstance(rule, validate.Length) and rule.max is not None \
                and rule.max >= MULTILINE_FROM:
            return "multiline"
    return "line"


def _needs_content(field: fields.Field) -> bool:
    validators = field.validators if isinstance(field.validators, list | tuple) else ()
    return field.required or any(
        isinstance(rule, validate.Length) and (rule.min or 0) >= 1 for rule in validators)


def is_blank(text: str) -> bool:
    """Nothing but white space and invisible characters."""
    return not text.translate({ord(c): None for c in _INVISIBLE}).strip()


def clean(text: str, kind: Kind = "line") -> str:
    """``text`` as the policy stores it, or ValueError saying what is wrong with it."""
    found = _REFUSED.search(text)
    if found:
        raise ValueError(MESSAGE_REFUSED.format(char=_codepoint(found.group())))
    if kind == "verbatim":
        return text
    text = unicodedata.normalize("NFC", text)
    if kind == "multiline":
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    elif _LINE_BREAKS.search(text):
        raise ValueError(MESSAGE_LINE)
    text = text.strip()
    return "" if is_blank(text) else text


def _clean_value(field: fields.Field, value: Any) -> Any:
    """``value`` of ``field`` cleaned, or ValidationError with the messages of its parts."""
    if isinstance(value, str) and isinstance(field, fields.String):
        try:
            text = clean(value, kind_of(field))
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if not text and _needs_content(field):
            raise ValidationError(MESSAGE_BLANK)
        return text
    if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        return apply(field.schema, value)
    if isinstance(field, fields.List) and isinstance(value, list):
        return _clean_items(lambda item: _clean_value(field.inner, item), value)
    if isinstance(field, fields.Dict) and isinstance(value, Mapping):
        return _clean_mapping(field, value)
    return value


def _clean_items(clean_item: Any, values: list) -> list:
    cleaned, errors = [], {}
    for index, item in enumerate(values):
        try:
            cleaned.append(clean_item(item))
        except ValidationError as exc:
            errors[index] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_mapping(field: fields.Dict, value: Mapping) -> dict:
    keys = field.key_field or fields.String()
    values = field.value_field or fields.String()
    cleaned, errors = {}, {}
    for key, item in value.items():
        try:
            cleaned[_clean_value(keys, key)] = _clean_value(values, item)
        except ValidationError as exc:
            errors[key if isinstance(key, str) else str(key)] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def apply(schema: Schema, data: Any) -> Any:
    """``data`` (what ``schema`` is about to load) with every string of every field cleaned
    by the policy, or ValidationError keyed by field as marshmallow's own. Keys the schema
    does not know are left to the schema (it refuses them)."""
    if isinstance(data, list) and schema.many:
        return _clean_items(lambda item: _apply_one(schema, item), data)
    return _apply_one(schema, data)


def _apply_one(schema: Schema, data: Any) -> Any:
    if not isinstance(data, Mapping):
        return data
    by_key = {f.data_key or name: f for name, f in schema.load_fields.items()}
    cleaned, errors = dict(data), {}
    for key, value in data.items():
        field = by_key.get(key)
        if field is None or value is None:
            continue
        try:
            cleaned[key] = _clean_value(field, value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned

