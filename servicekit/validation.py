"""Loading RPC payloads: the text policy first (servicekit.text), then the schema; a
marshmallow error becomes an InvalidInput naming each field."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from servicekit import text
from servicekit.errors import InvalidInput


def load(schema: Schema, data: Any) -> Any:
    """``schema.load(data)`` of the data cleaned by the text policy, or InvalidInput with
    the field messages in ``details``."""
    try:
        return schema.load(text.apply(schema, data))
    except ValidationError as exc:
        raise InvalidInput(
            "invalid_input",
            "The request has invalid fields.",
            "请求中有无效字段。",
            {"fields": exc.messages},
        ) from None
