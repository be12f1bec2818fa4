"""Accounts at /api/v1: self-registration of host units, enterprises and experts, its
verification by the staff of their district (or the city), and the city administrator's
user administration.

A registration creates an inactive, unbound user; it cannot sign in (403, pending) until a
district_hr of its district or the city_hr verifies it. Verifying binds it: a host unit to the
host unit the applications service registers for it (or to one the staff name), an enterprise
or expert to the id the staff give or a new one. Every write here is in the gateway's audit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g
from flask.views import MethodView
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy.engine import RowMapping
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from contracts.rpc import applications as host_units
from gateway import rpc
from gateway import store as gateway_store
from gateway.arguments import Blueprint
from gateway.auth import Binding, current_principal, optional_auth, requires
from gateway.limits import rate_limit
from gateway.paging import PageQuery, page_of
from gateway.users import (
    ADMIN,
    BINDING_OF_ROLE,
    MIN_PASSWORD_LENGTH,
    USER_ROLES,
    User,
    UserError,
    add_registered_user,
    add_user,
    new_user_values,
    normalise_username,
    set_active,
    set_password,
)
from servicekit import text
from servicekit.errors import Conflict, InvalidInput, NotFound
from servicekit.tenants import DISTRICTS

DEFAULTS = {"REGISTRATION_RATE_LIMIT": "10 per hour"}  # registrations from one address
SELF_REGISTERED = ("host_unit", "enterprise", "expert")
REGISTRATION_STATUSES = ("pending", "verified", "rejected")
DECIDERS = ("city_hr", "district_hr")

blp = Blueprint("accounts", __name__, url_prefix="/api/v1",
                description="Self-registration, its verification, and user administration.")


# --- schemas ----------------------------------------------------------------------------------


def _text(maximum: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=maximum), **kwargs)


class HostUnitDetails(host_units.RegisterHostUnit):
    """The host unit as the applications service registers it; its district is the
    registration's."""

    class Meta:
        exclude = ("district",)


class EnterpriseDetails(Schema):
    name = _text(200, required=True)
    credit_code = fields.String(required=True, validate=validate.Length(equal=18))
    contact_name = _text(100, required=True)
    contact_phone = fields.String(required=True,
                                  validate=validate.Regexp(r"^[0-9+\-() ]{5,40}$"))
    address = _text(300, load_default=None)


class ExpertDetails(Schema):
    name = _text(100, required=True)
    employer = _text(200, load_default=None)
    contact_phone = fields.String(required=True,
                                  validate=validate.Regexp(r"^[0-9+\-() ]{5,40}$"))


DETAILS = {"host_unit": HostUnitDetails, "enterprise": EnterpriseDetails,
           "expert": ExpertDetails}


class RegistrationRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=3, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256),
                             metadata={"description": f"At least {MIN_PASSWORD_LENGTH} characters",
                                       **text.VERBATIM})
    display_name = _text(200, required=True)
    role = fields.String(required=True, validate=validate.OneOf(SELF_REGISTERED))
    district = fields.String(required=True, validate=validate.OneOf(DISTRICTS))
    organisation = fields.Dict(required=True, metadata={
        "description": "host_unit: name, credit_code, category, city_level, contact_name, "
                       "contact_phone, address; enterprise: name, credit_code, contact_name, "
                       "contact_phone, address; expert: name, employer, contact_phone"})


class RegistrationSchema(Schema):
    id = fields.String(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True)
    district = fields.String(required=True)
    organisation = fields.Dict(required=True)
    status = fields.String(required=True, metadata={"description": "pending, verified, rejected"})
    reason = fields.String(allow_none=True)
    bound_to = fields.String(allow_none=True, metadata={
        "description": "The organisation or expert id the user was bound to"})
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)


class RegistrationQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(REGISTRATION_STATUSES))
    district = fields.String(load_default=None, validate=validate.OneOf(DISTRICTS))


class VerifyRequest(Schema):
    organisation = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                                 metadata={"description": "host_unit, enterprise: an existing "
                                                          "id to bind to"})
    expert = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                           metadata={"description": "expert: an existing expert id"})


class RejectRequest(Schema):
    reason = _text(500, required=True)


class UserSchema(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    role = fields.String(required=True)
    active = fields.Boolean(required=True)
    binding = fields.Nested(Binding, required=True)
    registration = fields.String(allow_none=True, metadata={
        "description": "The self-registration's status; null for an account staff created"})


class NewUserRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=3, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256),
                             metadata=text.VERBATIM)
    role = fields.String(required=True, validate=validate.OneOf(USER_ROLES))
    display_name = _text(200, load_default="")
    district = fields.String(load_default=None)
    organisation = fields.String(load_default=None)
    expert = fields.String(load_default=None)


