"""The evaluation service's RPCs: the request and answer schema of each, the vocabulary they
share (Arts 8, 10, 16), and the columns of the cycle report's spreadsheet.

The service loads every request and dumps every answer through these schemas; the gateway
validates bodies and queries with the same request schemas and documents (and re-dumps) the
answers with the same answer schemas. Unknown request fields are refused (marshmallow's
default). Answer fields that are always present are ``required``.

RPC                         request               answer
get_station_profile         StationRequest        StationProfile
record_activity             RecordActivity        Activity
list_activities             StationPage           page of Activity
request_expert_service      RequestExpertService  ExpertService
advance_expert_service      AdvanceExpertService  ExpertService
list_expert_services        StationPage           page of ExpertService
set_report_deadlines        SetReportDeadlines    ReportDeadlines
submit_report               SubmitReport          WorkReport
record_commendation         RecordCommendation    Commendation
record_training             RecordTraining        Training
list_trainings              PageRequest           page of Training
record_publicity            RecordPublicity       Publicity
list_publicity              PublicityPage         page of Publicity
list_reports                StationRequest        list of WorkReport
check_deadlines             —                     DeadlineCheck
open_cycle                  OpenCycle             OpenedCycle
list_cycles                 CyclePage             page of Cycle
get_cycle                   CycleRequest          CycleDetail
assign_reviewers            AssignReviewers       AssignedReviewers
list_assignments            CycleRequest          list of ScoreSheet
submit_scores               SubmitScores          ScoreSheet
finalize_cycle              Finalize              FinalizedCycle
get_cycle_report            CycleRequest          CycleReport (rows in REPORT_COLUMNS)
list_rectifications         RectificationPage     page of Rectification
get_rectification           RectificationRequest  Rectification
submit_evidence             SubmitEvidence        Rectification
reassess_rectification      Reassess              Rectification
propose_demonstration       ProposeDemonstration  Demonstration
confirm_demonstration       SelectionRequest      Demonstration
decline_demonstration       DeclineSelection      Demonstration
list_demonstrations         DemonstrationPage     page of Demonstration

An answer schema (``contracts.rpc.fields.Answer``) dumps a service's rows as well as the
answer it already made: a field named in ``sources`` is read from that path of a row
(``"station.name"``; ``None`` when a step is), while an answer's own key, when present, is
taken as it is. So the gateway's re-dump of an answer is the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, utils, validate, validates_schema

from contracts.rpc.fields import Answer, IsoDate, IsoDateTime, MeasureDate, Yuan, ident, maybe, req
from servicekit.paging import PageRequest
from servicekit.spreadsheets import Column

# Vocabulary ----------------------------------------------------------------------------------

# Art 8: the kinds of activity a station holds (exchange, recruitment, consulting, leisure and
# health, commercialisation, social space).
ACTIVITY_KINDS: dict[str, str] = {
    "lecture": "专家讲座",
    "exchange_matchmaking": "交流对接",
    "site_visit": "考察洽谈",
    "policy_consulting": "政策咨询",
    "supply_demand_consulting": "供需咨询",
    "fast_track_service": "绿色通道服务",
    "talent_recommendation": "人才推荐",
    "training": "培训",
    "roadshow": "项目路演",
    "exchange_fair": "人才交流洽谈会",
    "salon": "人才沙龙",
    "leisure_health": "休闲保健服务",
    "forum": "创新论坛",
    "academic_discussion": "学术探讨",
    "technology_sharing": "技术分享",
    "cooperation_negotiation": "合作洽谈",
}

# R10.1, Art 10: the six services a station gives its resident experts.
EXPERT_SERVICE_KINDS: dict[str, str] = {
    "project_application": "项目申报",
    "research_grant_application": "课题申请",
    "continuing_education": "继续教育",
    "professional_title_evaluation": "职称评聘",
    "expert_vacation": "专家休假",
    "talent_programme_selection": "入选人才工程",
}

REPORT_KINDS: dict[str, str] = {"plan": "年度工作计划", "summary": "年度工作总结"}

# R12.1, Art 12: what the city publishes of the stations.
PUBLICITY_KINDS: dict[str, str] = {"typical_case": "典型事迹", "news": "驿站宣传"}

# Art 16: the six criteria, in the article's order.
CRITERIA: tuple[str, ...] = (
    "development",  # (1) development, experts led to serve the grassroots
    "industry_effect",  # (2) effect on innovation and industry around it
    "talent_team",  # (3) talent team, selections into talent programmes
    "events_and_talents_served",  # (4) events held, person-times of talent served
    "management",  # (5) management and operation
    "plans_and_reports",  # (6) work plans, summaries and information submitted
)
# R16.1: the criteria computed from the station's records.
RECORD_BASED: tuple[str, ...] = ("events_and_talents_served", "plans_and_reports")
CRITERIA_ZH: dict[str, str] = {
    "development": "驿站发展及引领专家服务基层工作开展情况",
    "industry_effect": "驿站辐射带动周边地区科技创新、产业发展情况",
    "talent_team": "驿站人才队伍建设、各级人才工程称号入选情况",
    "events_and_talents_served": "驿站举办人才交流活动场次、服务高层次人才人次情况",
    "management": "驿站管理运行情况",
    "plans_and_reports": "驿站制定上报工作计划、总结和信息情况",
}
GRADES_ZH: dict[str, str] = {"excellent": "优秀", "pass": "合格", "fail": "不合格"}
OUTCOMES_ZH: dict[str, str] = {"commended": "表扬", "passed": "通过",
                               "rectification": "限期整改"}


def format_score(centi: int) -> str:
    """Centi-points as points with two decimals ("94.67")."""
    return f"{centi // 100}.{centi % 100:02d}"


# Requests ------------------------------------------------------------------------------------

_id = ident(required=True)
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
    held_on = MeasureDate(required=True)
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


class RecordCommendation(Schema):
    """R17.2 (Art 17): a 表扬 as its document has it."""

    station_id = _id
    document = fields.String(required=True, validate=validate.Length(min=1, max=100),
                             metadata={"description": "Document number, e.g. 威人社字〔2026〕30号"})
    commended_on = MeasureDate(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    cycle_id = ident(load_default=None, metadata={
        "description": "The evaluation the commendation follows, if any"})


class Attendee(Schema):
    station_id = _id
    people = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=500))


class RecordTraining(Schema):
    """R12.1: a training of station staff the city held (Art 12 加大驿站工作人员培训力度)."""

    held_on = MeasureDate(required=True)
    topic = fields.String(required=True, validate=_text)
    attendees = fields.List(fields.Nested(Attendee), required=True,
                            validate=validate.Length(min=1, max=200))


class RecordPublicity(Schema):
    """R12.1: a typical case or news of a station the city published (Art 12)."""

    kind = fields.String(required=True, validate=validate.OneOf(tuple(PUBLICITY_KINDS)))
    station_id = _id
    title = fields.String(required=True, validate=_text)
    published_on = MeasureDate(required=True)
    summary = fields.String(required=True, validate=validate.Length(min=1, max=5000))


class PublicityPage(PageRequest):
    station_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


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
    adjustment_reasons = fields.Dict(
        keys=fields.String(validate=validate.OneOf(RECORD_BASED)),
        values=fields.String(validate=validate.Length(min=1, max=2000)),
        load_default=dict,
        metadata={"description": "R16.1: why criterion (4) or (6) differs from the score its "
                                 "records give (at most 10 points either way)"},
    )
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
    cycle_id = ident(load_default=None, metadata={
        "description": "The evaluation the selection rests on; left out, the station's latest "
                       "(R9.4: selected at a time the departments choose)"})
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


# Answer fields -------------------------------------------------------------------------------


class Points(fields.String):
    """A score: centi-points (an integer) as points with two decimals; text passes."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return format_score(value) if isinstance(value, int) else value


