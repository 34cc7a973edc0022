"""Command-line options generated from the settings table (`restrike.config.table`).

`setting_options(rows)` adds one option per setting to a Typer command: the table's flag
(``--x/--no-x`` for a bool), help, type, range, choices and default, one help panel per
section. The command receives what was given as ``overrides`` ({dotted name: text or
bool}); `restrike.config.load_settings` checks it like the file and the environment (one
coercion path), so a bad value names the setting and its flag, and CLI > environment >
file > defaults holds. A new setting gets its flag by being declared.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import typer

from restrike.config import SETTINGS, Setting, plain_value
from restrike.config.table import number_text

__all__ = ["SECTION_TITLES", "flag_rows", "options_markdown", "setting_options"]

R = TypeVar("R")

#: The help panel of each section in ``restrike run --help``.
SECTION_TITLES = {
    "station": "Station", "udp": "Court feed (UDP)", "http": "Console and API (HTTP)",
    "log": "Logs", "store": "Store (SQLite writer)", "playback": "Replay player (mpv)",
    "review": "Video review", "console": "Console window", "flags": "Flags",
}
_METAVARS = {"int": "int", "float": "number", "path": "path", "host": "host", "list": "list",
             "levels": "levels", "level": "level", "str": "text"}
_CHOICES_WIDTH = 14  # longer choices are listed in the help, not as the metavar
_PREFIX = "setting__"  # parameter names of the generated options: setting__udp__port


def flag_rows(names: Iterable[str] | None = None) -> list[Setting]:
    """The rows that have a flag, in table order (only ``names`` if given; KeyError if one
    of them has none)."""
    with_flag = {row.name: row for row in SETTINGS if row.flag is not None}
    if names is None:
        return list(with_flag.values())
    wanted = set(names)
    missing = wanted - set(with_flag)
    if missing:
        raise KeyError(f"no command-line flag for {', '.join(sorted(missing))}")
    return [row for name, row in with_flag.items() if name in wanted]


def _escape(text: str) -> str:
    """Table help for Rich: backticks dropped, square brackets kept literally."""
    return text.replace("`", "").replace("[", "\\[")


def _default(row: Setting) -> str | None:
    if row.default_doc:
        return row.default_doc.replace("`", "")
    if row.kind == "bool":
        name = (row.flag or "--").removeprefix("--")
        return name if row.default else f"no-{name}"
    if row.default in (None, "", (), {}):
        return None
    value = plain_value(row.default)
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def _range(row: Setting) -> str:
    low = number_text(row.min or 0)
    return f"{low}..{number_text(row.max)}" if row.max is not None else f">= {low}"


def _option(row: Setting, shown_default: str | None) -> Any:
    shown = shown_default if shown_default is not None else _default(row)
    choices = "|".join(row.choices or ())
    notes = []
    if row.kind in ("int", "float") and row.min is not None:
        notes.append(_range(row))
    if len(choices) > _CHOICES_WIDTH:
        notes.append("one of " + ", ".join(row.choices or ()))
    if shown:
        notes.append(f"default: {shown}")
    help_text = _escape(row.cli_help) + (f" \\[{_escape('; '.join(notes))}]" if notes else "")
    metavar = None
    if row.kind != "bool":
        short = choices and len(choices) <= _CHOICES_WIDTH
        metavar = f"<{choices if short else _METAVARS[row.kind]}>"
    return typer.Option(None, row.flag_spec or "", help=help_text, metavar=metavar,
                        show_default=False,
                        rich_help_panel=SECTION_TITLES.get(row.section, row.section.title()))


def setting_options(rows: Sequence[Setting], *, shown_defaults: Mapping[str, str] | None = None
                    ) -> Callable[[Callable[..., R]], Callable[..., R]]:
    """Decorator: the command gets one option per row; the decorated function takes the
    given ones as its keyword argument ``overrides``. ``shown_defaults`` replaces the
    default the help shows (``demo``'s own data folder)."""
    shown = dict(shown_defaults or {})

    def decorate(fn: Callable[..., R]) -> Callable[..., R]:
        signature = inspect.signature(fn, eval_str=True)
        params = [p for p in signature.parameters.values() if p.name != "overrides"]
        names: dict[str, str] = {}
        for row in rows:
            key = _PREFIX + row.name.replace(".", "__")
            names[key] = row.name
            params.append(inspect.Parameter(
                key, inspect.Parameter.KEYWORD_ONLY, default=_option(row, shown.get(row.name)),
                annotation=bool | None if row.kind == "bool" else str | None))

        def command(**values: Any) -> R:
            given = {names[key]: values.pop(key) for key in list(values) if key in names}
            return fn(**values, overrides={n: v for n, v in given.items() if v is not None})

        for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(command, attr, getattr(fn, attr))
        command.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command

    return decorate


def options_markdown(command: Any) -> str:
    """A command's options as a list per help panel (docs/station.md, checked by a test).

    ``command`` is the command Typer built (``typer.main.get_command(app).commands[...]``).
    """
    panels: dict[str, list[str]] = {}
    for param in command.params:
        if param.param_type_name != "option" or param.name == "help":
            continue
        flags = "/".join([*param.opts, *param.secondary_opts])
        panel = getattr(param, "rich_help_panel", None) or "Options"
        panels.setdefault(panel, []).append(f"`{flags}`")
    return "".join(f"- {panel}: {', '.join(flags)}\n" for panel, flags in panels.items())
