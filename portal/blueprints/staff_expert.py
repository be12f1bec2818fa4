"""The review expert (评审专家): the applications of my panels, the on-site inspection and
scoring form of the rubric in force (R7.2), and declining an assignment for a conflict.

The total is computed on the server when the expert presses "compute" (no JavaScript needed);
the API computes it again when the review is recorded, and that is the one kept.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.auth import login_required
from portal.blueprints.staff_district import chosen_status, count_of, status_choices, worklist_page
from portal.client import api
from portal.dates import today
from portal.forms import OnceForm, form_status, submit_once
from portal.labels import CONDITIONS
from portal.menu import add

bp = Blueprint("staff_expert", __name__, url_prefix="/staff/expert")
MY_STATUSES = ("under_review", "shortlisted", "not_selected")
# The API's route for declining an assignment declaring a conflict of interest (R7.2).
DECLINE_PATH = "/applications/{id}/panel/decline"


class ReviewFormBase(OnceForm):
    inspection_date = DateField(_l("实地考察日期"), validators=[DataRequired()])
    findings = TextAreaField(_l("考察意见"), validators=[DataRequired(), Length(max=10000)],
                             render_kw={"rows": 6})


class DeclineForm(OnceForm):
    reason = TextAreaField(_l("回避理由（利益冲突）"),
                           validators=[DataRequired(), Length(min=5, max=500)],
                           render_kw={"rows": 3})


def criterion_name(criterion: dict[str, Any]) -> str:
    return criterion["name_en"] if str(get_locale()).startswith("en") else criterion["name_zh"]


def review_form(rubric: dict[str, Any]) -> ReviewFormBase:
    """A form with one score field per criterion of the rubric in force (0…max points)."""
    class ReviewForm(ReviewFormBase):
        pass

    for c in rubric["criteria"]:
        setattr(ReviewForm, f"score_{c['key']}", IntegerField(
            f"{criterion_name(c)}（0–{c['max_points']}）",
            validators=[InputRequired(), NumberRange(min=0, max=c["max_points"])],
            render_kw={"inputmode": "numeric", "min": 0, "max": c["max_points"]}))
    return ReviewForm()


def scores_of(form: ReviewFormBase, rubric: dict[str, Any]) -> dict[str, int]:
    return {c["key"]: getattr(form, f"score_{c['key']}").data for c in rubric["criteria"]}


@bp.get("/")
@login_required("reviewer")
def assigned():
    status = chosen_status("under_review", MY_STATUSES)
    return render_template("staff/worklist.html", page=worklist_page(status), status=status,
                           statuses=status_choices(MY_STATUSES), endpoint=".assigned",
                           detail=".application", heading=_("分配给我的申报"))


@bp.route("/applications/<application_id>", methods=["GET", "POST"])
@login_required("reviewer")
def application(application_id: str):
    found = api().get(f"/applications/{application_id}")
    rubric = api().get("/rubric")
    form = review_form(rubric)
    if request.method == "GET":
        form.inspection_date.data = today()
    total = None
    if form.validate_on_submit():
        scores = scores_of(form, rubric)
        total = sum(scores.values())
        if request.form.get("action") != "compute":
            def send(key: str) -> str:
                review = api().post(f"/applications/{application_id}/reviews", json={
                    "inspection_date": form.inspection_date.data.isoformat(),
                    "findings": form.findings.data.strip(), "scores": scores},
                    idempotency_key=key)
                flash(_("评审已提交，总分 %(total)s。", total=review["total"]), "success")
                return url_for(".assigned")

            done = submit_once(form, send, {f"scores.{k}": f"score_{k}" for k in scores})
            if done:
                return done
    return _page(found, rubric, form, DeclineForm(), total)


def _page(found: dict, rubric: dict, form: ReviewFormBase, decline: DeclineForm,
          total: int | None) -> Any:
    status = max(form_status(form), form_status(decline))
    return render_template("staff/expert_application.html", application=found, rubric=rubric,
                           form=form, decline=decline, total=total, conditions=CONDITIONS,
                           missing=[], criterion_name=criterion_name,
                           can_review=found["status"] == "under_review"), status


@bp.post("/applications/<application_id>/decline")
@login_required("reviewer")
def decline(application_id: str):
    found = api().get(f"/applications/{application_id}")
    rubric = api().get("/rubric")
    form = DeclineForm()
    if form.validate_on_submit():
        def send(key: str) -> str:
            api().post(DECLINE_PATH.format(id=application_id),
                       json={"reason": form.reason.data.strip()}, idempotency_key=key)
            flash(_("已声明回避，该申报不再分配给您。"), "success")
            return url_for(".assigned")

        # A refusal (not on the panel, already reviewed: 409) is shown on the form.
        done = submit_once(form, send)
        if done:
            return done
    review = review_form(rubric)
    review.inspection_date.data = today()
    return _page(found, rubric, review, form, None)


add("reviewer", "staff_expert.assigned", _l("我的评审"), count=lambda: count_of("under_review"))