class Label(fields.String):
    """The Chinese name of another field's value in a vocabulary (``kind`` → ``kind_zh``)."""

    def __init__(self, vocabulary: Mapping[str, str], of: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vocabulary, self.of = vocabulary, of

    def get_value(self, obj: Any, attr: str, accessor: Any = None, default: Any = None) -> Any:
        return self.vocabulary[(accessor or utils.get_value)(obj, self.of, default)]


# Answers: station records --------------------------------------------------------------------


class Activity(Answer):
    sources: ClassVar[dict[str, str]] = {"activity_id": "id"}

    activity_id = req()
    station_id = req()
    kind = req()
    kind_zh = Label(ACTIVITY_KINDS, of="kind", required=True)
    title = req()
    held_on = req(IsoDate)
    place = req()
    participants = req(fields.Integer)
    talents_served = req(fields.Integer,
                          metadata={"description": "Person-times of high-level talent"})
    description = req()
    recorded_by = req()


class ExpertService(Answer):
    sources: ClassVar[dict[str, str]] = {"service_id": "id"}

    service_id = req()
    station_id = req()
    kind = req()
    kind_zh = Label(EXPERT_SERVICE_KINDS, of="kind", required=True)
    expert_name = req()
    expert_id = maybe()
    description = req()
    status = req(metadata={"description": "requested, in_progress, completed, cancelled "
                                           "(R10.1)"})
    requested_on = req(IsoDate)
    started_on = maybe(IsoDate)
    completed_on = maybe(IsoDate)
    cancelled_on = maybe(IsoDate)
    note = req()


class WorkReport(Answer):
    """A plan or summary owed or submitted: dumped from ``{"station_id", "kind", "year",
    "due_on", "state", "report": WorkReport row or None}``."""

    sources: ClassVar[dict[str, str]] = {
        "report_id": "report.id", "overdue_since": "report.overdue_since",
        "submitted_on": "report.submitted_on", "title": "report.title",
        "content": "report.content"
    }

    report_id = maybe()
    station_id = req()
    kind = req()
    kind_zh = Label(REPORT_KINDS, of="kind", required=True)
    year = req(fields.Integer)
    due_on = req(IsoDate)
    state = req(metadata={"description": "on_time, late, overdue, pending"})
    overdue_since = maybe(IsoDate)
    submitted_on = maybe(IsoDate)
    title = maybe()
    content = maybe()


class ReportDeadlines(Answer):
    sources: ClassVar[dict[str, str]] = {"plan": "plan_due_on", "summary": "summary_due_on"}

    year = req(fields.Integer)
    plan = req(IsoDate)
    summary = req(IsoDate)


class Commendation(Answer):
    sources: ClassVar[dict[str, str]] = {"commendation_id": "id",
                                         "station_name": "station.name"}

    commendation_id = req()
    station_id = req()
    station_name = req()
    cycle_id = maybe()
    document = req()
    commended_on = req(IsoDate)
    reason = req()
    recorded_by = req()


class Training(Answer):
    sources: ClassVar[dict[str, str]] = {"training_id": "id"}

    training_id = req()
    held_on = req(IsoDate)
    topic = req()
    attendees = req(fields.List, cls_or_instance=fields.Nested(Attendee))
    recorded_by = req()


class Publicity(Answer):
    sources: ClassVar[dict[str, str]] = {"publicity_id": "id", "station_name": "station.name"}

    publicity_id = req()
    kind = req(metadata={"description": "typical_case, news"})
    kind_zh = req(Label, vocabulary=PUBLICITY_KINDS, of="kind")
    station_id = req()
    station_name = req()
    title = req()
    published_on = req(IsoDate)
    summary = req()


class DeadlineCheck(Answer):
    reports_overdue = req(fields.Integer)
    rectifications_failed = req(fields.Integer)


# Answers: rectification and demonstration ----------------------------------------------------


class Rectification(Answer):
    sources: ClassVar[dict[str, str]] = {
        "rectification_id": "id", "station_name": "station.name", "district": "station.district"
    }

    rectification_id = req()
    cycle_id = req()
    station_id = req()
    station_name = req()
    district = req()
    status = req(metadata={"description": "open, evidence_submitted, passed, failed, closed"})
    findings = req()
    opened_on = req(IsoDate)
    deadline = req(IsoDate)
    evidence = maybe()
    evidence_submitted_on = maybe(IsoDate)
    reassessed_on = maybe(IsoDate)
    reassessment_score = maybe(fields.Integer)
    reassessment_grade = maybe()
    reassessment_comments = maybe()
    failure_reason = maybe()


class Demonstration(Answer):
    sources: ClassVar[dict[str, str]] = {
        "selection_id": "id", "station_name": "station.name", "district": "station.district",
        "proposed_subsidy": "proposed_subsidy_fen"
    }

    selection_id = req()
    cycle_id = req()
    station_id = req()
    station_name = req()
    district = req()
    proposed_subsidy = req(Yuan, metadata={"description": "yuan, two decimals (R9.1)"})
    provincial = req(fields.Boolean)
    provincial_reference = maybe()
    note = req()
    status = req(metadata={"description": "proposed, confirmed, declined"})
    proposed_by = req()
    proposed_on = req(IsoDate)
    city_hr_confirmed_by = maybe()
    org_department_confirmed_by = maybe()
    confirmed_on = maybe(IsoDate)
    declined_by = maybe()
    decline_reason = maybe()


# Answers: the station as evaluation sees it --------------------------------------------------


class StationRecords(Answer):
    activities = req(fields.Integer)
    talents_served = req(fields.Integer)
    expert_services = req(fields.Dict, keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "Requests by status"})
    collaborations = req(fields.Integer)


