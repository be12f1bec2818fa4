"""Rotating the gateway's JWT signing key with no forced logout (docs/operations.md): the new
key signs under a new issuer name; the old key's public half stays trusted under the old name
until the last token it signed expires; then the old entry goes."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.tokens import InvalidToken, Tokens
from gateway.users import User


def _key_files(tmp_path: Path, name: str) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private, public = tmp_path / f"{name}.pem", tmp_path / f"{name}.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def test_tokens_of_the_old_key_stay_valid_until_they_expire_then_only_the_new(tmp_path):
    old_private, old_public = _key_files(tmp_path, "jwt-2026")
    new_private, _ = _key_files(tmp_path, "jwt-2027")
    before = Tokens.from_config({"JWT_PRIVATE_KEY_FILE": str(old_private),
                                 "JWT_ISSUER": "weihai-talent-stations"})
    user = User("huancui-hr", "district_hr", "环翠区人社局", district="371002")
    old_token = before.issue(user)

    during = Tokens.from_config({
        "JWT_PRIVATE_KEY_FILE": str(new_private), "JWT_ISSUER": "weihai-talent-stations-2027",
        "JWT_TRUSTED_ISSUERS": [{
            "issuer": "weihai-talent-stations", "audience": "weihai-talent-stations-api",
            "algorithm": "RS256", "public_key_file": str(old_public)}]})
    assert during.verify(old_token) == before.verify(old_token)  # same actor, role, district
    new_token = during.issue(user)
    assert during.verify(new_token).district == "371002"
    with pytest.raises(InvalidToken):  # the old key cannot vouch for the new issuer
        before.verify(new_token)

    after = Tokens.from_config({"JWT_PRIVATE_KEY_FILE": str(new_private),
                                "JWT_ISSUER": "weihai-talent-stations-2027"})
    assert after.verify(new_token).actor == "huancui-hr"
    with pytest.raises(InvalidToken, match="untrusted_issuer"):
        after.verify(old_token)
