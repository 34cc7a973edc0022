"""The operator token: what a client must show when the station listens beyond loopback.

A token given in the settings (``http.token``) is used as it is; otherwise one is
generated once into ``<data_dir>/http-token`` (created readable by this user only where
the OS has such permissions) and read back on every later start, so URLs and OBS
browser sources that carry it keep working across restarts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from restrike.errors import ConfigError

__all__ = ["TOKEN_FILE", "OperatorToken", "check_token", "operator_token"]

log = logging.getLogger(__name__)

TOKEN_FILE = "http-token"
#: Cookie-, header- and URL-safe, long enough not to be guessed.
_VALID = re.compile(r"[A-Za-z0-9._~-]{16,256}")


@dataclass(frozen=True, slots=True)
class OperatorToken:
    """The token and where it is kept (None: it came from the ``http.token`` setting)."""

    value: str
    path: Path | None
    created: bool = False


def check_token(value: str, where: str = "http.token") -> str:
    """``value`` if it can be a token, else ConfigError naming ``where``."""
    if not _VALID.fullmatch(value):
        raise ConfigError(f"{where}: the operator token must be 16 to 256 characters of "
                          "letters, digits and . _ ~ - (no spaces)")
    return value


def operator_token(data_dir: Path, configured: str | None = None) -> OperatorToken:
    """The configured token, or the one in ``data_dir`` (generated on first use).

    ConfigError when the file can be neither read nor created: the station must not
    listen beyond loopback without a token.
    """
    if configured:
        return OperatorToken(check_token(configured), None)
    path = data_dir / TOKEN_FILE
    try:
        return OperatorToken(_read(path), path)
    except (FileNotFoundError, NotADirectoryError):
        pass  # none yet (or no data folder yet): make one
    except OSError as err:
        raise ConfigError(f"cannot read the operator token {path}: {err.strerror or err}") \
            from err
    value = secrets.token_urlsafe(32)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            _create(path, value)
        except FileExistsError:  # another start made it in between: use theirs
            return OperatorToken(_read(path), path)
    except OSError as err:
        raise ConfigError(f"cannot create the operator token {path}: {err.strerror or err} "
                          "(set http.token, or give a writable station.data_dir)") from err
    log.info("operator token created in %s", path)
    return OperatorToken(value, path, created=True)


def _read(path: Path) -> str:
    value = path.read_text(encoding="ascii", errors="replace").strip()
    check_token(value, f"operator token file {path} (delete it to make a new one)")
    _private(path)
    return value


def _create(path: Path, value: str) -> None:
    """Write ``value`` to a new file that only this user can read (mode 0600 on POSIX)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    _private(path)


def _private(path: Path) -> None:
    # POSIX only: on Windows chmod just toggles read-only and the data folder is in
    # the user's own profile already.
    if os.name == "posix":
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)
