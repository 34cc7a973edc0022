"""Sealed files: a JSON document encrypted at rest and bound to this machine.

The licence file (key, token, server) and the trial marker are kept with AES-256-GCM
(`cryptography`); the key is derived with HKDF-SHA256 from the machine's fingerprint
and a random salt stored in the file. So neither the licence key nor the token is
readable in any file, a file copied to another machine cannot be opened there, and a
changed byte fails the authentication tag: each is a `LicenseError` naming the file.

Layout: ``MAGIC`` (8 bytes) · salt (16) · nonce (12) · ciphertext and tag. The magic is
authenticated too (associated data).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from restrike.errors import LicenseError

__all__ = ["MAGIC", "open_sealed", "seal", "unseal", "write_sealed"]

MAGIC = b"RSLIC\x00\x01\x00"
_SALT = 16
_NONCE = 12
_INFO = b"restrike licence file v1"


def _key(secret: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(secret)


def seal(document: dict[str, Any], secret: bytes) -> bytes:
    """``document`` as JSON, encrypted with a key derived from ``secret``."""
    salt, nonce = secrets.token_bytes(_SALT), secrets.token_bytes(_NONCE)
    plain = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return MAGIC + salt + nonce + AESGCM(_key(secret, salt)).encrypt(nonce, plain, MAGIC)


def unseal(data: bytes, secret: bytes, *, name: str = "the licence file") -> dict[str, Any]:
    """The document sealed in ``data``; LicenseError if it is not one, was changed, or
    was sealed on another machine (the two cannot be told apart, on purpose)."""
    head = len(MAGIC) + _SALT + _NONCE
    if len(data) <= head + 16 or not data.startswith(MAGIC):
        raise LicenseError(f"{name} is not a reStrike licence file (damaged or replaced): "
                           "remove it and activate again", kind="corrupt_file")
    salt, nonce = data[len(MAGIC):len(MAGIC) + _SALT], data[len(MAGIC) + _SALT:head]
    try:
        plain = AESGCM(_key(secret, salt)).decrypt(nonce, data[head:], MAGIC)
    except InvalidTag as err:
        raise LicenseError(f"{name} cannot be opened on this machine (changed by hand, "
                           "damaged, or copied from another machine): activate this "
                           "machine with `restrike license activate KEY --server URL`",
                           kind="corrupt_file") from err
    try:
        document = json.loads(plain)
    except ValueError as err:  # authenticated but not ours: a bug or another version
        raise LicenseError(f"{name} holds no licence document: activate again",
                           kind="corrupt_file") from err
    if not isinstance(document, dict):
        raise LicenseError(f"{name} holds no licence document: activate again",
                           kind="corrupt_file")
    return document


def open_sealed(path: Path, secret: bytes) -> dict[str, Any] | None:
    """The document in ``path``, None if there is no file; LicenseError as `unseal`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise LicenseError(f"cannot read {path}: {err.strerror}: check its permissions",
                           kind="corrupt_file") from err
    return unseal(data, secret, name=str(path))


def write_sealed(path: Path, document: dict[str, Any], secret: bytes) -> None:
    """Seal ``document`` into ``path`` atomically (a crash leaves the old file whole)."""
    data = seal(document, secret)
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        raise LicenseError(f"cannot write {path}: {err.strerror}: check the folder's "
                           "permissions and free space", kind="write_failed") from err