class OverdueReport(Answer):
    kind = req()
    year = req(fields.Integer)
    due_on = req(IsoDate)
    overdue_since = maybe(IsoDate)


class Result(Answer):
    """A station's result in a cycle: dumped from ``{"cycle": Cycle, "result": CycleStation,
    "rectification": Rectification row or None}``."""

    sources: ClassVar[dict[str, str]] = {
        "cycle_id": "cycle.id", "cycle_name": "cycle.name",
        "reference_date": "cycle.reference_date", "score": "result.score_centi",
        "grade": "result.grade", "rank": "result.rank", "reviewers": "result.reviewers",
        "criteria": "result.criteria_centi", "prefill": "result.prefill"
    }

    cycle_id = req()
    cycle_name = req()
    reference_date = req(IsoDate)
    score = maybe(Points)
    grade = maybe()
    rank = maybe(fields.Integer)
    reviewers = maybe(fields.Integer)
    criteria = req(fields.Dict, keys=fields.String(), values=Points())
    prefill = req(fields.Dict,
                   metadata={"description": "Criteria (4) and (6) with their sources; "
                                           "context: commendations since (R17.2)"})
    rectification = maybe(fields.Nested, nested=Rectification)

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        value = super().get_attribute(obj, attr, default)
        return (value or {}) if attr == "criteria" else value  # none before finalization


