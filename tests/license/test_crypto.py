"""Tokens (real Ed25519 keys, PyJWT), sealed files (AES-GCM) and the fingerprint."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from restrike.errors import LicenseError
from restrike.license.fingerprint import Fingerprint, collect
from restrike.license.tokens import key_id, load_public, normalise_key, public_pem, sign, verify
from restrike.license.vault import MAGIC, open_sealed, seal, unseal, write_sealed

KEY = "RSTK-ABCDE-FGHJK-LMNPQ-RSTUV"
FP = "a" * 64


def token_for(private: Ed25519PrivateKey, *, key: str = KEY, fp: str = FP) -> str:
    return sign(private, key=key, fingerprint=fp, now=time.time(), lifetime=86_400,
                licence_expires_at=None, seats=2, jti="j1")


def test_a_signed_token_verifies_with_the_server_key() -> None:
    private = Ed25519PrivateKey.generate()
    claims = verify(token_for(private), load_public(public_pem(private)), fingerprint=FP,
                    key=KEY)
    assert (claims.key_id, claims.fingerprint, claims.seats) == (key_id(KEY), FP, 2)
    assert claims.licence_expires_at is None
    assert jwt.get_unverified_header(token_for(private))["alg"] == "EdDSA"


def _tampered(token: str) -> str:
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["seats"] = 500
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{signature}"


def test_tampered_and_foreign_tokens_are_refused() -> None:
    private, stranger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = load_public(public_pem(private))
    for bad in (_tampered(token_for(private)), token_for(stranger), "not.a.token",
                jwt.encode({"sub": key_id(KEY), "fp": FP}, "s" * 32, algorithm="HS256")):
        with pytest.raises(LicenseError, match="does not verify") as err:
            verify(bad, public, fingerprint=FP, key=KEY)
        assert err.value.kind == "bad_token"


def test_a_token_for_another_machine_or_key_is_refused() -> None:
    private = Ed25519PrivateKey.generate()
    public = load_public(public_pem(private))
    with pytest.raises(LicenseError, match="another machine") as err:
        verify(token_for(private), public, fingerprint="b" * 64, key=KEY)
    assert err.value.kind == "other_machine"
    with pytest.raises(LicenseError, match="another key"):
        verify(token_for(private), public, fingerprint=FP, key="RSTK-22222-33333-44444-55555")


def test_keys_are_normalised_and_checked() -> None:
    assert normalise_key(" rstk-abcde-fghjk-lmnpq-rstuv\n") == KEY
    for bad in ("", "hello", "RSTK", "a-b"):
        with pytest.raises(LicenseError, match="not a licence key"):
            normalise_key(bad)


def test_sealed_files_hide_the_key_and_token_and_open_only_here(tmp_path: Path) -> None:
    here = Fingerprint("machine-1", "board", "disk", "00:11:22:33:44:55")
    there = Fingerprint("machine-2", "board", "disk", "00:11:22:33:44:55")
    path = tmp_path / "license" / "license.lic"
    document = {"key": KEY, "token": "eyJhbGciOiJFZERTQSJ9.secret.sig"}
    write_sealed(path, document, here.secret)
    data = path.read_bytes()
    assert data.startswith(MAGIC)
    assert KEY.encode() not in data and b"eyJ" not in data and b"secret" not in data
    assert open_sealed(path, here.secret) == document
    assert open_sealed(tmp_path / "absent.lic", here.secret) is None
    with pytest.raises(LicenseError, match="copied from another machine"):
        open_sealed(path, there.secret)
    for i in (len(MAGIC) + 3, len(data) // 2, len(data) - 1):  # salt, body, tag
        changed = bytearray(data)
        changed[i] ^= 0x01
        with pytest.raises(LicenseError, match="cannot be opened on this machine"):
            unseal(bytes(changed), here.secret)
    with pytest.raises(LicenseError, match="not a reStrike licence file"):
        unseal(b"garbage", here.secret)
    assert seal(document, here.secret) != seal(document, here.secret)  # fresh salt, nonce


def test_the_fingerprint_is_stable_hashed_and_follows_the_machine_id(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.write_text("0123456789abcdef0123456789abcdef\n")
    second.write_text("fedcba9876543210fedcba9876543210\n")
    a, again, b = collect(first), collect(first), collect(second)
    assert a == again and a.digest == again.digest
    assert a.digest != b.digest and a.secret != b.secret
    assert len(a.digest) == 64 and "0123456789abcdef" not in a.digest
    assert a.short.count("-") == 3


def test_no_machine_id_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "machine-id"
    empty.write_text("")
    with pytest.raises(LicenseError, match="cannot read this machine's id"):
        collect(empty)
