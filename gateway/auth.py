"""Who is calling and what they may touch: bearer tokens, roles per route, owners per object.

A view declares its roles; the decorator authenticates the bearer token and sets
``g.principal`` (a servicekit Principal), ``g.actor`` and ``g.role``; the RPCs the view makes
carry the principal to the services (gateway.rpc.request_context), which check it again.

    @blp.route("/applications/<application_id>/recommend")
    class Recommend(MethodView):
        @requires("district_hr")                  # outermost: 401/403 before the body is read
        @blp.arguments(RecommendRequest)
        @blp.response(200, ApplicationSchema)
        def post(self, payload, application_id):
            ...

    @requires("city_hr", "district_hr", read=True)   # read=True: the auditor may GET it too
    @requires()                                      # any signed-in role
    @optional_auth                                   # public, a token is welcome but optional

A platform token is also checked against its user's row on every request: a deactivated user,
or one whose password was set since, is refused at once (``ver``, gateway.tokens). A token
whose subject the gateway holds no account for (signed by the key, e.g. by tooling) is taken
on its signature alone.

The auditor is read-only everywhere: whatever a view declares, it refuses the auditor any
method but GET/HEAD/OPTIONS. Per object, ``require_owner(...)`` refuses a principal bound to
another district, organisation or expert (R13.1), and ``scope_filters(...)`` restricts a list.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from copy import deepcopy
from http import HTTPStatus
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from gateway import limits
from gateway import store as gateway_store
from gateway.arguments import Blueprint
from gateway.errors import Unauthorized
from gateway.tokens import InvalidToken, Tokens
from gateway.users import (
    BINDINGS,
    USER_ROLES,
    AccountNotVerified,
    authenticate,
    normalise_username,
)
from servicekit import text
from servicekit.auth import ROLE_NAMES_ZH, Principal
from servicekit.errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])

TOKENS = "gateway.tokens"
ANONYMOUS = Principal(actor="anonymous", role="public")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_VIEWS = frozenset({"post", "put", "patch", "delete"})  # MethodView method names
SECURITY_SCHEME = "bearerAuth"


def init_app(app: Flask) -> None:
    """The platform's signing key and the trusted issuers, from the configuration."""
    app.extensions[TOKENS] = Tokens.from_config(app.config)


def current_principal() -> Principal:
    """The request's authenticated principal, or the anonymous public."""
    return g.get("principal", ANONYMOUS)


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized.required()
    return token.strip()


def _authenticate(token: str) -> Principal:
    tokens: Tokens = current_app.extensions[TOKENS]
    try:
        principal, version = tokens.check(token)
    except InvalidToken as refused:
        raise Unauthorized.invalid_token(refused.reason) from None
    if version is not None:
        row = current_app.extensions[gateway_store.EXTENSION].user(principal.actor)
        if row is not None and (not row["active"] or row["token_version"] != version):
            raise Unauthorized.invalid_token("revoked")
    _set_principal(principal)
    return principal


def _refuse_auditor_writes(principal: Principal) -> None:
    if principal.role == "auditor" and request.method not in READ_METHODS:
        raise Forbidden(
            "forbidden.read_only",
            "The auditor reads everything and changes nothing.",
            "审计角色只能查看，不能修改。",
            {"role": "auditor", "method": request.method},
        )


def _set_principal(principal: Principal) -> None:
    g.principal = principal
    g.actor = principal.actor
    g.role = principal.role


def _document(
    view: Any, security: list[dict[str, list]], statuses: Iterable[int], roles: Iterable[str]
) -> None:
    """Show the route's security, the roles it admits (``x-roles``) and its 401/403 answers
    in the OpenAPI document (stored the way flask-smorest's own decorators store theirs)."""
    if view.__name__ in WRITE_VIEWS:  # the auditor's writes are always refused
        roles = [role for role in roles if role != "auditor"]
    doc = deepcopy(getattr(view, "_apidoc", {}))
    doc.setdefault("manual_doc", {}).update({"security": security, "x-roles": list(roles)})
    responses = doc.setdefault("response", {}).setdefault("responses", {})
    for status in statuses:
        responses.setdefault(status, [HTTPStatus(status).name])
    view._apidoc = doc


