"""City staff (市人社局): the city-stage worklist, forming a review panel from the pool (R7.2,
conflicts shown and the API's refusal kept on the form), review progress, the ranking and the
shortlist rule (top N / minimum score), publishing a notice with its 5-working-day window
(R7.3), deciding objections and closing the notice."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.auth import login_required
from portal.blueprints.staff_district import (
    DecisionForm,
    chosen_status,
    count_of,
    decide,
    status_choices,
    worklist_page,
)
from portal.client import ApiError, api
from portal.dates import today
from portal.forms import OnceForm, form_status, submit_once
from portal.labels import CONDITIONS
from portal.menu import add

bp = Blueprint("staff_city", __name__, url_prefix="/staff/city")
CITY_STATUSES = ("at_city", "under_review", "shortlisted", "not_selected", "in_notice",
                 "awaiting_approval", "rejected")
BATCH = 200  # applications ranked or published together: one page of the API


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PanelForm(OnceForm):
    expert_ids = MultiCheckboxField(_l("评审专家（至少 3 名）"), choices=[],
                                    validators=[DataRequired()])


class ShortlistForm(OnceForm):
    top = IntegerField(_l("取前 N 名"), validators=[Optional(), NumberRange(min=1)])
    minimum_score = IntegerField(_l("最低分"), validators=[Optional(), NumberRange(min=0,
                                                                                  max=1000)])

    def validate_top(self, field: IntegerField) -> None:
        if field.data is None and self.minimum_score.data is None:
            raise ValidationError(_("请填写前 N 名或最低分，至少一项。"))


class PublishForm(OnceForm):
    published_on = DateField(_l("公示日期"), validators=[DataRequired()])
    application_ids = MultiCheckboxField(_l("公示的申报"), choices=[],
                                         validators=[DataRequired()])


class ObjectionForm(OnceForm):
    outcome = RadioField(_l("调查结论"), validators=[DataRequired()], choices=[
        ("dismissed", _l("异议不成立")), ("upheld", _l("异议成立"))])
    finding = TextAreaField(_l("调查情况"), validators=[DataRequired(), Length(max=5000)],
                            render_kw={"rows": 3})


class CloseForm(OnceForm):
    pass


@bp.get("/")
@login_required("city_hr")
def worklist():
    status = chosen_status("at_city", CITY_STATUSES)
    return render_template("staff/worklist.html", page=worklist_page(status), status=status,
                           statuses=status_choices(CITY_STATUSES), endpoint=".worklist",
                           detail=".application", heading=_("市级评审"))


def _pool(application: dict[str, Any]) -> list[dict[str, Any]]:
    """The review-expert pool, each marked when from the applicant's own unit (R7.2)."""
    return [{**e, "conflict": bool(e.get("host_unit_id"))
             and e.get("host_unit_id") == application.get("host_unit_id")}
            for e in api().get("/review-experts")]


@bp.route("/applications/<application_id>", methods=["GET", "POST"])
@login_required("city_hr")
def application(application_id: str):
    found = api().get(f"/applications/{application_id}")
    pool = _pool(found)
    panel = PanelForm(prefix="panel")
    panel.expert_ids.choices = [(e["id"], e["name"]) for e in pool]
    reject = DecisionForm(prefix="reject")
    back = url_for(".application", application_id=application_id)
    done = None
    if request.form.get("form") == "panel" and panel.validate_on_submit():
        def send(key: str) -> str:
            api().post(f"/applications/{application_id}/panel",
                       json={"expert_ids": panel.expert_ids.data}, idempotency_key=key)
            flash(_("评审专家组已组建。") if found["status"] == "at_city"
                  else _("评审专家组已补充。"), "success")
            return back

        done = submit_once(panel, send)
    elif request.form.get("form") == "reject" and reject.validate_on_submit():
        done = decide(reject, application_id, "reject", back)
    elif request.method == "POST" and request.form.get("form") not in ("panel", "reject"):
        abort(400)
    if done:
        return done
    progress = review_progress(found)
    assigned = {m["expert_id"] for m in (progress or {}).get("members", [])}
    return render_template(
        "staff/city_application.html", application=found, panel=panel, reject=reject,
        # Extending the panel (after a member declined) offers only experts not yet on it.
        pool=[e for e in pool if e["id"] not in assigned], progress=progress,
        conditions=CONDITIONS, missing=[]), max(form_status(panel), form_status(reject))


def review_progress(application: dict[str, Any]) -> dict[str, Any] | None:
    """Each panel member pending, reviewed (total) or declined (reason), once a panel is
    formed; None before, or when the API cannot say (the page still shows the rest)."""
    if application.get("status") == "at_city" and not application.get("panel"):
        return None
    try:
        return api().get(f"/applications/{application['id']}/reviews")
    except ApiError as err:
        if err.status in (401, 403):
            raise
        return None


