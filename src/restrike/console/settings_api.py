"""``/api/v1/settings``: the settings page's view of the table, and saving to the TOML file.

Every value is checked by ``restrike.config`` itself (the same code that reads the file
at start-up), one setting at a time so each refusal names its own field. The file is
rewritten whole (comments are not kept) through a temporary file. What can change
without a restart is applied at once (log levels here; more through the station's
``apply`` hook); the answer says which changes wait for a restart. Settings marked
``http_writable=False`` in the table (programs, files and folders to read, the API's
own access settings) are shown but refused over HTTP: file or CLI only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from restrike.config import (
    MASK,
    SETTINGS,
    ConfigError,
    load_settings,
    plain_value,
    toml_value,
)
from restrike.config.table import SECTIONS
from restrike.console.protocol_api import atomic_write
from restrike.errors import ObsAuthError, ObsError, ObsProtocolError
from restrike.http.errors import responses
from restrike.secrets import mask_url, mask_value, restore_url, restore_value

__all__ = ["SettingsService", "make_settings_router", "toml_text"]

log = logging.getLogger(__name__)

_ROWS = {s.name: s for s in SETTINGS if not s.name.startswith("obs")}
_OBS_KEYS = [s.name.split(".", 1)[1] for s in SETTINGS if s.name.startswith("obs[].")]
#: The source `restrike demo` gives the values it sets itself (it has no flag for them).
DEMO_SOURCE = "set by restrike demo"
#: Sources whose value wins over the file's (the page says the file's value waits).
_OVERRIDING = ("environment", "command-line", DEMO_SOURCE)
#: Changes the console applies itself, without the station's help.
LIVE_HERE = frozenset({"log.level", "log.levels"})
#: Settings the HTTP API may not change (restrike.config.table: http_writable=False).
FILE_OR_CLI = frozenset(name for name, row in _ROWS.items() if not row.http_writable)
_UNWRITABLE = (503, "The settings folder cannot be written (the answer names it).")
_KIND_TYPE = {"int": "int", "float": "float", "bool": "bool", "list": "list",
              "levels": "table", "level": "str", "host": "str", "path": "str", "str": "str"}


def toml_text(data: Mapping[str, Any]) -> str:
    """``{section: {key: value}, "obs": [{...}]}`` as a TOML file; the sections besides
    the table's (plugins', restrike.plugins) are written back as they were read."""
    lines = ["# reStrike settings, written by the console (restrike.console)."]
    others = [s for s, t in data.items() if s not in SECTIONS and isinstance(t, dict)]
    for section in [*SECTIONS, *others]:
        table = data.get(section) or {}
        if not table:
            continue
        lines.append(f"\n[{section}]")
        lines.extend(f"{_key(key)} = {toml_value(value)}" for key, value in table.items())
    for entry in data.get("obs") or []:
        lines.append("\n[[obs]]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in entry.items()
                     if value is not None)
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    """A TOML key: bare when it can be, else quoted (a plugin section's, as read)."""
    return key if _BARE_KEY.fullmatch(key) else toml_value(key)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class SettingsBody(BaseModel):
    values: dict[str, Any] = Field(description="Dotted setting name → new value; "
                                               "`obs` → the whole list of connections.")


class ObsTestBody(BaseModel):
    name: str | None = None
    url: str = Field(min_length=1, max_length=500, pattern="^wss?://",
                     description="obs-websocket address, ws:// or wss:// (credentials shown "
                                 "masked are taken from the saved connection `name`).")
    password: str | None = None
    protocol: Literal["auto", "v5", "v4"] = "auto"


class SettingsService:
    """Reads and writes the settings file; knows what the running station uses."""

    def __init__(self, config_file: Path | None, *, effective: Any = None,
                 apply: Callable[[dict[str, Any]], list[str]] | None = None,
                 live: Iterable[str] = (), fallback_file: Path | None = None) -> None:
        self.live = frozenset(live)
        self.station_file = config_file
        self.config_file = config_file or fallback_file
        self.effective = effective
        self.apply = apply

    # -- reading --

    def file_data(self) -> dict[str, Any]:
        if self.config_file is None or not self.config_file.exists():
            return {}
        try:
            with self.config_file.open("rb") as fh:
                return tomllib.load(fh)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise HTTPException(409, f"cannot read {self.config_file}: {err}") from err

    def _effective(self, name: str) -> Any:
        eff = self.effective
        if eff is None:
            return None
        if isinstance(eff, Mapping) and isinstance(eff.get("settings"), Mapping):
            eff = eff["settings"]  # the shape of Settings.describe()
        try:
            if hasattr(eff, "get") and not isinstance(eff, Mapping):
                return eff.get(name)
            if isinstance(eff, Mapping):
                section, key = name.split(".", 1)
                if name in eff:
                    return eff[name]
                return (eff.get(section) or {}).get(key)
        except (AttributeError, KeyError, ValueError):
            return None
        return None

    def _sources(self) -> Mapping[str, str]:
        if isinstance(self.effective, Mapping):
            return self.effective.get("sources") or {}
        return getattr(self.effective, "sources", None) or {}

    def describe(self) -> dict[str, Any]:
        data = self.file_data()
        sources = self._sources()
        rows = []
        for name, row in _ROWS.items():
            section, key = name.split(".", 1)
            in_file = key in (data.get(section) or {})
            value = (data.get(section) or {}).get(key) if in_file else row.default
            running = self._effective(name)
            source = sources.get(name, "")
            if row.secret and value:
                value = MASK
            rows.append({
                "name": name, "section": section, "key": key,
                "type": _KIND_TYPE.get(row.kind, "str"), "kind": row.kind,
                "default": plain_value(row.default), "value": mask_value(plain_value(value)),
                "in_file": in_file,
                "running": None if row.secret else mask_value(plain_value(running)),
                "source": source,
                "overridden": source.startswith(_OVERRIDING),
                "flag": row.flag_spec,
                "help": row.help, "choices": list(row.choices) if row.choices else None,
                "min": row.min, "max": row.max, "optional": row.optional, "secret": row.secret,
                "live": name in LIVE_HERE or name in self.live_names(),
                "http_writable": row.http_writable,
            })
        return {"file": str(self.config_file) if self.config_file else None,
                "note": self._note(), "settings": rows,
                "obs": self._obs_public(data.get("obs") or [])}

    def _note(self) -> str | None:
        if self.config_file is not None and any(
                str(v).startswith(DEMO_SOURCE) for v in self._sources().values()):
            return (f"restrike demo reads no settings file and keeps its own feed, HTTP and "
                    f"player settings: changes are saved to {self.config_file}, which "
                    f"`restrike run --config {self.config_file}` uses.")
        if self.station_file is None and self.config_file is not None:
            return (f"The station was started without a settings file: changes go to "
                    f"{self.config_file}; start it with --config {self.config_file} "
                    f"(or RESTRIKE_CONFIG) to use them.")
        return None

    def live_names(self) -> frozenset[str]:
        """Settings the station's ``apply`` hook changes without a restart."""
        return self.live if self.apply is not None else frozenset()

    @staticmethod
    def _obs_public(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**e, "password": MASK if e.get("password") else "",
                 **({"url": mask_url(e["url"])} if isinstance(e.get("url"), str) else {})}
                for e in entries]

    # -- checking and writing --

    def _check(self, data: Mapping[str, Any]) -> str | None:
        """None if ``data`` (a file's content) loads; else the refusal text.

        The check file sits next to the settings file so relative paths resolve as they
        will from it; a folder that cannot take it cannot take the settings either (503).
        """
        folder = self.config_file.parent if self.config_file else Path(tempfile.gettempdir())
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".restrike-check-", suffix=".toml", dir=folder)
        except OSError as err:
            raise _unwritable(folder, err) from err
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(toml_text(data))
            load_settings(tmp, env={}, cli=None)
        except ConfigError as err:
            return str(err).replace(f" (config file {tmp})", "").replace(f"{tmp}: ", "")
        except OSError as err:  # the disk filled up under the check file
            raise _unwritable(folder, err) from err
        finally:
            Path(tmp).unlink(missing_ok=True)
        return None

    def _merge_obs(self, new: Any, old: list[dict[str, Any]]) -> Any:
        if not isinstance(new, list):
            return new
        by_name = {e.get("name"): e for e in old}
        out = []
        for entry in new:
            if not isinstance(entry, dict):
                out.append(entry)
                continue
            entry = {k: v for k, v in entry.items() if k in _OBS_KEYS or k not in ("has_password",)}
            previous = by_name.get(entry.get("name")) or {}
            if isinstance(entry.get("url"), str):  # credentials shown masked, sent back
                entry["url"] = restore_url(entry["url"], previous.get("url"))
            if entry.get("password") in (MASK, None):
                if previous.get("password"):
                    entry["password"] = previous["password"]
                else:
                    entry.pop("password", None)
            out.append(entry)
        return out

    def update(self, values: Mapping[str, Any]) -> dict[str, Any]:
        data = self.file_data()
        candidate = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
        errors: list[dict[str, str]] = []
        changed: dict[str, Any] = {}
        for name, value in values.items():
            if name == "obs":
                merged = self._merge_obs(value, data.get("obs") or [])
                problem = self._check({"obs": merged})
                if problem:
                    errors.append({"name": "obs", "message": problem})
                else:
                    candidate["obs"] = merged
                    changed["obs"] = merged
                continue
            row = _ROWS.get(name)
            if row is None:
                errors.append({"name": name, "message": f"unknown setting {name}"})
                continue
            section, key = name.split(".", 1)
            if row.secret and value == MASK:
                continue
            table = candidate.setdefault(section, {})
            value = restore_value(value, table.get(key))  # URL credentials shown masked
            if value is None or (value == "" and (row.optional or row.kind == "path")):
                table.pop(key, None)
                changed[name] = None
                continue
            problem = self._check({section: {key: value}})
            if problem:
                errors.append({"name": name, "message": _short(problem, name)})
                continue
            table[key] = value
            changed[name] = value
        if errors:
            what = "; ".join(f"{e['name']}: {e['message']}" for e in errors)
            count = "1 invalid setting" if len(errors) == 1 else f"{len(errors)} invalid settings"
            raise HTTPException(422, {"message": f"{count}: {what}", "errors": errors})
        if not changed:
            return {"saved": [], "applied": [], "restart": [], "file": self._file_text()}
        whole = self._check(candidate)
        if whole:
            raise HTTPException(422, {"message": whole,
                                      "errors": [{"name": _name_in(whole), "message": whole}]})
        target = self.config_file
        if target is None:
            raise HTTPException(409, "the station runs without a settings file "
                                     "(start it with --config FILE to save settings)")
        try:
            atomic_write(target, toml_text(candidate))
        except OSError as err:
            raise _unwritable(target.parent, err) from err
        log.info("settings saved to %s: %s", target, ", ".join(changed))
        applied = self._apply(changed)
        overridden = [n for n in changed if self._sources().get(n, "").startswith(_OVERRIDING)]
        return {"saved": list(changed), "applied": applied,
                "restart": [n for n in changed if n not in applied],
                "overridden": overridden, "file": str(target), "note": self._note(),
                "obs": self._obs_public(list(candidate.get("obs") or []))}

    def http_changes(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``values`` as an HTTP caller may save them: 403 naming each file-or-CLI-only
        setting it would change; those sent back unchanged (the page sends what it
        got, masked credentials included) are left out, so the file keeps them.

        They name a program the station runs or files and folders it reads (or are the
        API's own access settings); the station's own code (the protocol editor
        pointing ``station.protocol_file`` at its file) calls ``update`` directly.
        """
        data = self.file_data()
        kept: dict[str, Any] = {}
        refused: list[str] = []
        for name, value in values.items():
            if name not in FILE_OR_CLI:
                kept[name] = value
                continue
            row = _ROWS[name]
            section, key = name.split(".", 1)
            table = data.get(section) or {}
            current = table.get(key, row.default)
            if row.secret and value == MASK:
                continue
            if plain_value(restore_value(value, current)) != plain_value(current) and \
                    not (value in (None, "") and current in (None, "")):
                refused.append(name)
        if refused:
            errors = [{"name": name, "message": "file or CLI only: change it in the settings "
                                                "file or on the command line, then restart"}
                      for name in refused]
            raise HTTPException(403, {"message": f"{', '.join(refused)}: file or CLI only "
                                                 "(not changeable over HTTP)",
                                      "errors": errors})
        return kept

    def _file_text(self) -> str | None:
        return str(self.config_file) if self.config_file else None

    def _apply(self, changed: dict[str, Any]) -> list[str]:
        applied: list[str] = []
        if "log.level" in changed:
            level = str(changed["log.level"] or "INFO").upper()
            logging.getLogger().setLevel(level)
            applied.append("log.level")
        if "log.levels" in changed:
            for component, level in (changed["log.levels"] or {}).items():
                logging.getLogger(component).setLevel(str(level).upper())
            applied.append("log.levels")
        rest = {k: v for k, v in changed.items() if k not in LIVE_HERE}
        if rest and self.apply is not None:
            try:
                applied.extend(n for n in self.apply(rest) if n in rest)
            except Exception:  # a failing hook must not lose the saved file
                log.exception("applying settings live failed")
        return applied

    def set_protocol_file(self, path: Path | None) -> None:
        """Point ``station.protocol_file`` at ``path`` (None: the shipped definition)."""
        if self.config_file is None:
            return
        self.update({"station.protocol_file": str(path) if path else None})


def _unwritable(folder: Path, err: OSError) -> HTTPException:
    """503 naming the folder: the station's own trouble, not the caller's values."""
    return HTTPException(503, f"cannot save the settings: the folder {folder} cannot be "
                              f"written ({err.strerror or err}); nothing was saved. Make it "
                              "writable, or start the station with --config FILE in a "
                              "folder that is.")


def _short(message: str, name: str) -> str:
    """``udp.port: must be ...`` → ``must be ...`` (the field shows the name already)."""
    return re.sub(rf"^{re.escape(name)}\s*:\s*", "", message)


def _name_in(message: str) -> str:
    match = re.match(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)?)", message)
    return match.group(1) if match else ""


async def _test_obs(body: ObsTestBody, service: SettingsService) -> dict[str, Any]:
    from restrike.obs import ObsClient, ObsClientV4

    password, url = body.password, body.url
    if body.name:
        for entry in service.file_data().get("obs") or []:
            if entry.get("name") == body.name:
                url = restore_url(url, entry.get("url"))
                if password == MASK:
                    password = entry.get("password") or None
    problem = _websocket_url_problem(url)
    if problem:
        raise HTTPException(422, {"message": f"url: {problem}", "errors": [
            {"name": "url", "message": problem}]})
    # auto: v5 first (its server greets at once), then v4
    classes: list[type[ObsClient] | type[ObsClientV4]] = (
        [ObsClient] if body.protocol == "v5" else [ObsClientV4] if body.protocol == "v4"
        else [ObsClient, ObsClientV4])
    try:
        for index, cls in enumerate(classes):
            try:
                async with asyncio.timeout(8):
                    async with cls(url, password or None, request_timeout=3.0,
                                   connect_timeout=3.0) as obs:
                        version = await obs.get_version()
                break
            except ObsProtocolError:
                if index == len(classes) - 1:
                    raise
    except ObsAuthError as err:
        return {"ok": False, "reason": "password",
                "detail": mask_url(f"OBS refused the password: {err}")}
    except (ObsError, TimeoutError, OSError) as err:
        reason = str(err) or "timed out"
        if not reason.startswith("cannot reach OBS"):
            reason = f"cannot reach OBS at {url}: {reason}"
        return {"ok": False, "reason": "unreachable", "detail": mask_url(reason)}
    return {"ok": True, "obs_version": version.obs_version,
            "websocket_version": version.websocket_version,
            "protocol": "v4" if cls is ObsClientV4 else "v5"}


def _websocket_url_problem(url: str) -> str | None:
    """Why ``url`` is no ws:// or wss:// address to connect to; None if it is one.

    Checked before connecting: the WebSocket library and the resolver raise plain
    ValueErrors (a port of 99999, ``[zz]``, a 70-letter label) that are the caller's
    mistake, not OBS being away.
    """
    shown = mask_url(url)
    if not url.isprintable() or any(c.isspace() for c in url):
        return f"{shown!r} holds spaces or control characters"
    try:
        parts = urlsplit(url)
        port, host = parts.port, parts.hostname
    except ValueError as err:
        return f"{shown!r} is not a URL: {err}"
    if parts.scheme not in ("ws", "wss"):
        return f"{shown!r} must start with ws:// or wss://"
    if not host:
        return f"{shown!r} names no host"
    if parts.fragment:
        return f"{shown!r} has a #fragment, which a WebSocket address cannot have"
    if ":" not in host:  # a name or IPv4 address (IPv6 was checked by urlsplit)
        try:
            host.encode("idna")
        except UnicodeError:
            return f"{shown!r}: {host!r} is not a host name (empty or over-long label)"
    if port == 0:
        return f"{shown!r}: port 0 is no port to connect to"
    return None


def make_settings_router(service: SettingsService) -> APIRouter:
    router = APIRouter(prefix="/api/v1/settings", tags=["console"])

    @router.get("")
    def get_settings() -> dict[str, Any]:
        """Every setting: value in the file (or default), running value, source, help."""
        return service.describe()

    @router.put("", responses=responses(_UNWRITABLE))
    def put_settings(body: SettingsBody) -> dict[str, Any]:
        """Validate and save; 422 ``{"detail": {"message", "errors": [{name, message}]}}``;
        403 in the same shape for a setting that is file or CLI only."""
        return service.update(service.http_changes(body.values))

    @router.post("/obs/test")
    async def test_obs(body: ObsTestBody) -> dict[str, Any]:
        """Connect to an OBS (saved or not) and report what happened: its version, or
        ``ok: false`` with why (``unreachable``, ``password``). Not reaching OBS is the
        test's answer, not the station failing, so it is a 200; 422 is the caller's
        mistake (an address no WebSocket can use)."""
        return await _test_obs(body, service)

    return router