class PasswordRequest(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256),
                             metadata=text.VERBATIM)


class UserQuery(PageQuery):
    role = fields.String(load_default=None, validate=validate.OneOf(USER_ROLES))


# --- helpers ----------------------------------------------------------------------------------


def _store() -> gateway_store.Store:
    return current_app.extensions[gateway_store.EXTENSION]


def _refused(error: UserError) -> InvalidInput | Conflict | NotFound:
    kind = {"user.exists": Conflict, "user.not_found": NotFound}.get(error.code, InvalidInput)
    return kind(error.code, str(error), error.message_zh, {})


def _invalid_details(role: str, messages: Any) -> InvalidInput:
    return InvalidInput("invalid_input", "The request has invalid fields.", "请求中有无效字段。",
                        {"fields": {"organisation": messages}, "role": role})


def _details(role: str, given: dict[str, Any]) -> dict[str, Any]:
    """The organisation as the role's schema loads it; a credit code checked by its digit
    (as the applications service checks a host unit's)."""
    try:
        schema = DETAILS[role]()
        details = schema.load(text.apply(schema, given), unknown=RAISE)
    except ValidationError as exc:
        raise _invalid_details(role, exc.messages) from None
    if "credit_code" in details:
        try:
            details["credit_code"] = uscc.validate(details["credit_code"])
        except StdnumError:
            raise InvalidInput(
                "registration.credit_code", "The unified social credit code is invalid.",
                "统一社会信用代码无效（校验位或格式错误）。", {"field": "organisation.credit_code"},
            ) from None
    return details


def _registration(row: RowMapping) -> dict[str, Any]:
    user = _store().user(row["username"])
    return {**row, "display_name": user["display_name"] if user else row["username"]}


def _pending(registration_id: str) -> RowMapping:
    """The registration, if the caller may decide it and it is still pending."""
    row = _store().registration(registration_id)
    if row is None:
        raise NotFound("registration.not_found", f"No registration {registration_id}.",
                       f"未找到注册申请（{registration_id}）。", {"id": registration_id})
    principal = current_principal()
    if principal.role == "district_hr":
        principal.require_district(row["district"])
    if row["status"] != "pending":
        raise Conflict("registration.decided", f"The registration is {row['status']} already.",
                       "该注册申请已处理。", {"status": row["status"]})
    return row


def _decide(row: RowMapping, values: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    decision = {**values, "decided_by": current_principal().actor,
                "decided_at": datetime.now(UTC)}
    if not _store().decide_registration(row["id"], decision, user):
        raise Conflict("registration.decided", "The registration was decided meanwhile.",
                       "该注册申请已被他人处理。", {})
    return _registration(_store().registration(row["id"]))


def _host_unit_id(row: RowMapping, given: str | None) -> str:
    """The host unit to bind to: the one named (its credit code must be the registration's),
    else one the applications service registers now, as the verifying staff."""
    details = row["organisation"]
    if given is not None:
        unit = rpc.call("applications", "get_host_unit", given)
        if unit["credit_code"] != details["credit_code"]:
            raise Conflict("registration.credit_code_mismatch",
                           "The host unit named has another unified social credit code.",
                           "所选依托单位的统一社会信用代码与注册信息不一致。",
                           {"organisation": given})
        return given
    request = {**details, "district": None if details["city_level"] else row["district"]}
    unit = rpc.call("applications", "register_host_unit",
                    host_units.RegisterHostUnit().dump(request))
    return str(unit["id"])


def _user(row: RowMapping) -> dict[str, Any]:
    registration = _store().registration_of(row["username"])
    user = User.of_row(row)
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "active": user.active, "binding": user.binding,
            "registration": registration["status"] if registration else None}


def _existing_user(username: str) -> RowMapping:
    row = _store().user(normalise_username(username))
    if row is None:
        raise NotFound("user.not_found", f"No user {username}.", f"未找到用户（{username}）。",
                       {"username": username})
    return row


# --- registrations ----------------------------------------------------------------------------