_STATION_COLUMNS = ("plaque_number", "name", "station_type", "host_unit_id", "host_unit_name",
                    "district", "approved_on", "status", "status_since", "revoked_on",
                    "last_evaluated_on")


class StationProfile(Answer):
    """Dumped from ``{"station": Station, "records": ..., "overdue_reports": [...],
    "results": [...], "commendations": [...]}``."""

    sources: ClassVar[dict[str, str]] = {
        "station_id": "station.id", **{name: f"station.{name}" for name in _STATION_COLUMNS}
    }

    station_id = req()
    plaque_number = req()
    name = req()
    station_type = req()
    host_unit_id = req()
    host_unit_name = req()
    district = req()
    approved_on = req(IsoDate)
    status = req()
    status_since = req(IsoDate)
    revoked_on = maybe(IsoDate)
    last_evaluated_on = maybe(IsoDate)
    records = req(fields.Nested, nested=StationRecords)
    overdue_reports = req(fields.List, cls_or_instance=fields.Nested(OverdueReport))
    results = req(fields.List, cls_or_instance=fields.Nested(Result))
    commendations = req(fields.List, cls_or_instance=fields.Nested(Commendation),
                        metadata={"description": "R17.2: its 表扬, newest first"})


# Answers: evaluation cycles ------------------------------------------------------------------


