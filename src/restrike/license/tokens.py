"""The licence token both sides agree on: an Ed25519-signed JWT (PyJWT, ``EdDSA``).

The licence server signs one at every activation and validation; the station verifies
it with the server's public key (kept from the activation) and keeps it sealed. Its
claims: ``iss``/``aud`` (fixed), ``sub`` the key's id (`key_id`, never the key),
``fp`` the machine's hashed fingerprint, ``iat``, ``exp`` (the token's own end),
``lic_exp`` (the licence's end, or null for no end), ``seats``, ``jti``.

Expiry is not checked here: the caller compares ``exp`` with its clock, so the state
machine (`restrike.license.state`) decides with an injectable time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from restrike.errors import LicenseError

__all__ = ["ALGORITHM", "AUDIENCE", "ISSUER", "Claims", "key_id", "load_public",
           "normalise_key", "public_pem", "sign", "verify"]

ALGORITHM = "EdDSA"
ISSUER = "restrike-license-server"
AUDIENCE = "restrike-station"
_KEY_SHAPE = re.compile(r"^[A-Z0-9]{4,8}(-[A-Z0-9]{4,8}){2,7}$")


@dataclass(frozen=True, slots=True)
class Claims:
    """What a verified token says."""

    key_id: str
    fingerprint: str
    issued_at: float
    expires_at: float
    licence_expires_at: float | None
    seats: int


def normalise_key(key: str) -> str:
    """A licence key as typed (spaces, lower case) in its one form; LicenseError if it
    cannot be a key at all."""
    text = re.sub(r"\s+", "", key).upper()
    if not _KEY_SHAPE.match(text):
        raise LicenseError("that is not a licence key (groups of letters and digits "
                           "separated by dashes, e.g. RSTK-ABCDE-...): copy it again",
                           kind="bad_key")
    return text


def key_id(key: str) -> str:
    """The key's public id: what tokens, logs and the audit name instead of the key."""
    return hashlib.sha256(b"restrike-key\0" + normalise_key(key).encode()).hexdigest()[:24]


def public_pem(private: Ed25519PrivateKey) -> str:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public(pem: str) -> Ed25519PublicKey:
    """The server's public key from PEM; LicenseError if it is not an Ed25519 key."""
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as err:
        raise LicenseError("the licence server's public key is not a PEM key: activate "
                           "again", kind="bad_token") from err
    if not isinstance(key, Ed25519PublicKey):
        raise LicenseError("the licence server's key is not an Ed25519 key: activate again",
                           kind="bad_token")
    return key


def sign(private: Ed25519PrivateKey, *, key: str, fingerprint: str, now: float,
         lifetime: float, licence_expires_at: float | None, seats: int, jti: str) -> str:
    """A token for ``key`` on the machine ``fingerprint``, valid ``lifetime`` seconds
    (never past the licence's end)."""
    expires = now + lifetime
    if licence_expires_at is not None:
        expires = min(expires, licence_expires_at)
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": key_id(key), "fp": fingerprint,
        "iat": int(now), "exp": int(expires),
        "lic_exp": None if licence_expires_at is None else int(licence_expires_at),
        "seats": seats, "jti": jti}
    return jwt.encode(claims, private, algorithm=ALGORITHM)


def verify(token: str, public: Ed25519PublicKey, *, fingerprint: str, key: str) -> Claims:
    """The claims of ``token`` if the server's key signed it for ``key`` on this
    machine; LicenseError (kind ``bad_token`` or ``other_machine``) otherwise."""
    try:
        claims = jwt.decode(token, public, algorithms=[ALGORITHM], audience=AUDIENCE,
                            issuer=ISSUER,
                            options={"verify_exp": False, "verify_iat": False,
                                     "require": ["iss", "aud", "sub", "fp", "iat", "exp"]})
    except jwt.InvalidTokenError as err:
        raise LicenseError(f"the licence token does not verify ({err}): it was changed "
                           "or signed by another server; activate again", kind="bad_token"
                           ) from err
    if claims["sub"] != key_id(key):
        raise LicenseError("the licence token is for another key: activate again",
                           kind="bad_token")
    if claims["fp"] != fingerprint:
        raise LicenseError("the licence token is for another machine: activate this "
                           "machine with `restrike license activate KEY --server URL`",
                           kind="other_machine")
    try:
        lic_exp = claims.get("lic_exp")
        return Claims(key_id=str(claims["sub"]), fingerprint=str(claims["fp"]),
                      issued_at=float(claims["iat"]), expires_at=float(claims["exp"]),
                      licence_expires_at=None if lic_exp is None else float(lic_exp),
                      seats=int(claims.get("seats", 1)))
    except (TypeError, ValueError) as err:
        raise LicenseError("the licence token's claims are malformed: activate again",
                           kind="bad_token") from err