@blp.route("/registrations")
class Registrations(MethodView):
    @optional_auth  # public: a person without an account registers here
    @rate_limit("REGISTRATION_RATE_LIMIT")
    @blp.arguments(RegistrationRequest)
    @blp.response(201, RegistrationSchema)
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Register a host unit, enterprise or expert: a pending account, which signs in once
        the staff of its district verify it."""
        details = _details(body["role"], body["organisation"])
        try:
            user = new_user_values(body["username"], body["password"], body["role"],
                                   body["display_name"], active=False)
            registration = {"id": str(uuid.uuid4()), "username": user["username"],
                            "role": body["role"], "district": body["district"],
                            "organisation": details, "status": "pending"}
            add_registered_user(_store(), user, registration)
        except UserError as exc:
            raise _refused(exc) from None
        return _registration(_store().registration(registration["id"]))

    @requires(*DECIDERS, read=True)
    @blp.arguments(RegistrationQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(RegistrationSchema))
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Registrations, oldest first: a district's staff see their own district's only."""
        principal = current_principal()
        district = query["district"]
        if principal.role == "district_hr":
            principal.require_district(district or principal.district)
            district = principal.district
        rows, total = _store().registrations(query["status"], district, query["limit"],
                                             query["offset"])
        return {"items": [_registration(row) for row in rows], "total": total,
                "limit": query["limit"], "offset": query["offset"]}


@blp.route("/registrations/<registration_id>/verify")
class VerifyRegistration(MethodView):
    @requires(*DECIDERS)
    @blp.arguments(VerifyRequest)
    @blp.response(200, RegistrationSchema)
    def post(self, body: dict[str, Any], registration_id: str) -> dict[str, Any]:
        """Verify a registration: the user is bound and may sign in."""
        row = _pending(registration_id)
        role = row["role"]
        if role == "host_unit":
            bound_to = _host_unit_id(row, body["organisation"])
        else:
            bound_to = body[BINDING_OF_ROLE[role]] or str(uuid.uuid4())
        binding = {BINDING_OF_ROLE[role]: bound_to}
        return _decide(row, {"status": "verified", "bound_to": bound_to},
                       {"active": True, **binding})


@blp.route("/registrations/<registration_id>/reject")
class RejectRegistration(MethodView):
    @requires(*DECIDERS)
    @blp.arguments(RejectRequest)
    @blp.response(200, RegistrationSchema)
    def post(self, body: dict[str, Any], registration_id: str) -> dict[str, Any]:
        """Reject a registration with the reason; the user learns it when signing in."""
        row = _pending(registration_id)
        return _decide(row, {"status": "rejected", "reason": body["reason"]}, {})


# --- users (the city's administrator) ---------------------------------------------------------


@blp.route("/users")
class Users(MethodView):
    @requires(ADMIN)
    @blp.arguments(UserQuery, location="query", unknown=RAISE)
    @blp.response(200, page_of(UserSchema))
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """Every user, by username."""
        rows = [row for row in _store().all_users()
                if query["role"] is None or row["role"] == query["role"]]
        page = rows[query["offset"]:query["offset"] + query["limit"]]
        return {"items": [_user(row) for row in page], "total": len(rows),
                "limit": query["limit"], "offset": query["offset"]}

    @requires(ADMIN)
    @blp.arguments(NewUserRequest)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create an active user of any role, bound as its role requires."""
        try:
            user = add_user(_store(), body["username"], body["password"], body["role"],
                            body["display_name"], district=body["district"],
                            organisation=body["organisation"], expert=body["expert"])
        except UserError as exc:
            raise _refused(exc) from None
        g.audit_object_id = user.username
        return _user(_existing_user(user.username))


def _change(username: str, change: Any) -> dict[str, Any]:
    name = _existing_user(username)["username"]
    try:
        change(name)
    except UserError as exc:
        raise _refused(exc) from None
    return _user(_existing_user(name))


@blp.route("/users/<username>/deactivate")
class DeactivateUser(MethodView):
    @requires(ADMIN)
    @blp.response(200, UserSchema)
    def post(self, username: str) -> dict[str, Any]:
        """Deactivate a user: its logins are refused and its issued tokens end now."""
        return _change(username, lambda name: set_active(_store(), name, False))


@blp.route("/users/<username>/reactivate")
class ReactivateUser(MethodView):
    @requires(ADMIN)
    @blp.response(200, UserSchema)
    def post(self, username: str) -> dict[str, Any]:
        """Let a deactivated user sign in again (its old tokens stay ended)."""
        registration = _store().registration_of(normalise_username(username))
        if registration is not None and registration["status"] != "verified":
            raise Conflict("user.not_verified",
                           f"The user's registration is {registration['status']}; verify it "
                           "instead.", "该用户的注册申请尚未审核通过，请先审核。",
                           {"registration": registration["status"]})
        return _change(username, lambda name: set_active(_store(), name, True))


@blp.route("/users/<username>/reset-password")
class ResetPassword(MethodView):
    @requires(ADMIN)
    @blp.arguments(PasswordRequest)
    @blp.response(200, UserSchema)
    def post(self, body: dict[str, Any], username: str) -> dict[str, Any]:
        """Set a new password; the user's issued tokens end now."""
        return _change(username, lambda name: set_password(_store(), name, body["password"]))