class Cycle(Answer):
    sources: ClassVar[dict[str, str]] = {"cycle_id": "id"}

    cycle_id = req()
    name = req()
    reference_date = req(IsoDate)
    status = req()
    weights = req(fields.Dict, keys=fields.String(), values=fields.Integer())
    bands = req(fields.Dict, keys=fields.String(), values=fields.Integer())
    targets = req(fields.Dict, keys=fields.String(), values=fields.Integer())
    rectification_days = req(fields.Integer)
    opened_by = req()
    opened_on = req(IsoDate)
    finalized_on = maybe(IsoDate)


# A cycle and what an answer tells with it: dumped from ``{"cycle": Cycle, ...}``.
_CYCLE_PARTS = {"cycle_id": "cycle.id", **{name: f"cycle.{name}" for name in (
    "name", "reference_date", "status", "weights", "bands", "targets", "rectification_days",
    "opened_by", "opened_on", "finalized_on")}}


class OpenedCycle(Cycle):
    sources: ClassVar[dict[str, str]] = _CYCLE_PARTS

    stations = req(fields.Integer, metadata={"description": "Stations due (R16.1)"})


class FinalizedCycle(Cycle):
    sources: ClassVar[dict[str, str]] = _CYCLE_PARTS

    outcomes = req(fields.Dict, keys=fields.String(), values=fields.Integer())


class CycleStation(Answer):
    """A station in a cycle: dumped from ``{"station": Station, "member": CycleStation,
    "reviewers_assigned": n, "sheets_in": n}``."""

    sources: ClassVar[dict[str, str]] = {
        "station_id": "station.id", "name": "station.name",
        "plaque_number": "station.plaque_number", "district": "station.district",
        "basis_date": "member.basis_date", "prefill": "member.prefill", "grade": "member.grade"
    }

    station_id = req()
    name = req()
    plaque_number = req()
    district = req()
    basis_date = req(IsoDate)
    prefill = req(fields.Dict,
                   metadata={"description": "Criteria (4) and (6) with their sources; "
                                           "context: commendations since (R17.2)"})
    reviewers_assigned = req(fields.Integer)
    sheets_in = req(fields.Integer)
    grade = maybe()


class CycleDetail(Cycle):
    sources: ClassVar[dict[str, str]] = _CYCLE_PARTS

    stations = req(fields.List, cls_or_instance=fields.Nested(CycleStation))


class AssignedReviewers(Answer):
    cycle_id = req()
    station_id = req()
    reviewers = req(fields.List, cls_or_instance=fields.String())


