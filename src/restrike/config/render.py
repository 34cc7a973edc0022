"""The settings shown to people: `config show` (TOML), diagnostics, and the docs table.

Secret settings show as `MASK`; credentials inside any URL value as `user:***@`
(`restrike.secrets`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restrike.config.table import SECTIONS, SETTINGS, Setting, number_text, section_rows
from restrike.secrets import mask_url, mask_value

if TYPE_CHECKING:
    from restrike.config.load import Settings

__all__ = ["MASK", "describe", "obs_dicts", "plain_value", "settings_markdown", "to_toml",
           "toml_value"]

MASK = "********"


def plain_value(value: Any) -> Any:
    """A setting's value as JSON/TOML data: paths as text, tuples as lists."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    return value


def _obs_dicts(settings: Settings) -> list[dict[str, Any]]:
    return obs_dicts(settings.obs)


def obs_dicts(entries: Iterable[Any]) -> list[dict[str, Any]]:
    """``[[obs]]`` entries as shown (URL credentials and the password masked)."""
    return [{"name": o.name, "url": mask_url(o.url), "password": MASK if o.password else "",
             "role": o.role, "protocol": o.protocol,
             **({"angle_name": o.angle_name} if o.angle_name else {})} for o in entries]


def _rows(settings: Settings) -> Iterator[Setting]:
    """The table's rows (but ``obs``), then those of the checked plugin sections."""
    yield from (row for row in SETTINGS if not row.name.startswith("obs"))
    for name, section in settings.sections.items():
        yield from section_rows(name, type(section))


def describe(settings: Settings) -> dict[str, Any]:
    """{config_file, settings: {section: {key: value}}, sources: {name: source}}; no secrets."""
    values: dict[str, Any] = {}
    for row in _rows(settings):
        value = settings.get(row.name)
        if row.secret and value:
            value = MASK
        values.setdefault(row.section, {})[row.key] = mask_value(plain_value(value))
    values["obs"] = _obs_dicts(settings)
    return {"config_file": str(settings.config_file) if settings.config_file else None,
            "settings": values, "sources": dict(settings.sources)}


def toml_value(value: Any) -> str:
    """A setting's value as TOML text (a file's right-hand side, the docs' defaults)."""
    value = plain_value(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}"
                               for k, v in value.items()) + "}"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def to_toml(settings: Settings, *, with_sources: bool = False) -> str:
    """A TOML file that reproduces the settings (secrets masked; unset values commented)."""
    lines: list[str] = []
    if settings.config_file:
        lines.append(f"# config file: {settings.config_file}")
    rows = list(_rows(settings))
    for section in [*SECTIONS, *settings.sections]:
        lines.append(f"\n[{section}]")
        for row in rows:
            if row.section != section:
                continue
            value = settings.get(row.name)
            note = f"  # {settings.sources.get(row.name, 'default')}" if with_sources else ""
            if value is None:
                lines.append(f"# {row.key} = (not set){note}")
                continue
            if row.secret and value:
                value = MASK
            lines.append(f"{row.key} = {toml_value(mask_value(plain_value(value)))}{note}")
    source = settings.sources.get("obs", "default")
    if not settings.obs:
        lines.append("\n# no [[obs]] connections" + (f" ({source})" if with_sources else ""))
    for entry in _obs_dicts(settings):
        lines.append("\n[[obs]]" + (f"  # {source}" if with_sources else ""))
        for key, value in entry.items():
            where = settings.sources.get(f"obs.{entry['name']}.{key}") if with_sources else None
            lines.append(f"{key} = {toml_value(value)}" + (f"  # {where}" if where else ""))
    return "\n".join(lines).lstrip("\n") + "\n"


def _default_text(row: Setting) -> str:
    if row.default_doc:
        return row.default_doc
    if row.default is None:
        return "empty" if row.optional else "(required)"
    if row.default == "" or row.default == () or row.default == {}:
        return "empty"
    return f"`{toml_value(row.default)}`"


def settings_markdown(rows: Iterable[Setting] = SETTINGS) -> str:
    """The reference table of docs/settings.md (kept in sync by a test); ``rows``: a
    plugin's (`section_rows`) for the table of its own section."""
    out: list[str] = []
    current = None
    for row in rows:
        section = row.section if row.name != "obs" else "obs"
        if section != current:
            current = section
            title = "[[obs]]" if section == "obs" else f"[{section}]"
            out.append(f"\n### `{title}`\n")
            out.append("| setting | type | default | environment | flag | description |")
            out.append("|---|---|---|---|---|---|")
        kind = row.kind + (" or empty" if row.optional else "")
        if row.choices:
            kind = " \\| ".join(row.choices)
        elif row.min is not None and row.kind in ("int", "float"):
            top = f"{number_text(row.max)}" if row.max is not None else ""
            kind += f" {number_text(row.min)}..{top}"
        help_text = row.help + (" **Secret**: masked in `config show`." if row.secret else "")
        env = f"`{row.env}`" if not row.name.startswith("obs[]") else "—"
        flag = f"`{row.flag_spec}`" if row.flag_spec else "—"
        out.append(f"| `{row.name}` | {kind} | {_default_text(row)} | {env} | {flag} | "
                   f"{help_text} |")
    return "\n".join(out).lstrip("\n") + "\n"
