"""Log in, log out, and self-registration (pending until staff verify it)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

from portal import once
from portal.auth import safe_next, sign_in, sign_out
from portal.client import ApiError, public_api
from portal.districts import DISTRICTS
from portal.forms import OnceForm, apply_api_error
from portal.labels import HOST_CATEGORIES

bp = Blueprint("account", __name__)


class LoginForm(OnceForm):
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


def _district_choices() -> list[tuple[str, str]]:
    return [("", _l("请选择")), *((code, name) for code, name in DISTRICTS.items())]


# The organisation fields each role must give (the accounts API's organisation schemas); the
# portal asks for them first so the message is in the user's language and beside the field.
REQUIRED_OF_ROLE = {
    "host_unit": ("organisation_name", "credit_code", "host_category", "contact_name",
                  "contact_phone", "address"),
    "enterprise": ("organisation_name", "credit_code", "contact_name", "contact_phone"),
    "expert": ("contact_phone",),
}
# API field names (organisation.<name>, flattened) → this form's fields.
API_FIELDS = {"organisation.name": "organisation_name", "organisation.category": "host_category",
              "organisation.employer": "employer"}
# Refusals of the account itself name no field, only their code.
FIELD_OF_CODE = {"user.exists": "username", "user.username": "username",
                 "user.password": "password"}


class RegistrationForm(OnceForm):
    role = RadioField(_l("注册身份"), validators=[DataRequired()], choices=[
        ("host_unit", _l("依托单位（申报人才驿站）")),
        ("enterprise", _l("用人单位（发布人才需求）")),
        ("expert", _l("专家人才")),
    ], default="host_unit")
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(min=3, max=64)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField(_l("密码"), validators=[DataRequired(), Length(min=10, max=256)],
                             render_kw={"autocomplete": "new-password"})
    password_again = PasswordField(_l("再次输入密码"), validators=[
        DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致。"))],
        render_kw={"autocomplete": "new-password"})
    display_name = StringField(_l("姓名或单位名称"), validators=[DataRequired(), Length(max=200)])
    district = SelectField(_l("所在区市"), validators=[DataRequired()], choices=[])
    city_level = BooleanField(_l("市直单位（由市人社局核验）"))
    organisation_name = StringField(_l("单位全称"), validators=[Optional(), Length(max=200)])
    credit_code = StringField(_l("统一社会信用代码"), validators=[
        Optional(), Regexp(r"^[0-9A-HJ-NPQRTUWXY]{18}$",
                           message=_l("统一社会信用代码为 18 位数字或大写字母。"))])
    host_category = SelectField(_l("单位类别（依托单位）"), validators=[Optional()], choices=[])
    contact_name = StringField(_l("联系人"), validators=[Optional(), Length(max=100)])
    contact_phone = StringField(_l("联系电话"), validators=[
        Optional(), Regexp(r"^[0-9+\-() ]{5,40}$", message=_l("请填写有效的电话号码。"))],
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    address = StringField(_l("单位地址"), validators=[Optional(), Length(max=300)])
    employer = StringField(_l("工作单位（专家）"), validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.district.choices = _district_choices()
        self.host_category.choices = [("", _l("请选择")), *HOST_CATEGORIES.items()]

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid = super().validate(extra_validators)
        for name in REQUIRED_OF_ROLE.get(self.role.data, ()):
            field = self._fields[name]
            if not (field.data or "").strip():
                field.errors = [*field.errors, _("此项为本注册身份的必填项。")]
                valid = False
        return valid


def _filled(values: dict) -> dict:
    return {k: v.strip() if isinstance(v, str) else v for k, v in values.items()
            if v not in (None, "")}


def _organisation(form: RegistrationForm) -> dict:
    """The ``organisation`` object of the role (host unit, enterprise or expert)."""
    role = form.role.data
    if role == "expert":
        return _filled({"name": form.display_name.data, "employer": form.employer.data,
                        "contact_phone": form.contact_phone.data})
    values = {"name": form.organisation_name.data, "credit_code": form.credit_code.data,
              "contact_name": form.contact_name.data, "contact_phone": form.contact_phone.data,
              "address": form.address.data}
    if role == "host_unit":
        values.update(category=form.host_category.data, city_level=bool(form.city_level.data))
    return _filled(values)


def _registration_body(form: RegistrationForm) -> dict:
    """The body of POST /api/v1/registrations (gateway/accounts.py RegistrationRequest)."""
    return {"username": form.username.data.strip(), "password": form.password.data,
            "display_name": form.display_name.data.strip(), "role": form.role.data,
            "district": form.district.data, "organisation": _organisation(form)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    target = safe_next(request.args.get("next")) or url_for("public.home")
    if form.validate_on_submit():
        try:
            sign_in(form.username.data.strip(), form.password.data)
        except ApiError as err:
            apply_api_error(form, err)
            form.password.data = ""
        else:
            return redirect(target)
    elif request.method == "GET" and request.args.get("expired"):
        flash(_("登录已过期，请重新登录。"), "info")
    return render_template("account/login.html", form=form), 200 if not form.errors else 422


@bp.post("/logout")
def logout():
    sign_out()
    flash(_("您已安全退出。"), "success")
    return redirect(url_for("public.home"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegistrationForm()
    if form.validate_on_submit():
        key = form.idempotency_key.data
        seen = once.claim("register", key)
        if seen is not None:
            return redirect(seen or url_for("account.register"))
        try:
            public_api().post("/registrations", json=_registration_body(form),
                              idempotency_key=key)
        except ApiError as err:
            once.release("register", key)
            apply_api_error(form, err, API_FIELDS)
            if err.code in FIELD_OF_CODE:
                field = form._fields[FIELD_OF_CODE[err.code]]
                field.errors = [*field.errors, err.message]
        else:
            target = url_for("account.registered")
            once.done("register", key, target)
            return redirect(target)
    status = 422 if form.errors or getattr(form, "api_error", None) else 200
    return render_template("account/register.html", form=form), status


@bp.get("/register/done")
def registered():
    return render_template("account/registered.html")
