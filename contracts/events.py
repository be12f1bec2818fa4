"""Payload schemas of the platform's events (DESIGN.md §2, §3)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from contracts.registry import register


class CalendarYearRegistered(Schema):
    """An administrator loaded a year's holidays and make-up working days (R7.3)."""

    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    holidays = fields.List(fields.Date(), required=True)
    workdays = fields.List(fields.Date(), required=True)
    registered_by = fields.String(required=True)


register("applications", "calendar_year_registered", 1, CalendarYearRegistered)
