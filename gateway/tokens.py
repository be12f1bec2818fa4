"""JSON Web Tokens: the platform's own (RS256, issued at login) and those of trusted external
identity providers, each issuer with its one algorithm, audience and public key.

Configuration keys:
  JWT_ISSUER, JWT_AUDIENCE   the platform's ``iss`` and ``aud``
  JWT_TTL_SECONDS            lifetime of a token issued at login (default 3600)
  JWT_LEEWAY_SECONDS         clock skew tolerated on ``exp``/``iat``/``nbf`` (default 30)
  JWT_PRIVATE_KEY_FILE       PEM RSA private key that signs the platform's tokens; unset, a
                             key pair is generated once under {VAR_DIR}/keys/ and reused
  JWT_PUBLIC_KEY_FILE        optional; if set it must be the private key's public half
  JWT_TRUSTED_ISSUERS        a list of external issuers, each:
      issuer, audience, algorithm (RS*/PS*/ES*/EdDSA only), public_key_file or public_key,
      claims: {actor, role, district, organisation, expert} → claim names (dots for nesting;
              defaults sub, role, district, organisation, expert),
      roles: {the provider's role value → platform role} (default: the value is the role),
      actor_prefix: put before the actor in audit records (e.g. "idp:")

Every token must carry ``exp``, ``iat``, ``iss`` and ``aud``; the issuer decides the key and
the single algorithm accepted, so ``alg: none`` and HS256-signed-with-the-public-key are
refused whatever the header says. The platform's tokens also carry ``ver``, the user's token
version when issued: the gateway refuses one whose user has since been deactivated or given a
new password (gateway.auth), so those end at once, not when they expire.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

from gateway.users import BINDING_OF_ROLE, USER_ROLES, User
from servicekit.auth import Principal
from servicekit.config import var_dir
from servicekit.tenants import DISTRICTS

log = logging.getLogger(__name__)

PLATFORM_ALGORITHM = "RS256"
# Public-key algorithms only: the gateway never holds a secret that could mint a token.
EXTERNAL_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud")
DEFAULT_CLAIMS = {
    "actor": "sub",
    "role": "role",
    "district": "district",
    "organisation": "organisation",
    "expert": "expert",
}
RSA_KEY_BITS = 2048
MAX_TOKEN_LENGTH = 8192

DEFAULTS: dict[str, Any] = {
    "JWT_ISSUER": "weihai-talent-stations",
    "JWT_AUDIENCE": "weihai-talent-stations-api",
    "JWT_TTL_SECONDS": 3600,
    "JWT_LEEWAY_SECONDS": 30,
    "JWT_PRIVATE_KEY_FILE": None,
    "JWT_PUBLIC_KEY_FILE": None,
    "JWT_TRUSTED_ISSUERS": [],
}


class ConfigError(ValueError):
    """The token configuration is unusable; the gateway does not start."""


class InvalidToken(Exception):
    """A token that is refused; ``reason`` is a short stable word for the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Verified(NamedTuple):
    """A verified token's principal and, for the platform's own, the token version it was
    issued with (None for an external issuer's: its users are not the gateway's)."""

    principal: Principal
    token_version: int | None


@dataclass(frozen=True)
class Issuer:
    issuer: str
    audience: str
    algorithm: str
    key: PublicKeyTypes
    claims: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CLAIMS))
    roles: Mapping[str, str] | None = None  # None: the role claim is the platform's role
    actor_prefix: str = ""
    required: tuple[str, ...] = REQUIRED_CLAIMS


