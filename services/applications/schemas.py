"""Marshmallow schemas of the applications service's RPC payloads."""

from marshmallow import Schema, fields, validate


class RegisterCalendarYear(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    holidays = fields.List(fields.Date(), required=True)
    workdays = fields.List(fields.Date(), required=True)


class DateRange(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class NoticeWindowRequest(Schema):
    published_on = fields.Date(required=True)


class NoticeWindow(Schema):
    published_on = fields.Date()
    opens_on = fields.Date()
    closes_on = fields.Date()
    closes_at = fields.AwareDateTime()
    working_days = fields.List(fields.Date())
