"""District staff (区市人社部门): the worklist of the district's submitted applications, the
application with its evidence, recommend / return / reject with comments (R7.1), and the queue
of self-registrations to verify (the city's staff verify city-level ones with the same pages).

Which district's records a user may see is decided by the API: opening another district's
application raises its 403, which the app renders as the refusal page (never the data).
The small helpers at the top are shared by the other staff blueprints.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.auth import login_required
from portal.client import ApiError, api
from portal.forms import OnceForm, form_status, submit_once
from portal.labels import CONDITIONS, STATUSES
from portal.menu import add
from portal.paging import page_params

bp = Blueprint("staff_district", __name__, url_prefix="/staff/district")

DISTRICT_DECISIONS = ("recommend", "return", "reject")
WORKLIST_STATUSES = ("submitted", "returned", "at_city", "rejected")


class DecisionForm(OnceForm):
    """Comments for a decision; the decision is the submit button pressed (no JS needed)."""

    comments = TextAreaField(_l("审核意见"), validators=[DataRequired(), Length(max=5000)],
                             render_kw={"rows": 5})


class VerifyForm(OnceForm):
    binding = StringField(_l("绑定的单位或专家编号（可选）"),
                          validators=[Optional(), Length(max=64)])


class RejectRegistrationForm(OnceForm):
    reason = TextAreaField(_l("不予通过的理由"), validators=[DataRequired(), Length(max=500)],
                           render_kw={"rows": 3})


def count_of(status: str) -> int | None:
    """How many applications in ``status`` the user may see: one cheap call, for the menu."""
    try:
        return api().get("/applications", params={"status": status, "limit": 1})["total"]
    except ApiError:
        return None


def oldest_first(page: dict[str, Any]) -> dict[str, Any]:
    """The page's items, longest-waiting first (the worklist's order, R7.1)."""
    items = sorted(page.get("items") or [],
                   key=lambda a: a.get("submitted_at") or a.get("updated_at") or "")
    return {**page, "items": items}


def worklist_page(status: str | None) -> dict[str, Any]:
    return oldest_first(api().get("/applications", params={"status": status, **page_params()}))


def chosen_status(default: str, allowed: tuple[str, ...]) -> str:
    status = request.args.get("status", default)
    return status if status in allowed else default


def decide(form: DecisionForm, application_id: str, decision: str, back: str) -> Any:
    """POST the decision with the comments once; redirect back (post/redirect/get)."""
    def send(key: str) -> str:
        api().post(f"/applications/{application_id}/{decision}",
                   json={"comments": form.comments.data.strip()}, idempotency_key=key)
        flash(_("已办理：%(action)s。", action=DECISION_NAMES[decision]), "success")
        return back

    return submit_once(form, send)


DECISION_NAMES = {"recommend": _l("推荐至市级"), "return": _l("退回修改"),
                  "reject": _l("不予推荐"), "approve": _l("予以认定"),
                  "decline": _l("不予认定")}


def status_choices(statuses: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(s, str(STATUSES.get(s, s))) for s in statuses]


@bp.get("/")
@login_required("district_hr")
def worklist():
    status = chosen_status("submitted", WORKLIST_STATUSES)
    return render_template("staff/worklist.html", page=worklist_page(status), status=status,
                           statuses=status_choices(WORKLIST_STATUSES),
                           endpoint=".worklist", detail=".application",
                           heading=_("本区市的申报"))


@bp.route("/applications/<application_id>", methods=["GET", "POST"])
@login_required("district_hr")
def application(application_id: str):
    found = api().get(f"/applications/{application_id}")
    form = DecisionForm()
    if form.validate_on_submit():
        decision = request.form.get("decision")
        if decision not in DISTRICT_DECISIONS:
            abort(400)
        done = decide(form, application_id, decision,
                      url_for(".application", application_id=application_id))
        if done:
            return done
    return render_template("staff/district_application.html", application=found, form=form,
                           conditions=CONDITIONS, missing=[],
                           can_decide=found["status"] == "submitted"), form_status(form)


# Who may open an application's evidence: the API decides per application (R13.1).
EVIDENCE_READERS = ("district_hr", "city_hr", "talent_office", "org_department", "reviewer",
                    "auditor", "host_unit")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@bp.get("/applications/<application_id>/attachments/<sha256>")
@login_required(*EVIDENCE_READERS)
def attachment(application_id: str, sha256: str):
    """An evidence file, streamed from the API as the signed-in user (the token stays here)."""
    if not _SHA256.match(sha256):
        abort(404)
    content, content_type, disposition = api().get_bytes(
        f"/applications/{application_id}/attachments/{sha256}")
    return Response(content, mimetype=content_type or "application/octet-stream", headers={
        "Content-Disposition": disposition or f'attachment; filename="{sha256}"',
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


def _registrations() -> dict[str, Any]:
    return api().get("/registrations", params={"status": "pending", **page_params()})


def _render_queue(verify: VerifyForm | None = None, reject: RejectRegistrationForm | None = None,
                  target: str | None = None) -> Any:
    page = _registrations()
    forms = {r["id"]: (verify if target == r["id"] and verify else VerifyForm(prefix=r["id"][:8]),
                       reject if target == r["id"] and reject
                       else RejectRegistrationForm(prefix=r["id"][:8] + "r"))
             for r in page["items"]}
    refused = (verify and form_status(verify) != 200) or (reject and form_status(reject) != 200)
    return render_template("staff/registrations.html", page=page, forms=forms,
                           target=target), 422 if refused else 200


@bp.get("/registrations")
@login_required("district_hr", "city_hr")
def registrations():
    return _render_queue()


@bp.post("/registrations/<registration_id>/verify")
@login_required("district_hr", "city_hr")
def verify(registration_id: str):
    form = VerifyForm(prefix=registration_id[:8])
    if form.validate_on_submit():
        def send(key: str) -> str:
            binding = (form.binding.data or "").strip() or None
            api().post(f"/registrations/{registration_id}/verify",
                       json={"organisation": binding, "expert": binding} if binding else {},
                       idempotency_key=key)
            flash(_("注册已核实，账号可以登录。"), "success")
            return url_for(".registrations")

        done = submit_once(form, send, {"organisation": "binding", "expert": "binding"})
        if done:
            return done
    return _render_queue(verify=form, target=registration_id)


@bp.post("/registrations/<registration_id>/reject")
@login_required("district_hr", "city_hr")
def reject_registration(registration_id: str):
    form = RejectRegistrationForm(prefix=registration_id[:8] + "r")
    if form.validate_on_submit():
        def send(key: str) -> str:
            api().post(f"/registrations/{registration_id}/reject",
                       json={"reason": form.reason.data.strip()}, idempotency_key=key)
            flash(_("已不予通过该注册。"), "success")
            return url_for(".registrations")

        done = submit_once(form, send)
        if done:
            return done
    return _render_queue(reject=form, target=registration_id)


def _pending_registrations() -> int | None:
    try:
        return api().get("/registrations", params={"status": "pending", "limit": 1})["total"]
    except ApiError:
        return None


add("district_hr", "staff_district.worklist", _l("待审申报"), count=lambda: count_of("submitted"))
add("district_hr", "staff_district.registrations", _l("注册审核"), count=_pending_registrations)
add("city_hr", "staff_district.registrations", _l("注册审核"), count=_pending_registrations)