class Tokens:
    """Issues the platform's tokens and verifies every trusted issuer's."""

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        leeway_seconds: int = 0,
        external: tuple[Issuer, ...] = (),
    ) -> None:
        self.private_key = private_key
        self.platform = Issuer(
            issuer,
            audience,
            PLATFORM_ALGORITHM,
            private_key.public_key(),
            required=(*REQUIRED_CLAIMS, "sub", "role"),
        )
        self.ttl = timedelta(seconds=int(ttl_seconds))
        self.leeway = int(leeway_seconds)
        self.issuers = {i.issuer: i for i in external}
        if issuer in self.issuers:
            raise ConfigError(f"JWT_TRUSTED_ISSUERS repeats the platform's own issuer {issuer!r}")
        self.issuers[issuer] = self.platform

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Tokens:
        # An empty value (a ${VAR:} left unset in the YAML) means the default.
        settings = {**DEFAULTS, **{k: v for k, v in config.items() if v not in (None, "")}}
        external = tuple(trusted_issuer(entry) for entry in settings["JWT_TRUSTED_ISSUERS"])
        return cls(
            _platform_key(config),
            str(settings["JWT_ISSUER"]),
            str(settings["JWT_AUDIENCE"]),
            int(settings["JWT_TTL_SECONDS"]),
            int(settings["JWT_LEEWAY_SECONDS"]),
            external,
        )

    @property
    def ttl_seconds(self) -> int:
        return int(self.ttl.total_seconds())

    def issue(self, user: User, now: datetime | None = None) -> str:
        """A platform token for ``user``: its role and binding travel as claims."""
        issued_at = now or datetime.now(UTC)
        claims = {
            "iss": self.platform.issuer,
            "aud": self.platform.audience,
            "sub": user.username,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + self.ttl,
            "jti": str(uuid.uuid4()),
            "ver": user.token_version,
            "role": user.role,
            "name": user.display_name,
            **user.binding,
        }
        return jwt.encode(claims, self.private_key, algorithm=PLATFORM_ALGORITHM)

    def verify(self, token: str) -> Principal:
        """The principal the token names; InvalidToken (with a reason) otherwise."""
        return self.check(token).principal

    def check(self, token: str) -> Verified:
        """``verify``, with the platform token's version; InvalidToken otherwise."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("malformed")
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.DecodeError:
            raise InvalidToken("malformed") from None
        claimed = unverified.get("iss")
        issuer = self.issuers.get(claimed) if isinstance(claimed, str) else None
        if issuer is None:
            raise InvalidToken("untrusted_issuer")
        try:
            claims = jwt.decode(
                token,
                issuer.key,
                algorithms=[issuer.algorithm],
                audience=issuer.audience,
                issuer=issuer.issuer,
                leeway=self.leeway,
                options={"require": list(issuer.required)},
            )
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(_reason(exc)) from None
        principal = _principal(issuer, claims)
        if issuer is not self.platform:
            return Verified(principal, None)
        version = claims.get("ver", 0)  # tokens issued before versions existed: the first
        if not isinstance(version, int):
            raise InvalidToken("invalid_claim")
        return Verified(principal, version)


def _reason(exc: jwt.InvalidTokenError) -> str:
    # Most specific first: several of PyJWT's errors subclass one another.
    reasons = (
        (jwt.ExpiredSignatureError, "expired"),
        (jwt.ImmatureSignatureError, "not_yet_valid"),
        (jwt.InvalidAudienceError, "invalid_audience"),
        (jwt.InvalidIssuerError, "invalid_issuer"),
        (jwt.InvalidAlgorithmError, "disallowed_algorithm"),
        (jwt.InvalidSignatureError, "invalid_signature"),
        (jwt.MissingRequiredClaimError, "missing_claim"),
        (jwt.DecodeError, "malformed"),
    )
    return next((reason for kind, reason in reasons if isinstance(exc, kind)), "invalid")


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _role(issuer: Issuer, value: Any) -> str:
    """The one platform role a token's role claim maps to (a claim may list several)."""
    values = value if isinstance(value, list) else [value]
    if issuer.roles is None:
        roles = {v for v in values if isinstance(v, str)}
    else:
        roles = {issuer.roles[v] for v in values if isinstance(v, str) and v in issuer.roles}
    roles &= set(USER_ROLES)
    if len(roles) != 1:
        raise InvalidToken("invalid_role")
    return roles.pop()


