"""User administration (系统管理员): every account by role, creating staff accounts bound as
their role requires, deactivating (the user's issued tokens end at once), reactivating and
resetting a password. The API (gateway/accounts.py, role ``admin``) decides and audits; its
refusals are shown beside the fields with what the administrator typed kept."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from portal.auth import login_required
from portal.client import api
from portal.districts import DISTRICTS
from portal.forms import OnceForm, form_status, submit_once
from portal.labels import ROLES
from portal.menu import add
from portal.paging import page_params

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The binding each role carries (gateway/users.py BINDING_OF_ROLE): checked here first so the
# message is beside the right field; the API checks again.
BINDING_OF_ROLE = {"district_hr": "district", "host_unit": "organisation",
                   "enterprise": "organisation", "reviewer": "expert", "expert": "expert"}
# Refusals of the account itself name no field, only their code.
FIELD_OF_CODE = {"user.exists": "username", "user.username": "username",
                 "user.password": "password", "user.binding": "organisation",
                 "user.role": "role"}


def _role_choices(blank: object) -> list[tuple[str, object]]:
    return [("", blank), *ROLES.items()]


class NewUserForm(OnceForm):
    role = SelectField(_l("角色"), validators=[DataRequired()], choices=[])
    username = StringField(_l("用户名"), validators=[DataRequired(), Length(min=3, max=64)],
                           render_kw={"autocomplete": "off"})
    display_name = StringField(_l("姓名或单位名称"), validators=[DataRequired(),
                                                            Length(max=200)])
    password = PasswordField(_l("初始密码"), validators=[DataRequired(), Length(min=10, max=256)],
                             render_kw={"autocomplete": "new-password"})
    password_again = PasswordField(_l("再次输入密码"), validators=[
        DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致。"))],
        render_kw={"autocomplete": "new-password"})
    district = SelectField(_l("绑定区市（区市人社部门）"), validators=[Optional()], choices=[])
    organisation = StringField(_l("绑定单位编号（依托单位、用人单位）"),
                               validators=[Optional(), Length(max=64)])
    expert = StringField(_l("绑定专家编号（评审专家、专家）"),
                         validators=[Optional(), Length(max=64)])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices(_l("请选择"))
        self.district.choices = [("", _l("不绑定")), *DISTRICTS.items()]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        needed = BINDING_OF_ROLE.get(self.role.data)
        if needed and not (self._fields[needed].data or "").strip():
            field = self._fields[needed]
            field.errors = [*field.errors, _("该角色须绑定此项。")]
            valid = False
        return valid


class PasswordForm(OnceForm):
    password = PasswordField(_l("新密码"), validators=[DataRequired(), Length(min=10, max=256)],
                             render_kw={"autocomplete": "new-password"})
    password_again = PasswordField(_l("再次输入新密码"), validators=[
        DataRequired(), EqualTo("password", message=_l("两次输入的密码不一致。"))],
        render_kw={"autocomplete": "new-password"})


class SwitchForm(OnceForm):
    """Deactivate or reactivate: the button pressed says which."""


def _filter_role() -> str | None:
    role = request.args.get("role") or None
    return role if role in ROLES else None


@bp.get("/users")
@login_required("admin")
def users():
    role = _filter_role()
    page = api().get("/users", params={**({"role": role} if role else {}), **page_params()})
    forms = {u["username"]: SwitchForm(prefix=f"u{i}", formdata=None)
             for i, u in enumerate(page["items"])}
    return render_template("admin/users.html", page=page, role=role, forms=forms,
                           roles=_role_choices(_l("全部角色")))


@bp.post("/users/<username>/<change>")
@login_required("admin")
def switch(username: str, change: str):
    if change not in ("deactivate", "reactivate"):
        abort(404)
    form = SwitchForm(prefix=request.form.get("prefix", ""))
    back = request.form.get("back") or url_for(".users")
    if not back.startswith("/admin/users"):
        back = url_for(".users")
    if form.validate_on_submit():
        def send(key: str) -> str:
            api().post(f"/users/{username}/{change}", idempotency_key=key)
            flash(_("已停用账号 %(u)s，其已签发的登录凭证立即失效。", u=username)
                  if change == "deactivate" else _("已启用账号 %(u)s。", u=username), "success")
            return back

        done = submit_once(form, send)
        if done:
            return done
        refusal = getattr(form, "api_error", None)
        flash(refusal.message if refusal else _("操作未完成，请重试。"), "error")
    return users()


@bp.route("/users/new", methods=["GET", "POST"])
@login_required("admin")
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        def send(key: str) -> str:
            binding = BINDING_OF_ROLE.get(form.role.data)
            body = {"username": form.username.data.strip(), "password": form.password.data,
                    "role": form.role.data, "display_name": form.display_name.data.strip()}
            if binding:
                body[binding] = form._fields[binding].data.strip()
            api().post("/users", json=body, idempotency_key=key)
            flash(_("已创建账号 %(u)s。", u=body["username"]), "success")
            return url_for(".users", role=form.role.data)

        done = submit_once(form, send)
        if done:
            return done
        _place_code_error(form)
    return render_template("admin/new_user.html", form=form), form_status(form)


@bp.route("/users/<username>/password", methods=["GET", "POST"])
@login_required("admin")
def reset_password(username: str):
    form = PasswordForm()
    if form.validate_on_submit():
        def send(key: str) -> str:
            api().post(f"/users/{username}/reset-password",
                       json={"password": form.password.data}, idempotency_key=key)
            flash(_("已重置 %(u)s 的密码，其已签发的登录凭证立即失效。", u=username), "success")
            return url_for(".users")

        done = submit_once(form, send)
        if done:
            return done
        _place_code_error(form)
    return render_template("admin/password.html", form=form, username=username), \
        form_status(form)


def _place_code_error(form: OnceForm) -> None:
    """A refusal naming only its code goes beside the field it is about."""
    err = getattr(form, "api_error", None)
    name = FIELD_OF_CODE.get(err.code) if err is not None else None
    if name in form._fields:
        field = form._fields[name]
        field.errors = [*field.errors, err.message]


add("admin", "admin.users", _l("用户管理"))
add("admin", "admin.new_user", _l("新建账号"))
