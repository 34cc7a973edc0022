"""The server's Ed25519 signing key, created on the first start and kept in its folder.

``signing-key.pem`` (PKCS#8, readable by its owner only where the system allows it)
and ``public-key.pem`` (what ``GET /api/license-info`` gives the stations).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from restrike.errors import LicenseError
from restrike.license.tokens import public_pem

__all__ = ["PRIVATE_FILE", "PUBLIC_FILE", "load_or_create"]

PRIVATE_FILE = "signing-key.pem"
PUBLIC_FILE = "public-key.pem"


def _create(folder: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PRIVATE_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    (folder / PUBLIC_FILE).write_text(public_pem(key), encoding="ascii")
    return key


def load_or_create(folder: Path) -> Ed25519PrivateKey:
    """The signing key of the server whose data folder is ``folder``."""
    path = folder / PRIVATE_FILE
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        try:
            return _create(folder)
        except FileExistsError:  # another process created it meanwhile
            pem = path.read_bytes()
        except OSError as err:
            raise LicenseError(f"cannot create the signing key in {folder}: "
                               f"{err.strerror}", kind="server_key") from err
    except OSError as err:
        raise LicenseError(f"cannot read {path}: {err.strerror}", kind="server_key") from err
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as err:
        raise LicenseError(f"{path} is not a PEM private key: restore it from a backup "
                           "(the stations trust only its public key)", kind="server_key"
                           ) from err
    if not isinstance(key, Ed25519PrivateKey):
        raise LicenseError(f"{path} is not an Ed25519 key", kind="server_key")
    with contextlib.suppress(OSError):  # keep the public file in step with the key
        public = folder / PUBLIC_FILE
        if not public.exists():
            public.write_text(public_pem(key), encoding="ascii")
    return key
