"""The host unit's workspace: dashboard, the guided application form, submit, the timeline.

Steps of the form (each saves the draft through PATCH /applications/{id}): the type and name
(on creation, R5.1/R5.2), the four conditions with statement and evidence (R6.1), premises
and planned functions, funding, cooperating experts, then the review page and submit. A
returned application is edited through the same steps and submitted again.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, MultipleFileField
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.auth import current_user, login_required
from portal.client import ApiError, api
from portal.forms import OnceForm, form_status, submit_once
from portal.labels import (
    CONDITIONS,
    FUNCTIONS,
    HOST_CATEGORIES,
    HOSTS_OF_TYPE,
    STATION_TYPES,
    STATUSES,
    TYPE_FUNCTIONS,
    label,
)

bp = Blueprint("host", __name__, url_prefix="/host")
EDITABLE = ("draft", "returned")
EVIDENCE_TYPES = ("pdf", "jpg", "jpeg", "png", "docx", "xlsx")
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
STEPS = (
    ("conditions", _l("申报条件")),
    ("premises", _l("场地与功能")),
    ("funding", _l("建设经费")),
    ("experts", _l("合作专家")),
    ("review", _l("核对并提交")),
)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewApplicationForm(OnceForm):
    station_type = SelectField(_l("驿站类型"), validators=[DataRequired()], choices=[])
    station_name = StringField(_l("驿站名称"), validators=[DataRequired(), Length(max=200)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.station_type.choices = [("", _l("请选择")), *STATION_TYPES.items()]


class ConditionsForm(OnceForm):
    pass


for _key in CONDITIONS:
    setattr(ConditionsForm, f"{_key}_statement",
            TextAreaField(_l("情况说明"), validators=[Optional(), Length(max=5000)]))
    setattr(ConditionsForm, f"{_key}_files", MultipleFileField(
        _l("上传证明材料"), validators=[FileAllowed(
            EVIDENCE_TYPES, _l("只接受 PDF、JPEG、PNG、DOCX 或 XLSX 文件。"))]))


class PremisesForm(OnceForm):
    address = StringField(_l("场地地址"), validators=[DataRequired(), Length(max=300)])
    area_sqm = IntegerField(_l("场地面积（平方米）"),
                            validators=[DataRequired(), NumberRange(min=1, max=1_000_000)])
    planned_functions = MultiCheckboxField(_l("拟开展的功能（第八条）"), choices=[])
    type_functions = MultiCheckboxField(_l("本类型驿站的服务内容（第五条）"), choices=[])

    def __init__(self, *args: Any, station_type: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.planned_functions.choices = list(FUNCTIONS.items())
        self.type_functions.choices = list(TYPE_FUNCTIONS.get(station_type, {}).items())


def _yuan(form: OnceForm, field: StringField) -> None:
    try:
        amount = Decimal(field.data.replace(",", "").strip())
    except (InvalidOperation, AttributeError):
        raise ValidationError(_("请填写金额（元），如 300000.00。")) from None
    if amount < 0 or amount.as_tuple().exponent < -2:
        raise ValidationError(_("金额须为非负数，最多两位小数。"))


class FundingForm(OnceForm):
    committed_funding = StringField(_l("承诺的建设运营经费（元）"),
                                    validators=[DataRequired(), _yuan],
                                    render_kw={"inputmode": "decimal"})


class ExpertsForm(OnceForm):
    experts = TextAreaField(_l("合作专家"), validators=[Optional(), Length(max=40_000)],
                            render_kw={"rows": 8})


class SubmitForm(OnceForm):
    pass


def _unit() -> dict:
    user = current_user()
    assert user is not None
    return {"id": user["organisation"], "name": user.get("organisation_name")}


def _application(application_id: str) -> dict:
    return api().get(f"/applications/{application_id}")


def _editable(application: dict) -> dict:
    if application["status"] not in EDITABLE:
        flash(_("该申报当前状态为“%(status)s”，不能修改。",
                status=label(STATUSES, application["status"])), "error")
        abort(redirect(url_for(".application", application_id=application["id"])))
    return application


@bp.get("/")
@login_required("host_unit")
def dashboard():
    unit = _unit()
    applications = api().get("/applications", params={"limit": 50})
    # Its own stations: a revoked one stays in the registry beside a new one (R16.2).
    mine = api().get("/stations", params={"host_unit_id": unit["id"], "limit": 50})["items"]
    profiles = []
    for station in mine:
        try:
            profiles.append(api().get(f"/stations/{station['id']}/evaluation"))
        except ApiError:
            profiles.append({**station, "overdue_reports": []})
    todo = [a for a in applications["items"] if a["status"] in EDITABLE]
    return render_template("host/dashboard.html", applications=applications, stations=mine,
                           profiles=profiles, todo=todo)


@bp.route("/applications/new", methods=["GET", "POST"])
@login_required("host_unit")
def new_application():
    form = NewApplicationForm()
    unit = _unit()
    if form.validate_on_submit():
        def create(key: str) -> str:
            created = api().post("/applications", json={
                "host_unit_id": unit["id"], "station_type": form.station_type.data,
                "station_name": form.station_name.data.strip()}, idempotency_key=key)
            flash(_("申报草稿已创建，请逐项填写。"), "success")
            return url_for(".edit", application_id=created["id"], step="conditions")

        done = submit_once(form, create, {"host_category": "station_type"})
        if done:
            return done
    return render_template("host/new.html", form=form, hosts_of_type=HOSTS_OF_TYPE,
                           categories=HOST_CATEGORIES), form_status(form)


def _prefill(step: str, application: dict) -> dict[str, Any]:
    if step == "conditions":
        conditions = application.get("conditions") or {}
        return {f"{k}_statement": (conditions.get(k) or {}).get("statement", "")
                for k in CONDITIONS}
    if step == "premises":
        premises = application.get("premises") or {}
        return {"address": premises.get("address"), "area_sqm": premises.get("area_sqm"),
                "planned_functions": application.get("planned_functions") or [],
                "type_functions": application.get("type_functions") or []}
    if step == "funding":
        return {"committed_funding": application.get("committed_funding")}
    if step == "experts":
        lines = ["，".join(x for x in (e.get("name"), e.get("title"), e.get("organisation"))
                          if x) for e in application.get("cooperating_experts") or []]
        return {"experts": "\n".join(lines)}
    return {}


FORMS = {"conditions": ConditionsForm, "premises": PremisesForm, "funding": FundingForm,
         "experts": ExpertsForm}


def _parse_experts(text: str) -> list[dict[str, str]]:
    """One expert a line: name, title, organisation (separated by a comma, either width)."""
    experts = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if parts and parts[0]:
            experts.append({"name": parts[0], "title": parts[1] if len(parts) > 1 else "",
                            "organisation": ",".join(parts[2:]) if len(parts) > 2 else ""})
    return experts


def _upload_evidence(form: ConditionsForm) -> dict[str, list[str]]:
    """Upload each condition's new files; answers condition → new attachment ids."""
    added: dict[str, list[str]] = {}
    for condition in CONDITIONS:
        field = getattr(form, f"{condition}_files")
        for upload in field.data or []:
            if not getattr(upload, "filename", ""):
                continue
            data = upload.read()
            if len(data) > MAX_EVIDENCE_BYTES:
                field.errors = [*field.errors, _("文件“%(name)s”超过 10 MiB。",
                                                 name=upload.filename)]
                raise ApiError(413, "payload_too_large", _("上传的文件过大。"), {})
            try:
                stored = api().post("/attachments", files={
                    "file": (upload.filename, data, upload.mimetype)})
            except ApiError as err:
                field.errors = [*field.errors, f"{upload.filename}：{err.message}"]
                raise
            added.setdefault(condition, []).append(stored["attachment_id"])
    return added


