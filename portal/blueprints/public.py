"""Pages anyone may open: home, notices and objections, the station registry, the measures,
the talent map. They call the API as the public (a stale token must not break them)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal import once
from portal.auth import current_user
from portal.client import ApiError, api, public_api
from portal.dates import today
from portal.districts import DISTRICTS
from portal.forms import OnceForm, apply_api_error
from portal.labels import STATION_TYPES, STATUSES
from portal.paging import page_params

bp = Blueprint("public", __name__)
STATION_STATUSES = ("active", "rectifying", "revoked")


def _today() -> str:
    return today().isoformat()


def policy_in_force(policies: list[dict]) -> dict | None:
    """The version whose validity covers today (R18.1), or None when none does."""
    today = _today()
    for policy in sorted(policies, key=lambda p: p["effective_from"], reverse=True):
        if policy["effective_from"] <= today and (policy.get("effective_to") or "9999") >= today:
            return policy
    return None


def is_assumed(policy: dict) -> bool:
    """A version registered as an assumption (the demo's successor of the expired 2020
    measures) is labelled as one, never passed off as issued (R18.1)."""
    return bool(policy.get("assumed"))


@bp.get("/")
def home():
    client = public_api()
    notices = client.get("/public/notices")
    stations = client.get("/stations", params={"limit": 6})
    policies = client.get("/policies")
    recent = sorted(stations["items"], key=lambda s: s.get("approved_on") or "", reverse=True)
    return render_template("public/home.html", notices=notices, stations=recent,
                           total_stations=stations["total"], policy=policy_in_force(policies),
                           is_assumed=is_assumed)


class ObjectionForm(OnceForm):
    application_id = SelectField(_l("异议对象"), validators=[DataRequired()], choices=[])
    reason = TextAreaField(_l("异议理由"), validators=[DataRequired(), Length(min=5, max=5000)])
    name = StringField(_l("姓名（可不填）"), validators=[Optional(), Length(max=100)])
    contact = StringField(_l("联系方式（可不填）"), validators=[Optional(), Length(max=100)])


def _open_notice(notice_id: str) -> dict:
    # The API lists the open notices to the public; one not among them is not public (any more).
    for notice in public_api().get("/public/notices"):
        if notice["id"] == notice_id:
            return notice
    abort(404)


@bp.route("/notices/<notice_id>", methods=["GET", "POST"])
def notice(notice_id: str):
    found = _open_notice(notice_id)
    form = ObjectionForm()
    form.application_id.choices = [
        (a["application_id"], f'{a["number"]} {a["station_name"]}')
        for a in found["applications"]]
    if request.method == "GET" and request.args.get("application"):
        form.application_id.data = request.args["application"]
    if form.validate_on_submit():
        owner, key = f"objection:{notice_id}", form.idempotency_key.data
        seen = once.claim(owner, key)
        if seen is not None:
            return redirect(seen or url_for(".notice", notice_id=notice_id))
        body = {"application_id": form.application_id.data, "reason": form.reason.data,
                "name": form.name.data or None, "contact": form.contact.data or None}
        try:
            receipt = public_api().post(f"/public/notices/{notice_id}/objections", json=body,
                                        idempotency_key=key)
        except ApiError as err:
            once.release(owner, key)
            apply_api_error(form, err)
        else:
            session["objection_receipt"] = receipt
            target = url_for(".notice", notice_id=notice_id, _anchor="receipt")
            once.done(owner, key, target)
            return redirect(target)
    receipt = session.pop("objection_receipt", None) if request.method == "GET" else None
    status = 422 if form.errors or getattr(form, "api_error", None) else 200
    return render_template("public/notice.html", notice=found, form=form,
                           receipt=receipt), status


@bp.get("/stations")
def stations():
    filters = {
        "q": (request.args.get("q") or "").strip()[:100] or None,
        "station_type": request.args.get("station_type") if request.args.get(
            "station_type") in STATION_TYPES else None,
        "district": request.args.get("district") if request.args.get(
            "district") in DISTRICTS else None,
        "status": request.args.get("status") if request.args.get(
            "status") in STATION_STATUSES else None,
    }
    page = public_api().get("/stations", params={**filters, **page_params()})
    kept = {k: v for k, v in filters.items() if v}
    return render_template("public/stations.html", page=page, filters=kept,
                           station_types=STATION_TYPES, districts=DISTRICTS,
                           statuses={s: STATUSES[s] for s in STATION_STATUSES})


@bp.get("/stations/<station_id>")
def station(station_id: str):
    # A signed-in host unit or staff member sees who changed its status; the public does not.
    client = api() if current_user() else public_api()
    return render_template("public/station.html", station=client.get(f"/stations/{station_id}"))


@bp.get("/measures")
def measures():
    client = public_api()
    policies = client.get("/policies")
    try:
        text = client.get("/measures")
    except ApiError:
        # The versions' validity comes from another service; it stays useful without the text.
        text = None
    return render_template("public/measures.html", policies=policies,
                           in_force=policy_in_force(policies), text=text, today=_today(),
                           english=str(get_locale()) == "en", is_assumed=is_assumed)


MAP_METRICS = {"experts": _l("专家人数"), "demands": _l("需求数"),
               "collaborations": _l("合作项目数")}


@bp.get("/talent-map")
def talent_map():
    metric = request.args.get("metric") if request.args.get("metric") in MAP_METRICS \
        else "experts"
    # The same counts as a table: the picture's text alternative. Public (Art 8(2)): counts
    # only, asked as the public (a stale token must not break the page).
    try:
        counts = public_api().get("/talent-map", params={"metric": metric})
    except ApiError:
        counts = None
    return render_template("public/talent_map.html", metric=metric, metrics=MAP_METRICS,
                           counts=counts)


@bp.get("/talent-map.svg")
def talent_map_svg():
    metric = request.args.get("metric") if request.args.get("metric") in MAP_METRICS \
        else "experts"
    content, content_type, _name = public_api().get_bytes(
        "/talent-map", params={"format": "svg", "metric": metric})
    if not content_type.startswith("image/svg+xml"):
        flash(_("人才地图暂时无法显示。"), "error")
        abort(502)
    return Response(content, mimetype="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src "
                             "'unsafe-inline'", "Cache-Control": "public, max-age=300"})