def _principal(issuer: Issuer, claims: Mapping[str, Any]) -> Principal:
    actor = _claim(claims, issuer.claims.get("actor", "sub"))
    if not isinstance(actor, str) or not actor:
        raise InvalidToken("missing_claim")
    role = _role(issuer, _claim(claims, issuer.claims.get("role", "role")))
    binding: dict[str, str] = {}
    kind = BINDING_OF_ROLE.get(role)
    if kind is not None:
        value = _claim(claims, issuer.claims.get(kind, kind))
        # A bound role without its binding, or a district that is none of Weihai's, would
        # make a principal whose scope is undefined (R13.1): refuse the token.
        if not isinstance(value, str) or not value:
            raise InvalidToken("missing_binding")
        if kind == "district" and value not in DISTRICTS:
            raise InvalidToken("invalid_binding")
        binding[kind] = value
    return Principal(actor=f"{issuer.actor_prefix}{actor}", role=role, **binding)


def trusted_issuer(entry: Mapping[str, Any]) -> Issuer:
    """One JWT_TRUSTED_ISSUERS entry, checked: ConfigError names what is wrong."""
    try:
        name = str(entry["issuer"])
        audience = str(entry["audience"])
        algorithm = str(entry["algorithm"])
    except KeyError as missing:
        raise ConfigError(f"a JWT_TRUSTED_ISSUERS entry lacks {missing}") from None
    if algorithm not in EXTERNAL_ALGORITHMS:
        raise ConfigError(
            f"issuer {name}: algorithm {algorithm!r} is not accepted; "
            f"use one of {', '.join(EXTERNAL_ALGORITHMS)}"
        )
    if entry.get("public_key_file"):
        pem = Path(entry["public_key_file"]).read_bytes()
    elif entry.get("public_key"):
        pem = str(entry["public_key"]).encode()
    else:
        raise ConfigError(f"issuer {name}: give public_key_file or public_key")
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise ConfigError(f"issuer {name}: the public key is not a PEM public key") from exc
    claims = {**DEFAULT_CLAIMS, **(entry.get("claims") or {})}
    roles = entry.get("roles")
    if roles is not None:
        unknown = set(roles.values()) - set(USER_ROLES)
        if unknown:
            raise ConfigError(f"issuer {name}: roles maps to unknown roles {sorted(unknown)}")
    return Issuer(
        name,
        audience,
        algorithm,
        key,
        claims,
        dict(roles) if roles is not None else None,
        str(entry.get("actor_prefix") or ""),
    )


def _platform_key(config: Mapping[str, Any]) -> rsa.RSAPrivateKey:
    private_file = config.get("JWT_PRIVATE_KEY_FILE")
    public_file = config.get("JWT_PUBLIC_KEY_FILE")
    if private_file:
        key = _load_private_key(Path(private_file))
        if public_file:
            _check_public_half(key, Path(public_file))
        return key
    if public_file:
        raise ConfigError("JWT_PUBLIC_KEY_FILE is set without JWT_PRIVATE_KEY_FILE")
    folder = var_dir(dict(config)) / "keys"
    private_path, public_path = folder / "jwt-private.pem", folder / "jwt-public.pem"
    if private_path.exists():
        return _load_private_key(private_path)
    return _generate_key_pair(private_path, public_path)


def _load_private_key(path: Path) -> rsa.RSAPrivateKey:
    try:
        key: PrivateKeyTypes = serialization.load_pem_private_key(path.read_bytes(), None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"cannot read the JWT private key {path}: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < RSA_KEY_BITS:
        raise ConfigError(f"{path} is not an RSA private key of at least {RSA_KEY_BITS} bits")
    return key


def _public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _check_public_half(key: rsa.RSAPrivateKey, path: Path) -> None:
    try:
        public = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the JWT public key {path}: {exc}") from exc
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if pem != _public_pem(key):
        raise ConfigError(f"{path} is not the public half of JWT_PRIVATE_KEY_FILE")


def _generate_key_pair(private_path: Path, public_path: Path) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_BITS)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Created readable by the owner only, and never over an existing file: a process that
    # lost the race to create it uses the winner's key.
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _load_private_key(private_path)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    public_path.write_bytes(_public_pem(key))
    log.warning(
        "No JWT_PRIVATE_KEY_FILE configured: generated a new RS256 signing key pair, "
        "private %s, public %s. Tokens signed with it stay valid across restarts while the "
        "file is kept; configure JWT_PRIVATE_KEY_FILE in production.",
        private_path,
        public_path,
    )
    return key