class Sources(fields.List):
    """A list a sheet holds once scored (criteria from the records, adjustments); empty
    before."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return super()._serialize(value or [], attr, obj, **kwargs)


# A reviewer's sheet, dumped from ``{"sheet": Assignment, ...}``.
_SHEET_PARTS = {name: f"sheet.{name}" for name in (
    "expert_id", "scores", "from_records", "adjustments", "comments", "scored_at")}


class Adjustment(Schema):
    """R16.1: a record-based criterion a reviewer moved from its computed score, and why."""

    criterion = req()
    computed = req(fields.Integer)
    score = req(fields.Integer)
    reason = req()


class ReportAdjustment(Adjustment):
    expert_id = req()


class _Sheet(Answer):
    expert_id = req()
    scores = req(fields.Dict, keys=fields.String(), values=fields.Integer(allow_none=True))
    from_records = req(Sources, cls_or_instance=fields.String())
    adjustments = req(Sources, cls_or_instance=fields.Nested(Adjustment))
    comments = maybe()
    scored_at = maybe(IsoDateTime)


class ScoreSheet(_Sheet):
    """The sheet a reviewer submitted: ``{"sheet": Assignment}``."""

    sources: ClassVar[dict[str, str]] = {
        **_SHEET_PARTS, "cycle_id": "sheet.cycle_id", "station_id": "sheet.station_id"
    }

    cycle_id = req()
    station_id = req()


class AssignedSheet(_Sheet):
    """A station a reviewer is assigned, with its pre-fill and the sheet so far:
    ``{"sheet": Assignment, "station": Station, "member": CycleStation}``."""

    sources: ClassVar[dict[str, str]] = {
        **_SHEET_PARTS, "station_id": "station.id", "name": "station.name",
        "plaque_number": "station.plaque_number", "district": "station.district",
        "prefill": "member.prefill"
    }

    station_id = req()
    name = req()
    plaque_number = req()
    district = req()
    prefill = req(fields.Dict)


# Answers: the cycle report and its spreadsheet -----------------------------------------------


class ReportRow(Answer):
    """A station's line in a finalized cycle's ranking: ``{"station": Station, "member":
    CycleStation, "outcome": ..., "rectification": row or None, "demonstration": row or
    None}``."""

    sources: ClassVar[dict[str, str]] = {
        "station_id": "station.id", "plaque_number": "station.plaque_number",
        "name": "station.name", "district": "station.district",
        "station_type": "station.station_type", "rank": "member.rank",
        "score": "member.score_centi", "grade": "member.grade", "reviewers": "member.reviewers",
        "criteria": "member.criteria_centi", "rectification_id": "rectification.id",
        "rectification_status": "rectification.status",
        "rectification_deadline": "rectification.deadline", "findings": "rectification.findings",
        "demonstration_status": "demonstration.status"
    }

    rank = req(fields.Integer)
    station_id = req()
    plaque_number = req()
    name = req()
    district = req()
    station_type = req()
    score = req(Points)
    grade = req()
    reviewers = req(fields.Integer)
    criteria = req(fields.Dict, keys=fields.String(), values=Points())
    outcome = req(metadata={"description": "commended, passed, rectification"})
    rectification_id = maybe()
    rectification_status = maybe()
    rectification_deadline = maybe(IsoDate)
    findings = maybe()
    demonstration_status = maybe()
    adjustments = req(fields.List, cls_or_instance=fields.Nested(ReportAdjustment),
                      metadata={"description": "R16.1: reviewers' adjustments of criteria "
                                               "(4) and (6) from their computed scores"})


class CycleReport(Cycle):
    sources: ClassVar[dict[str, str]] = _CYCLE_PARTS

    criteria = req(fields.List, cls_or_instance=fields.String())
    rows = req(fields.List, cls_or_instance=fields.Nested(ReportRow))


REPORT_SHEET = "Ranking"
REPORT_COLUMNS: tuple[Column, ...] = (
    Column("rank", "排名 Rank"),
    Column("plaque_number", "牌匾编号 Plaque"),
    Column("name", "驿站名称 Station"),
    Column("district", "区市 District"),
    Column("station_type", "类型 Type"),
    Column("score", "总分 Score", "number"),
    Column("grade", "等次 Grade"),
    *(Column(c, f"{CRITERIA_ZH[c]} ({i})", "number") for i, c in enumerate(CRITERIA, start=1)),
    Column("reviewers", "评审专家数 Reviewers"),
    Column("outcome", "结果 Outcome"),
    Column("rectification_deadline", "整改期限 Rectification deadline"),
    Column("findings", "整改意见 Findings"),
    Column("adjustments", "记录指标调整 Adjustments"),
)


def report_lines(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The report's rows as spreadsheet lines (keys of REPORT_COLUMNS): the criteria spread
    into their own columns, grade and outcome named in both languages."""
    return [{**row, **row["criteria"],
             "grade": f"{GRADES_ZH[row['grade']]} {row['grade']}",
             "outcome": f"{OUTCOMES_ZH[row['outcome']]} {row['outcome']}",
             "adjustments": "; ".join(
                 f"{a['expert_id']} {CRITERIA_ZH[a['criterion']]} {a['computed']}→{a['score']}: "
                 f"{a['reason']}" for a in row.get("adjustments", ()))}
            for row in report["rows"]]


def report_settings(report: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """The cycle's settings as key/value lines (the workbook's "Cycle" sheet)."""
    for key in ("cycle_id", "name", "reference_date", "finalized_on"):
        yield key, report[key]
    for key in ("weights", "bands"):
        for name, value in report[key].items():
            yield f"{key}.{name}", value