def _batch(status: str) -> list[dict[str, Any]]:
    return api().get("/applications", params={"status": status, "limit": BATCH})["items"]


def _rank(applications: list[dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                     list[dict[str, Any]]]:
    """The ranking of the applications whose panels have all scored, and those still waiting:
    the API refuses a ranking with an incomplete one (R7.2) and names it, so it is set aside
    and shown instead of blocking the round."""
    waiting: list[dict[str, Any]] = []
    while applications:
        try:
            ranked = api().post("/applications/ranking",
                                json={"application_ids": [a["id"] for a in applications]})
            return ranked, waiting
        except ApiError as err:
            named = set(err.details.get("applications") or [])
            rest = [a for a in applications if a.get("number") not in named]
            if err.code != "review.incomplete" or len(rest) == len(applications):
                raise
            waiting += [a for a in applications if a.get("number") in named]
            applications = rest
    return [], waiting


@bp.route("/ranking", methods=["GET", "POST"])
@login_required("city_hr")
def ranking():
    ranked: list[dict[str, Any]] = []
    waiting: list[dict[str, Any]] = []
    refusal = None
    try:
        ranked, waiting = _rank(_batch("under_review"))
    except ApiError as err:  # shown above an empty table
        if err.status in (401, 403):
            raise
        refusal = err
    ids = [r["application_id"] for r in ranked]
    form = ShortlistForm()
    if ids and form.validate_on_submit():
        def send(key: str) -> str:
            result = api().post("/applications/shortlist", json={
                "application_ids": ids, "top": form.top.data,
                "minimum_score": form.minimum_score.data}, idempotency_key=key)
            flash(_("已按规则确定拟入选名单：%(n)s 项入选。",
                    n=sum(1 for r in result if r["shortlisted"])), "success")
            return url_for(".notices")

        done = submit_once(form, send)
        if done:
            return done
    return render_template("staff/city_ranking.html", ranked=ranked, waiting=waiting,
                           form=form, refusal=refusal), form_status(form)


@bp.route("/notices", methods=["GET", "POST"])
@login_required("city_hr")
def notices():
    candidates = _batch("shortlisted")
    form = PublishForm()
    form.application_ids.choices = [(a["id"], a["station_name"]) for a in candidates]
    if request.method == "GET":
        form.published_on.data = today()
        form.application_ids.data = [a["id"] for a in candidates]
    window = None
    if form.validate_on_submit():
        # The window is the API's (statutory calendar), shown before and after publishing.
        window = api().get("/calendar/notice-window",
                           params={"published_on": form.published_on.data.isoformat()})
        if request.form.get("action") == "publish":
            def send(key: str) -> str:
                notice = api().post("/notices", json={
                    "application_ids": form.application_ids.data,
                    "published_on": form.published_on.data.isoformat()}, idempotency_key=key)
                flash(_("公示已发布：%(opens)s 至 %(closes)s。", opens=notice["opens_on"],
                        closes=notice["closes_on"]), "success")
                return url_for(".notice", notice_id=notice["id"])

            done = submit_once(form, send)
            if done:
                return done
    return render_template("staff/city_notices.html", notices=api().get("/notices"),
                           form=form, window=window, candidates=candidates), form_status(form)


@bp.route("/notices/<notice_id>", methods=["GET", "POST"])
@login_required("city_hr")
def notice(notice_id: str):
    found = api().get(f"/notices/{notice_id}")
    back = url_for(".notice", notice_id=notice_id)
    target = request.form.get("objection")
    forms = {o["id"]: ObjectionForm(prefix=o["id"][:8]) if o["id"] == target
             else ObjectionForm(prefix=o["id"][:8], formdata=None)
             for o in found.get("objections") or []}
    close = CloseForm(prefix="close")
    done = None
    if target in forms and forms[target].validate_on_submit():
        form = forms[target]

        def send_decision(key: str) -> str:
            api().post(f"/objections/{target}/decision", json={
                "outcome": form.outcome.data, "finding": form.finding.data.strip()},
                idempotency_key=key)
            flash(_("异议调查结论已记录。"), "success")
            return back

        done = submit_once(form, send_decision)
    elif request.form.get("form") == "close" and close.validate_on_submit():
        def send_close(key: str) -> str:
            api().post(f"/notices/{notice_id}/close", idempotency_key=key)
            flash(_("公示已结束，名单已报市人才办审批。"), "success")
            return back

        done = submit_once(close, send_close)
    if done:
        return done
    status = max([form_status(close), *(form_status(f) for f in forms.values())])
    return render_template("staff/city_notice.html", notice=found, forms=forms,
                           close=close), status


add("city_hr", "staff_city.worklist", _l("市级评审"), count=lambda: count_of("at_city"))
add("city_hr", "staff_city.ranking", _l("排名与入选"))
add("city_hr", "staff_city.notices", _l("公示管理"))
