"""The talent office (市人才办): the approval queue after the public notice, approve or decline
with comments, and the plaque number of the station an approval creates (R7.4)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.auth import login_required
from portal.blueprints.staff_district import (
    DecisionForm,
    chosen_status,
    count_of,
    status_choices,
    worklist_page,
)
from portal.client import api
from portal.forms import form_status, submit_once
from portal.labels import CONDITIONS
from portal.menu import add

bp = Blueprint("staff_office", __name__, url_prefix="/staff/office")
QUEUE_STATUSES = ("awaiting_approval", "approved", "declined")


@bp.get("/")
@login_required("talent_office")
def queue():
    status = chosen_status("awaiting_approval", QUEUE_STATUSES)
    return render_template("staff/worklist.html", page=worklist_page(status), status=status,
                           statuses=status_choices(QUEUE_STATUSES), endpoint=".queue",
                           detail=".application", heading=_("待审批的驿站"))


@bp.route("/applications/<application_id>", methods=["GET", "POST"])
@login_required("talent_office")
def application(application_id: str):
    found = api().get(f"/applications/{application_id}")
    form = DecisionForm()
    if form.validate_on_submit():
        decision = request.form.get("decision")
        if decision not in ("approve", "decline"):
            abort(400)

        def send(key: str) -> str:
            answer = api().post(f"/applications/{application_id}/{decision}",
                                json={"comments": form.comments.data.strip()},
                                idempotency_key=key)
            if decision == "approve":  # the answer is the new station: show its plaque
                flash(_("已认定，牌匾编号 %(plaque)s。", plaque=answer["plaque_number"]),
                      "success")
                return url_for(".approved", station_id=answer["id"])
            flash(_("已不予认定。"), "success")
            return url_for(".application", application_id=application_id)

        done = submit_once(form, send)
        if done:
            return done
    return render_template("staff/office_application.html", application=found, form=form,
                           conditions=CONDITIONS, missing=[],
                           can_decide=found["status"] == "awaiting_approval"), form_status(form)


@bp.get("/stations/<station_id>")
@login_required("talent_office")
def approved(station_id: str):
    return render_template("staff/office_approved.html",
                           station=api().get(f"/stations/{station_id}"))


add("talent_office", "staff_office.queue", _l("待审批"),
    count=lambda: count_of("awaiting_approval"))