def requires(*roles: str, read: bool = False) -> Callable[[F], F]:
    """Only a bearer of a valid token whose role is one of ``roles`` (any role when none
    is named); ``read=True`` admits the auditor too, on GET/HEAD/OPTIONS only.

    401 without a valid token; 403 for another role, and for an auditor's write."""
    unknown = set(roles) - set(USER_ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; roles: {', '.join(USER_ROLES)}")
    allowed = (*roles, "auditor") if read and roles and "auditor" not in roles else roles

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def authorised(*args: Any, **kwargs: Any) -> Any:
            principal = _authenticate(_bearer_token())
            _refuse_auditor_writes(principal)
            if allowed:
                principal.require(*allowed)
            return view(*args, **kwargs)

        _document(authorised, [{SECURITY_SCHEME: []}], (401, 403), allowed or USER_ROLES)
        return authorised  # type: ignore[return-value]

    return decorator


def optional_auth(view: F) -> F:
    """A public route that also takes a token: the anonymous public without one, the token's
    principal with a valid one, 401 with an invalid one (never silently anonymous)."""

    @functools.wraps(view)
    def maybe_authenticated(*args: Any, **kwargs: Any) -> Any:
        if "Authorization" in request.headers:
            _refuse_auditor_writes(_authenticate(_bearer_token()))
        else:
            _set_principal(ANONYMOUS)
        return view(*args, **kwargs)

    _document(maybe_authenticated, [{}, {SECURITY_SCHEME: []}], (401,), ("public", *USER_ROLES))
    return maybe_authenticated  # type: ignore[return-value]


def _refuse(kind: str, value: str | None) -> Forbidden:
    principal = current_principal()
    own = {
        "district": principal.district,
        "organisation": principal.organisation,
        "expert": principal.expert,
    }.get(kind)
    role_zh = ROLE_NAMES_ZH.get(principal.role, principal.role)
    if kind == "district":
        # R13.1: a district sees and acts on its own district's records only.
        return Forbidden(
            "forbidden.district",
            f"District {own} may not act on records of district {value or 'the city'}.",
            f"区市（{own}）不能处理其他区市或市级（{value or '市级'}）的事项。",
            {"district": value},
        )
    if kind == "organisation":
        return Forbidden(
            "forbidden.organisation",
            "This record belongs to another organisation.",
            "该记录属于其他单位，无权处理。",
            {"organisation": value},
        )
    if kind == "expert":
        return Forbidden(
            "forbidden.not_assigned",
            "This record is not assigned to you.",
            "该记录未分配给您，无权处理。",
            {},
        )
    return Forbidden(
        "forbidden.role",
        f"Role {principal.role} may not act on this record.",
        f"角色“{role_zh}”无权处理该记录。",
        {"role": principal.role},
    )


def require_owner(
    *,
    district: str | None = None,
    organisation: str | None = None,
    experts: Iterable[str] = (),
) -> None:
    """403 unless the current principal may touch a record owned as given.

    ``district``: the record's district (None: a city-level record); ``organisation``: the
    organisation it belongs to (host unit, enterprise); ``experts``: the experts it is
    assigned to or is about (reviewers of an application, the expert of a profile).
    City staff and the auditor (reads: ``requires`` stops its writes) may touch any record;
    a district_hr only its district's, a host unit or enterprise only its organisation's,
    a reviewer or expert only one assigned to it; the public none.
    """
    principal = current_principal()
    if principal.reads_everything:
        return
    if principal.role == "district_hr":
        if district is None or district != principal.district:
            raise _refuse("district", district)
    elif principal.role in ("host_unit", "enterprise"):
        if organisation is None or organisation != principal.organisation:
            raise _refuse("organisation", organisation)
    elif principal.role in ("reviewer", "expert"):
        if principal.expert not in set(experts):
            raise _refuse("expert", None)
    else:
        raise _refuse("role", None)


def scope_filters(filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The filters of a list request, narrowed to what the principal may see: a district_hr
    gets ``district`` set to its own, a host unit or enterprise ``organisation``, a reviewer
    or expert ``expert``. A filter the client set to someone else's is a 403, not an empty
    page. City staff and the auditor keep the filters as given."""
    principal = current_principal()
    narrowed = dict(filters or {})
    if principal.reads_everything:
        return narrowed
    bound = {kind: getattr(principal, kind) for kind in BINDINGS if getattr(principal, kind)}
    if not bound:
        raise _refuse("role", None)
    for kind, own in bound.items():
        asked = narrowed.get(kind)
        if asked is not None and asked != own:
            raise _refuse(kind, asked)
        narrowed[kind] = own
    return narrowed


# --- /api/v1/auth -------------------------------------------------------------------------

blp = Blueprint(
    "auth",
    __name__,
    url_prefix="/api/v1/auth",
    description="Sign in and see who you are signed in as.",
)


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=256), load_only=True,
        metadata=text.VERBATIM,
    )


class Binding(Schema):
    district = fields.String(metadata={"description": "district_hr: its district code"})
    organisation = fields.String(metadata={"description": "host_unit, enterprise: its id"})
    expert = fields.String(metadata={"description": "reviewer, expert: its expert id"})


class TokenResponse(Schema):
    access_token = fields.String(metadata={"description": "A JWT (RS256)"})
    token_type = fields.String(metadata={"description": "Always Bearer"})
    expires_in = fields.Integer(metadata={"description": "Seconds until it expires"})
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    binding = fields.Nested(Binding)


class PrincipalResponse(Schema):
    actor = fields.String()
    role = fields.String()
    district = fields.String(allow_none=True)
    organisation = fields.String(allow_none=True)
    expert = fields.String(allow_none=True)


def _login_username() -> str:
    body = request.get_json(silent=True)
    name = body.get("username") if isinstance(body, dict) else None
    return normalise_username(name) if isinstance(name, str) else ""


def _failed(response: Response) -> bool:
    return response.status_code == 401


def _not_verified(unverified: AccountNotVerified) -> Forbidden:
    if unverified.status == "rejected":
        return Forbidden(
            "auth.registration_rejected",
            f"Your registration was rejected: {unverified.reason}",
            f"您的注册申请未通过审核：{unverified.reason}",
            {"status": "rejected", "reason": unverified.reason},
        )
    return Forbidden(
        "auth.registration_pending",
        "Your registration is waiting for the staff of your district to verify it; you can "
        "sign in once it is verified.",
        "您的注册申请正在等待所在区市工作人员审核，审核通过后即可登录。",
        {"status": unverified.status},
    )


@blp.route("/token")
class TokenView(MethodView):
    @limits.rate_limit("LOGIN_RATE_LIMIT", counts=_failed)
    @limits.rate_limit("LOGIN_ACCOUNT_RATE_LIMIT", key=_login_username, counts=_failed)
    @blp.arguments(TokenRequest)
    @blp.response(200, TokenResponse)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, credentials: dict[str, str]) -> dict[str, Any]:
        """Sign in with a username and password; answers a bearer token."""
        username = normalise_username(credentials["username"])
        g.audit_object_id = username  # the account is what a login acts on (gateway.audit)
        try:
            user = authenticate(
                current_app.extensions[gateway_store.EXTENSION], username,
                credentials["password"]
            )
        except AccountNotVerified as unverified:
            raise _not_verified(unverified) from None
        if user is None:
            raise Unauthorized.invalid_credentials()
        _set_principal(Principal(actor=user.username, role=user.role, **user.binding))
        tokens: Tokens = current_app.extensions[TOKENS]
        return {
            "access_token": tokens.issue(user),
            "token_type": "Bearer",
            "expires_in": tokens.ttl_seconds,
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "binding": user.binding,
        }


@blp.route("/me")
class MeView(MethodView):
    @requires()
    @blp.response(200, PrincipalResponse)
    def get(self) -> Principal:
        """The principal the bearer token names, as the services will see it."""
        return current_principal()
