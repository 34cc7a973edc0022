"""OBS passwords kept out of the settings file: an environment variable or the OS keyring.

For each `[[obs]]` entry, in this order: ``RESTRIKE_OBS_<NAME>_PASSWORD`` (NAME in upper
case, every other character than a letter or digit as ``_``), then the file's
``password``, then the OS keyring (Windows Credential Manager, macOS Keychain, the
Secret Service) under the service ``restrike`` and the user ``obs/<name>`` — when the
optional ``keyring`` package is installed (``pip install 'restrike[keyring]'``). A keyring
that is absent or fails is no error: the entry has no password, as before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import replace

from restrike.config.table import ObsConnectionSettings
from restrike.errors import ConfigError

__all__ = ["KEYRING_SERVICE", "keyring_user", "obs_password_env", "set_keyring_password",
           "with_passwords"]

log = logging.getLogger(__name__)

KEYRING_SERVICE = "restrike"


def obs_password_env(name: str) -> str:
    """``court 1`` → ``RESTRIKE_OBS_COURT_1_PASSWORD``."""
    return "RESTRIKE_OBS_" + re.sub(r"[^A-Z0-9]", "_", name.upper()) + "_PASSWORD"


def keyring_user(name: str) -> str:
    return f"obs/{name}"


def _from_keyring(name: str) -> str | None:
    try:
        import keyring
    except ImportError:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, keyring_user(name))
    except Exception as err:  # no backend, a locked or failing keyring: not our error
        log.debug("OS keyring not usable for OBS %s: %s", name, err)
        return None
    return value if isinstance(value, str) and value else None


def with_passwords(entries: tuple[ObsConnectionSettings, ...], env: Mapping[str, str],
                   sources: dict[str, str]) -> tuple[ObsConnectionSettings, ...]:
    """The entries with their passwords from the environment or the keyring; ``sources``
    gets ``obs.<name>.password`` for each password not taken from the file."""
    out = []
    for entry in entries:
        var = obs_password_env(entry.name)
        if env.get(var):
            entry = replace(entry, password=env[var])
            sources[f"obs.{entry.name}.password"] = f"environment variable {var}"
        elif not entry.password and (secret := _from_keyring(entry.name)) is not None:
            entry = replace(entry, password=secret)
            sources[f"obs.{entry.name}.password"] = "OS keyring"
        out.append(entry)
    return tuple(out)


def set_keyring_password(name: str, password: str) -> None:
    """Keep (or with an empty ``password`` remove) the password of OBS ``name`` in the OS
    keyring; ConfigError when keyring is not installed or has no usable backend."""
    try:
        import keyring
        import keyring.errors
    except ImportError as err:
        raise ConfigError("the OS keyring needs the keyring package: pip install "
                          "'restrike[keyring]'") from err
    try:
        if password:
            keyring.set_password(KEYRING_SERVICE, keyring_user(name), password)
        else:
            keyring.delete_password(KEYRING_SERVICE, keyring_user(name))
    except keyring.errors.PasswordDeleteError as err:
        raise ConfigError(f"no password of OBS {name!r} in the OS keyring") from err
    except Exception as err:  # NoKeyringError, a locked keyring, a backend failure
        raise ConfigError(f"the OS keyring cannot be used here: {err}") from err
