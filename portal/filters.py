"""Jinja filters: money in yuan with two decimals, dates and times in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from flask import Flask
from flask_babel import format_date, format_datetime
from markupsafe import Markup

from portal.districts import district_name
from portal.labels import (
    ACTIONS,
    CONDITIONS,
    FUNCTIONS,
    HOST_CATEGORIES,
    ORGANISATION_FIELDS,
    ROLES,
    STATION_TYPES,
    STATUSES,
    TYPE_FUNCTIONS,
    label,
    organisation_value,
)


def money(fen: int | None) -> str:
    """An amount in fen (the API's integer money) as yuan: ¥1,234.50."""
    if fen is None or fen == "":
        return ""
    return f"¥{Decimal(int(fen)) / 100:,.2f}"


def yuan(amount: str | int | float | None) -> str:
    """An amount already in yuan (a decimal string such as "300000.00"): ¥300,000.00."""
    if amount in (None, ""):
        return ""
    try:
        return f"¥{Decimal(str(amount)):,.2f}"
    except InvalidOperation:
        return str(amount)


def _parse(value: str | date | datetime | None) -> date | datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    text = str(value).replace("Z", "+00:00")
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    # The API's times are UTC; one without an offset is taken as UTC too.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def date_filter(value: str | date | datetime | None) -> str:
    parsed = _parse(value)
    if parsed is None:
        return str(value or "")
    if isinstance(parsed, datetime):
        return format_datetime(parsed, "yyyy-MM-dd")  # converted to Asia/Shanghai first
    return format_date(parsed, "yyyy-MM-dd")


def datetime_filter(value: str | date | datetime | None) -> str:
    parsed = _parse(value)
    if parsed is None:
        return str(value or "")
    if not isinstance(parsed, datetime):
        return format_date(parsed, "yyyy-MM-dd")
    return format_datetime(parsed, "yyyy-MM-dd HH:mm")


def nl2br(text: str | None) -> Markup:
    escaped = Markup.escape(text or "")
    return Markup("<br>").join(escaped.split("\n"))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update({
        "money": money, "yuan": yuan, "date": date_filter, "datetime": datetime_filter,
        "nl2br": nl2br, "district": district_name,
        "station_type": lambda c: label(STATION_TYPES, c),
        "host_category": lambda c: label(HOST_CATEGORIES, c),
        "status_name": lambda c: label(STATUSES, c),
        "role_name": lambda c: label(ROLES, c),
        "condition_name": lambda c: label(CONDITIONS, c),
        "function_name": lambda c: label(FUNCTIONS, c),
        "type_function_name": lambda c: label(TYPE_FUNCTIONS["comprehensive"], c),
        "action_name": lambda c: label(ACTIONS, c),
        "organisation_field": lambda k: label(ORGANISATION_FIELDS, k),
    })
    app.jinja_env.globals["organisation_value"] = organisation_value
