"""The hub's tokens file: one ``court = token`` a line; who may upload as which court.

Blank lines and ``#`` comments are skipped; a court named twice, a line without
``=``, an empty court or token is a ConfigError naming the line. Without a file the
hub takes every court (a demo works out of the box) and says so.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from restrike.errors import ConfigError, HubError

__all__ = ["Tokens", "parse_tokens"]


def parse_tokens(text: str, source: str = "<tokens>") -> dict[str, str]:
    """``court -> token`` from the file's text."""
    tokens: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        court, sep, token = (part.strip() for part in line.partition("="))
        court = court.strip("\"'")
        token = token.strip("\"'")
        if not sep or not court or not token:
            raise ConfigError(f"{source}:{number}: expected `court = token`, not {line!r}")
        if court in tokens:
            raise ConfigError(f"{source}:{number}: court {court!r} is named twice")
        tokens[court] = token
    return tokens


class Tokens:
    """Checks an upload's token against its court's (open when there is no file)."""

    def __init__(self, tokens: dict[str, str] | None) -> None:
        self._tokens = tokens

    @classmethod
    def from_file(cls, path: Path | None) -> Tokens:
        if path is None:
            return cls(None)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"cannot read the tokens file {path}: {err}") from err
        return cls(parse_tokens(text, str(path)))

    @property
    def open(self) -> bool:
        """True: no tokens file, every court is accepted."""
        return self._tokens is None

    def token_of(self, court: str) -> str | None:
        """The court's token (None without a tokens file): what its commands are signed
        with."""
        return self._tokens.get(court) if self._tokens is not None else None

    def check(self, court: str, authorization: str | None) -> None:
        """HubError 401 unless ``authorization`` is ``Bearer <the court's token>``."""
        if self._tokens is None:
            return
        expected = self._tokens.get(court)
        if expected is None:
            raise HubError(f"court {court!r} has no token in the hub's tokens file",
                           status=401)
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), expected.encode()):
            raise HubError(f"wrong or missing token for court {court!r} (hub.token on the "
                           "station must be the court's token in the hub's tokens file)",
                           status=401)
