"""The gateway's tokens: what is accepted, what is refused and why, keys from configuration."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import stat
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.tokens import ConfigError, InvalidToken, Tokens, trusted_issuer
from gateway.users import User
from servicekit.auth import Principal

ISSUER, AUDIENCE = "weihai-test", "weihai-test-api"
IDP = "https://idp.example.test/realms/weihai"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def idp_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem(public_key: Any) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def _idp_entry(idp_key: ec.EllipticCurvePrivateKey, **overrides: Any) -> dict[str, Any]:
    return {
        "issuer": IDP,
        "audience": "weihai-portal",
        "algorithm": "ES256",
        "public_key": _pem(idp_key.public_key()),
        "claims": {
            "actor": "preferred_username",
            "role": "realm_access.roles",
            "district": "weihai_district",
        },
        "roles": {"hrss-district": "district_hr", "hrss-city": "city_hr"},
        "actor_prefix": "idp:",
        **overrides,
    }


@pytest.fixture
def tokens(key: rsa.RSAPrivateKey, idp_key: ec.EllipticCurvePrivateKey) -> Tokens:
    return Tokens(key, ISSUER, AUDIENCE, 600, 0, (trusted_issuer(_idp_entry(idp_key)),))


def _claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "huancui-hr",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "role": "district_hr",
        "district": "371002",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _refusal(tokens: Tokens, token: str) -> str:
    with pytest.raises(InvalidToken) as refused:
        tokens.verify(token)
    return refused.value.reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_token_issued_at_login_names_the_user_and_its_binding(tokens: Tokens) -> None:
    user = User("huancui-hr", "district_hr", "环翠区", district="371002")
    token = tokens.issue(user)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert tokens.verify(token) == Principal("huancui-hr", "district_hr", district="371002")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 600
    assert {"iss", "aud", "jti", "nbf"} <= set(claims)


def test_an_expired_token_is_refused(tokens: Tokens) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    token = tokens.issue(User("city-hr", "city_hr", "市人社局"), now=long_ago)
    assert _refusal(tokens, token) == "expired"


@pytest.mark.parametrize("missing", ["exp", "iat", "aud", "sub"])
def test_a_token_without_a_required_claim_is_refused(
    tokens: Tokens, key: rsa.RSAPrivateKey, missing: str
) -> None:
    token = jwt.encode(_claims(**{missing: None}), key, algorithm="RS256")
    assert _refusal(tokens, token) == "missing_claim"


def test_wrong_audience_and_unknown_issuer_are_refused(
    tokens: Tokens, key: rsa.RSAPrivateKey
) -> None:
    assert _refusal(tokens, jwt.encode(_claims(aud="elsewhere"), key, "RS256")) == (
        "invalid_audience"
    )
    assert _refusal(tokens, jwt.encode(_claims(iss="evil"), key, "RS256")) == "untrusted_issuer"
    assert _refusal(tokens, jwt.encode(_claims(iss=None), key, "RS256")) == "untrusted_issuer"


def test_alg_none_is_refused(tokens: Tokens) -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(iat=1, exp=4_000_000_000)).encode())
    assert _refusal(tokens, f"{header}.{payload}.") == "disallowed_algorithm"


def test_hs256_signed_with_the_public_key_is_refused(
    tokens: Tokens, key: rsa.RSAPrivateKey
) -> None:
    # The classic confusion: the RSA public key (which anyone may hold) used as an HMAC secret.
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(iat=1, exp=4_000_000_000)).encode())
    secret = _pem(key.public_key()).encode()
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert _refusal(tokens, f"{header}.{payload}.{_b64(signature)}") == "disallowed_algorithm"


def test_a_tampered_token_is_refused(tokens: Tokens) -> None:
    token = tokens.issue(User("huancui-hr", "district_hr", "环翠区", district="371002"))
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["district"] = "371003"  # try to act for another district
    assert _refusal(tokens, f"{header}.{_b64(json.dumps(claims).encode())}.{signature}") == (
        "invalid_signature"
    )
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert _refusal(tokens, f"{header}.{payload}.{flipped}") == "invalid_signature"
    assert _refusal(tokens, "not-a-token") == "malformed"


def test_a_token_signed_by_another_key_is_refused(tokens: Tokens) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _refusal(tokens, jwt.encode(_claims(), stranger, "RS256")) == "invalid_signature"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"role": "system"}, "invalid_role"),  # the services' own role is never a token's
        ({"role": "public"}, "invalid_role"),
        ({"role": "superuser"}, "invalid_role"),
        ({"district": None}, "missing_binding"),  # R13.1: a district role needs its district
        ({"district": "110101"}, "invalid_binding"),
        ({"role": "host_unit", "district": None}, "missing_binding"),
    ],
)
def test_a_role_outside_the_policy_or_without_its_binding_is_refused(
    tokens: Tokens, key: rsa.RSAPrivateKey, claims: dict, reason: str
) -> None:
    assert _refusal(tokens, jwt.encode(_claims(**claims), key, "RS256")) == reason


def test_a_binding_a_role_does_not_take_is_dropped(tokens: Tokens, key: rsa.RSAPrivateKey) -> None:
    token = jwt.encode(_claims(role="city_hr", organisation="org-1"), key, "RS256")
    assert tokens.verify(token) == Principal("huancui-hr", "city_hr")


def _idp_token(idp_key: ec.EllipticCurvePrivateKey, **overrides: Any) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": IDP,
        "aud": "weihai-portal",
        "sub": "5f1c",
        "iat": now,
        "exp": now + timedelta(minutes=5),
        "preferred_username": "zhang.wei",
        "realm_access": {"roles": ["offline_access", "hrss-district"]},
        "weihai_district": "371003",
        **overrides,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, idp_key, "ES256")


def test_an_external_issuers_token_is_mapped_to_a_role_and_binding(
    tokens: Tokens, idp_key: ec.EllipticCurvePrivateKey
) -> None:
    assert tokens.verify(_idp_token(idp_key)) == Principal(
        "idp:zhang.wei", "district_hr", district="371003"
    )


def test_an_external_token_is_held_to_its_own_issuers_rules(
    tokens: Tokens, idp_key: ec.EllipticCurvePrivateKey, key: rsa.RSAPrivateKey
) -> None:
    assert _refusal(tokens, _idp_token(idp_key, aud=AUDIENCE)) == "invalid_audience"
    # Two roles that both map, or none that does: which one it acts as is undefined.
    both = {"roles": ["hrss-district", "hrss-city"]}
    assert _refusal(tokens, _idp_token(idp_key, realm_access=both)) == "invalid_role"
    assert _refusal(tokens, _idp_token(idp_key, realm_access={"roles": ["x"]})) == "invalid_role"
    # The provider's issuer, signed with the platform's key: the issuer pins ES256 and its key.
    forged = jwt.encode(
        jwt.decode(_idp_token(idp_key), options={"verify_signature": False}), key, "RS256"
    )
    assert _refusal(tokens, forged) == "disallowed_algorithm"


@pytest.mark.parametrize("algorithm", ["HS256", "none", "RS1"])
def test_a_trusted_issuer_with_a_symmetric_or_unknown_algorithm_is_a_config_error(
    tmp_path: Any, idp_key: ec.EllipticCurvePrivateKey, algorithm: str
) -> None:
    config = {
        "VAR_DIR": str(tmp_path),
        "JWT_TRUSTED_ISSUERS": [_idp_entry(idp_key, algorithm=algorithm)],
    }
    with pytest.raises(ConfigError, match="not accepted"):
        Tokens.from_config(config)


def test_a_trusted_issuer_mapping_to_an_unknown_role_is_a_config_error(
    tmp_path: Any, idp_key: ec.EllipticCurvePrivateKey
) -> None:
    entry = _idp_entry(idp_key, roles={"admin": "superuser"})
    with pytest.raises(ConfigError, match="unknown roles"):
        Tokens.from_config({"VAR_DIR": str(tmp_path), "JWT_TRUSTED_ISSUERS": [entry]})


def test_a_key_pair_is_generated_once_and_kept(tmp_path: Any, caplog: Any) -> None:
    # Empty values are what an unset ${VAR:} in the YAML gives: the defaults apply.
    config = {"VAR_DIR": str(tmp_path), "JWT_PRIVATE_KEY_FILE": "", "JWT_ISSUER": ""}
    with caplog.at_level(logging.WARNING, logger="gateway.tokens"):
        first = Tokens.from_config(config)
    assert first.platform.issuer == "weihai-talent-stations"
    private = tmp_path / "keys" / "jwt-private.pem"
    assert "generated a new RS256 signing key pair" in caplog.text
    assert str(private) in caplog.text
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gateway.tokens"):
        second = Tokens.from_config(config)
    assert "generated" not in caplog.text
    # A token issued before a restart is still good after it.
    token = first.issue(User("auditor", "auditor", "审计"))
    assert second.verify(token).role == "auditor"


def test_configured_key_files_are_used_and_must_match(tmp_path: Any, key: Any) -> None:
    private = tmp_path / "private.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "public.pem"
    public.write_text(_pem(key.public_key()))
    config = {
        "VAR_DIR": str(tmp_path / "var"),
        "JWT_PRIVATE_KEY_FILE": str(private),
        "JWT_PUBLIC_KEY_FILE": str(public),
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
    }
    tokens = Tokens.from_config(config)
    assert tokens.verify(jwt.encode(_claims(), key, "RS256")).district == "371002"
    assert not (tmp_path / "var" / "keys").exists()  # nothing generated

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public.write_text(_pem(other.public_key()))
    with pytest.raises(ConfigError, match="not the public half"):
        Tokens.from_config(config)
    with pytest.raises(ConfigError, match="cannot read"):
        Tokens.from_config({**config, "JWT_PRIVATE_KEY_FILE": str(tmp_path / "missing.pem")})
