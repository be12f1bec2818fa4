"""Marshmallow schemas of the evaluation service's RPC payloads (unknown fields refused)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from servicekit.paging import PageRequest
from services.evaluation.domain import (
    ACTIVITY_KINDS,
    EXPERT_SERVICE_KINDS,
    REPORT_KINDS,
)

_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
_score = fields.Integer(strict=True, allow_none=True)  # the scale is checked by the domain
_text = validate.Length(min=1, max=200)


class StationRequest(Schema):
    station_id = _id


class StationPage(PageRequest):
    station_id = _id


class RecordActivity(Schema):
    station_id = _id
    kind = fields.String(required=True, validate=validate.OneOf(tuple(ACTIVITY_KINDS)))
    title = fields.String(required=True, validate=_text)
    held_on = fields.Date(required=True)
    place = fields.String(required=True, validate=_text)
    participants = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=0, max=100_000)
    )
    talents_served = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=0, max=100_000)
    )
    description = fields.String(load_default="", validate=validate.Length(max=5000))


class RequestExpertService(Schema):
    station_id = _id
    kind = fields.String(required=True, validate=validate.OneOf(tuple(EXPERT_SERVICE_KINDS)))
    expert_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    expert_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    description = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    requested_on = fields.Date(required=True)


class AdvanceExpertService(Schema):
    service_id = _id
    action = fields.String(required=True, validate=validate.OneOf(("start", "complete", "cancel")))
    on = fields.Date(required=True)
    note = fields.String(load_default="", validate=validate.Length(max=5000))

    @validates_schema
    def _note_for_an_end(self, data: dict, **_: object) -> None:
        if data["action"] in ("complete", "cancel") and not data["note"].strip():
            raise ValidationError("Give the outcome, or why it was cancelled.", "note")


class SubmitReport(Schema):
    station_id = _id
    kind = fields.String(required=True, validate=validate.OneOf(tuple(REPORT_KINDS)))
    year = fields.Integer(strict=True, required=True, validate=validate.Range(min=2020, max=2100))
    title = fields.String(required=True, validate=_text)
    content = fields.String(required=True, validate=validate.Length(min=1, max=50_000))


class SetReportDeadlines(Schema):
    year = fields.Integer(strict=True, required=True, validate=validate.Range(min=2020, max=2100))
    plan_due_on = fields.Date(required=True)
    summary_due_on = fields.Date(required=True)


class Weights(Schema):
    development = fields.Integer(strict=True, required=True)
    industry_effect = fields.Integer(strict=True, required=True)
    talent_team = fields.Integer(strict=True, required=True)
    events_and_talents_served = fields.Integer(strict=True, required=True)
    management = fields.Integer(strict=True, required=True)
    plans_and_reports = fields.Integer(strict=True, required=True)


class Bands(Schema):
    excellent = fields.Integer(strict=True, required=True)
    # "pass" is a keyword; the field keeps the JSON name.
    pass_ = fields.Integer(strict=True, required=True, data_key="pass", attribute="pass")


class Targets(Schema):
    events = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))
    person_times = fields.Integer(strict=True, required=True, validate=validate.Range(min=1))


class OpenCycle(Schema):
    name = fields.String(required=True, validate=_text)
    reference_date = fields.Date(required=True)
    weights = fields.Nested(Weights, load_default=None)
    bands = fields.Nested(Bands, load_default=None)
    targets = fields.Nested(Targets, load_default=None)
    rectification_days = fields.Integer(
        strict=True, load_default=None, validate=validate.Range(min=1, max=365)
    )


class CycleRequest(Schema):
    cycle_id = _id


class CyclePage(PageRequest):
    status = fields.String(load_default=None, validate=validate.OneOf(("open", "finalized")))


class Reviewer(Schema):
    expert_id = _id
    affiliation = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Id of the organisation the reviewer works for"},
    )


class AssignReviewers(Schema):
    cycle_id = _id
    station_id = _id
    reviewers = fields.List(
        fields.Nested(Reviewer), required=True, validate=validate.Length(min=1, max=20)
    )


class Scores(Schema):
    """Points 0–100 per criterion; (4) and (6) may be left out to take the pre-fill."""

    development = _score
    industry_effect = _score
    talent_team = _score
    events_and_talents_served = _score
    management = _score
    plans_and_reports = _score


class SubmitScores(Schema):
    cycle_id = _id
    station_id = _id
    scores = fields.Nested(Scores, required=True)
    comments = fields.String(load_default="", validate=validate.Length(max=5000))


class Finalize(Schema):
    cycle_id = _id
    findings = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.String(validate=validate.Length(min=1, max=5000)),
        load_default=dict,
    )


class RectificationRequest(Schema):
    rectification_id = _id


class RectificationPage(PageRequest):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(("open", "evidence_submitted", "passed", "failed", "closed")),
    )
    station_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


class SubmitEvidence(Schema):
    rectification_id = _id
    evidence = fields.String(required=True, validate=validate.Length(min=1, max=50_000))


class Reassess(Schema):
    rectification_id = _id
    score = fields.Integer(strict=True, required=True)
    comments = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class ProposeDemonstration(Schema):
    cycle_id = _id
    station_id = _id
    proposed_subsidy = fields.Raw(required=True)  # a yuan string, parsed by servicekit.money
    provincial = fields.Boolean(load_default=False)
    provincial_reference = fields.String(load_default=None, validate=validate.Length(max=100))
    note = fields.String(load_default="", validate=validate.Length(max=5000))


class SelectionRequest(Schema):
    selection_id = _id


class DeclineSelection(Schema):
    selection_id = _id
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class DemonstrationPage(PageRequest):
    cycle_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))