def _body(step: str, form: OnceForm, application: dict) -> dict[str, Any]:
    if step == "conditions":
        added = _upload_evidence(form)  # type: ignore[arg-type]
        existing = application.get("conditions") or {}
        return {"conditions": {c: {
            "statement": getattr(form, f"{c}_statement").data or "",
            "evidence": [*(existing.get(c) or {}).get("evidence", []), *added.get(c, [])],
        } for c in CONDITIONS}}
    if step == "premises":
        return {"premises": {"address": form.address.data, "area_sqm": form.area_sqm.data},
                "planned_functions": form.planned_functions.data or [],
                "type_functions": form.type_functions.data or []}
    if step == "funding":
        amount = Decimal(form.committed_funding.data.replace(",", "").strip())
        return {"committed_funding": f"{amount:.2f}"}
    return {"cooperating_experts": _parse_experts(form.experts.data)}


@bp.route("/applications/<application_id>/edit/<step>", methods=["GET", "POST"])
@login_required("host_unit")
def edit(application_id: str, step: str):
    if step == "review":
        return redirect(url_for(".review", application_id=application_id))
    if step not in FORMS:
        abort(404)
    application = _editable(_application(application_id))
    form_class = FORMS[step]
    extra = {"station_type": application["station_type"]} if step == "premises" else {}
    form = form_class(**extra) if request.method == "POST" else form_class(
        data=_prefill(step, application), **extra)
    if form.validate_on_submit():
        names = [s for s, _label in STEPS]
        following = names[names.index(step) + 1]
        stay = request.form.get("action") == "save"

        def save(key: str) -> str:
            api().patch(f"/applications/{application_id}",
                        json=_body(step, form, application), idempotency_key=key)
            flash(_("草稿已保存。"), "success")
            return url_for(".edit", application_id=application_id,
                           step=step if stay else following)

        done = submit_once(form, save, _aliases(step))
        if done:
            return done
    return render_template(f"host/step_{step}.html", form=form, application=application,
                           steps=STEPS, step=step, conditions=CONDITIONS), form_status(form)


def _aliases(step: str) -> dict[str, str]:
    if step == "premises":
        return {"premises.address": "address", "premises.area_sqm": "area_sqm"}
    if step == "experts":
        return {"cooperating_experts": "experts"}
    if step == "conditions":
        return {f"conditions.{c}": f"{c}_statement" for c in CONDITIONS}
    return {}


@bp.route("/applications/<application_id>/review", methods=["GET", "POST"])
@login_required("host_unit")
def review(application_id: str):
    application = _editable(_application(application_id))
    form = SubmitForm()
    missing: list[str] = []
    if form.validate_on_submit():
        def submit(key: str) -> str:
            api().post(f"/applications/{application_id}/submit", idempotency_key=key)
            flash(_("申报已提交。"), "success")
            return url_for(".application", application_id=application_id)

        done = submit_once(form, submit)
        if done:
            return done
        err = getattr(form, "api_error", None)
        missing = list(err.details.get("missing") or []) if err else []
    return render_template("host/review.html", form=form, application=application,
                           steps=STEPS, step="review", conditions=CONDITIONS,
                           missing=missing), form_status(form)


@bp.get("/applications/<application_id>")
@login_required("host_unit")
def application(application_id: str):
    found = _application(application_id)
    return render_template("host/application.html", application=found,
                           editable=found["status"] in EDITABLE, conditions=CONDITIONS)

