"""Every setting of the station, declared once: the typed section dataclasses ARE the table.

Each field carries in its metadata its help, kind (how text and TOML values are read),
choices or range, whether it is secret, whether the API may change it
(``http_writable``: settings that name programs or files to read are file or CLI only)
and its command-line flag. `SETTINGS` flattens them into `Setting` rows that drive the
TOML reader, the `RESTRIKE_*` environment overrides, the options of `restrike run` and
`restrike demo`, `restrike config show`, the console's settings page and
docs/settings.md. The parts (`restrike.playback`, `restrike.obs`) keep plain dataclasses
that a test checks against these sections.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from restrike.errors import ConfigError
from restrike.secrets import mask_url

__all__ = [
    "SECTIONS",
    "SETTINGS",
    "ConsoleSettings",
    "FlagsSettings",
    "HttpSettings",
    "LogSettings",
    "ObsConnectionSettings",
    "PlaybackSettings",
    "PluginsSettings",
    "ReviewSettings",
    "Setting",
    "StationSettings",
    "StoreSettings",
    "UdpSettings",
    "cli_flag",
    "env_name",
    "number_text",
    "section_rows",
    "setting",
    "setting_field",
]

Kind = Literal["str", "int", "float", "bool", "path", "host", "level", "list", "levels", "obs"]
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: Said of the settings the HTTP API may not change (they name programs or files to read).
FILE_OR_CLI_ONLY = "File or CLI only: not changeable over HTTP."
#: ...of those of them without a command-line flag (secrets).
FILE_OR_ENV_ONLY = "File or environment only: not changeable over HTTP."


def setting_field(default: Any, help: str, *, kind: Kind, optional: bool = False,
                  secret: bool = False, choices: tuple[str, ...] | None = None,
                  min: float | None = None, max: float | None = None,
                  default_doc: str | None = None, http_writable: bool = True,
                  flag: str | bool = True) -> Any:
    """A dataclass field that is a setting: its default and its row of the table.

    ``flag``: True for the generated ``--<section>-<key>``, a string for another
    (``"--data-dir"``), False for none (secrets: a command line is visible to every
    user of the machine).
    """
    meta = {"help": help, "kind": kind, "optional": optional, "secret": secret,
            "choices": choices, "min": min, "max": max, "default_doc": default_doc,
            "http_writable": http_writable, "flag": flag}
    if isinstance(default, list):
        items = tuple(default)
        return field(default_factory=lambda: items, metadata=meta)
    if isinstance(default, dict):
        table = dict(default)
        return field(default_factory=lambda: dict(table), metadata=meta)
    return field(default=default, metadata=meta)


_s = setting_field  # the short name the table below is written with


@dataclass(frozen=True, slots=True)
class StationSettings:
    data_dir: Path = _s(  # noqa: RUF009 - fields with metadata
        None, "Folder of the database, logs and (by default) recordings.", kind="path",
        default_doc="the user data folder (platformdirs `user_data_dir(\"restrike\")`)",
        http_writable=False, flag="--data-dir")
    protocol_file: Path | None = _s(  # noqa: RUF009 - fields with metadata
        None, "Edited protocol definition file; empty: the built-in WT UDP 2.3 file.",
        kind="path", optional=True, http_writable=False, flag="--protocol")
    tournament: str = _s("", "Tournament name for new matches; empty: keep the current one "
                         "(or open `Tournament <date>` automatically).", kind="str",
                         flag="--tournament")
    court: str = _s("", "Name of this station's court (e.g. `Court 3`): how the tournament hub "
                    "and its control room know it; empty: the hub link uses the host name.",
                    kind="str", flag="--court")


@dataclass(frozen=True, slots=True)
class UdpSettings:
    host: str = _s("0.0.0.0", "IPv4 address to receive the scoring feed on, or a network "
                   "interface name (resolved to its IPv4 address); 0.0.0.0 = all.", kind="host")
    port: int = _s(6000, "UDP port the scoring software sends to.", kind="int", min=1,
                   max=65535)
    receive_buffer: int = _s(8 * 1024 * 1024, "Socket receive buffer in bytes (the OS may "
                             "cap it).", kind="int", min=65536, max=1 << 30)
    receiver: str = _s("process", "How datagrams are received: `process` (a child process "
                       "with its own GIL: no loss at 50,000 msg/s) or `thread` (a thread of "
                       "the station; loses datagrams under floods).", kind="str",
                       choices=("process", "thread"))
    pss_host: str = _s("", "Scoring software (tkStrike) address for pull requests, HOST or "
                       "HOST:PORT; empty: no resync.", kind="str", flag="--pss-host")
    pss_port: int = _s(6001, "Port tkStrike listens on for pull requests when `pss_host` "
                       "has none (check tkStrike's UDP settings).", kind="int", min=1,
                       max=65535, flag="--pss-port")

    @property
    def pss_address(self) -> tuple[str, int] | None:
        """(host, port) to send pull requests to, or None when resync is off."""
        if not self.pss_host:
            return None
        host, sep, port = self.pss_host.rpartition(":")
        if sep and port.isdigit():
            return host, int(port)
        return self.pss_host, self.pss_port


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str = _s("127.0.0.1", "Address of the web console and API (0.0.0.0 to reach it "
                   "from other machines; then every client needs the operator token).",
                   kind="str", http_writable=False)
    port: int = _s(8080, "Port of the web console and API.", kind="int", min=1, max=65535)
    open_browser: bool = _s(True, "Open the console in the browser at start.", kind="bool",
                            flag="--browser")
    token: str = _s("", "Operator token every client must send (header `Authorization: "
                    "Bearer`, `X-Restrike-Token`, or the console's cookie after opening it "
                    "once with `?token=`). Empty: none on a loopback `host`; on any other "
                    "address one is generated once into `<data_dir>/http-token`.",
                    kind="str", secret=True, http_writable=False, flag=False)
    allowed_hosts: tuple[str, ...] = _s([], "More names the station may be called by (the "
                                        "Host header), besides localhost, 127.0.0.1, [::1] "
                                        "and `host`, e.g. `[\"court1.local\"]`.", kind="list",
                                        http_writable=False)
    allowed_origins: tuple[str, ...] = _s([], "More web origins (`scheme://host:port`) whose "
                                          "pages may change the station or open /ws/live; "
                                          "the console's own origin always may.",
                                          kind="list", http_writable=False)


@dataclass(frozen=True, slots=True)
class LogSettings:
    level: str = _s("INFO", "Log level of the station.", kind="level", choices=LEVELS)
    levels: dict[str, str] = _s(  # noqa: RUF009 - fields with metadata
        {}, "Level per component, e.g. `{\"restrike.obs\" = \"DEBUG\"}`.", kind="levels")
    max_bytes: int = _s(10 * 1024 * 1024, "Size at which a log file is rotated.", kind="int",
                        min=1024)
    backups: int = _s(3, "Rotated log files kept as they are; older ones go into the monthly "
                      "archives (`logs/archive/restrike-YYYY-MM.zip`).", kind="int", min=0,
                      max=1000)
    archive_days: int = _s(90, "Monthly log archives are deleted once their month ended this "
                           "many days ago.", kind="int", min=1, max=36_500)
    archive_mb: int = _s(500, "...and the oldest ones while all of them together take more "
                         "than this many megabytes.", kind="int", min=1, max=1_000_000)


@dataclass(frozen=True, slots=True)
class StoreSettings:
    batch_rows: int = _s(500, "The writer commits after at most this many datagrams.",
                         kind="int", min=1, max=100_000)
    batch_ms: float = _s(2.0, "...or after this many milliseconds of work, whichever comes "
                         "first (a quiet feed is committed at once).", kind="float",
                         min=0.1, max=10_000)


@dataclass(frozen=True, slots=True)
class PlaybackSettings:
    """The ``[playback]`` section; `restrike.playback.PlaybackSettings` copies all but
    ``enabled`` (which decides whether the station has a player at all)."""

    enabled: bool = _s(True, "Start mpv with the station (idle, so a replay starts at once); "
                       "false for test stations and headless servers.", kind="bool",
                       flag="--mpv")
    mpv_path: str = _s("", "mpv executable (path or name); empty: `mpv` on PATH, on Windows "
                       "also in Program Files, on macOS also in Homebrew's folders.",
                       kind="str", http_writable=False, flag="--mpv-path")
    screen: int | None = _s(None, "Screen number for the replay window and for fullscreen; "
                            "empty: mpv's choice.", kind="int", optional=True, min=0, max=32,
                            flag="--mpv-screen")
    fullscreen: bool = _s(False, "Play replays fullscreen.", kind="bool", flag="--mpv-fullscreen")
    geometry: str = _s("", "Position and size of the replay window in mpv's geometry form, "
                       "e.g. `960x540+0+0`, `50%x50%` or `+10+10`; empty: mpv's choice.",
                       kind="str", flag="--mpv-geometry")
    ontop: bool = _s(False, "Keep the replay window above other windows.", kind="bool",
                     flag="--mpv-on-top")
    start_offset: float = _s(10.0, "Second of the clip where a replay starts.", kind="float",
                             min=0, max=3600, flag="--mpv-start-offset")
    extra_args: tuple[str, ...] = _s([], "More mpv command-line options, passed as given.",
                                     kind="list", http_writable=False, flag="--mpv-args")


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    clip_seconds: int = _s(20, "Length of a replay clip in seconds.", kind="int", min=1,
                           max=600)
    mode: str = _s("save", "`save`: play the replay-buffer clip once OBS has saved it. "
                   "`tail`: play the growing live recording at once, without waiting for the "
                   "replay-buffer save (the clip is still saved and archived).", kind="str",
                   choices=("save", "tail"))
    ivr_scene: str = _s("IVR_SCENE", "OBS scene shown during a video review.", kind="str")
    live_scene: str = _s("LIVE_SCENE", "OBS scene of the live match.", kind="str")
    quota: int = _s(1, "Video reviews per athlete and match.", kind="int", min=0, max=99)
    review_seconds: int = _s(30, "Time the referee has for a review.", kind="int", min=1,
                             max=3600)
    marker_seconds: float = _s(5.0, "The review's marker: this many seconds before the "
                               "request (WT Article 21).", kind="float", min=0, max=600)
    link_seconds: float = _s(20.0, "Events of this many seconds before the save are linked "
                             "to the clip (times in the clip, recording and stream).",
                             kind="float", min=0, max=600)
    recordings_root: Path = _s(  # noqa: RUF009 - fields with metadata
        None, "Folder of recordings and clips.", kind="path",
        default_doc="`<data_dir>/recordings`", http_writable=False)
    hotkey: str = _s("F9", "Key that starts a replay on the station.", kind="str")


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    window: bool = _s(False, "Show the console in a native window (needs `pip install "
                      "'restrike[window]'`) instead of the browser.", kind="bool",
                      flag="--window")
    window_side: str = _s("right", "Screen edge the console window is docked to.", kind="str",
                          choices=("left", "right"), flag="--window-side")
    window_on_top: bool = _s(False, "Keep the console window above other windows.",
                             kind="bool", flag="--window-on-top")


@dataclass(frozen=True, slots=True)
class FlagsSettings:
    custom_dir: Path | None = _s(  # noqa: RUF009 - fields with metadata
        None, "Folder of `<IOC>.svg` flags that replace the shipped ones; empty: none.",
        kind="path", optional=True, http_writable=False)


@dataclass(frozen=True, slots=True)
class PluginsSettings:
    disabled: tuple[str, ...] = _s([], "Plugins kept off, by name (`restrike plugins list` "
                                   "shows every plugin found); their own sections stay "
                                   "valid. Applies at the next start.", kind="list")


@dataclass(frozen=True, slots=True)
class MonitorSettings:
    disk_warn_gb: float = _s(20.0, "Warn when the recordings folder's disk has less than "
                             "this many GB free.", kind="float", min=0, max=1_000_000)
    cpu_warn_percent: int = _s(80, "Warn when the machine's CPU stays above this percentage "
                               "for `monitor.cpu_warn_seconds`.", kind="int", min=1, max=100)
    cpu_warn_seconds: int = _s(30, "How long the CPU must stay above "
                               "`monitor.cpu_warn_percent` before a warning.", kind="int",
                               min=1, max=3600)
    obs_drop_percent: float = _s(
        1.0, "Warn when an OBS skips more than this percentage of its rendered or encoded "
        "frames between two samples (GetStats).", kind="float", min=0, max=100)


@dataclass(frozen=True, slots=True)
class ObsConnectionSettings:
    """One `[[obs]]` entry; `restrike.obs.ObsConnectionSettings.from_settings` copies it.

    The entries have no flags: the array is set in the file or as `RESTRIKE_OBS`.
    """

    name: str = _s(None, "Name of this OBS connection (unique).", kind="str")
    url: str = _s("ws://127.0.0.1:4455", "obs-websocket address, ws:// or wss://.", kind="str")
    password: str = _s("", "obs-websocket password; empty: none.", kind="str", secret=True)
    role: Literal["recording", "streaming", "both", "angle"] = _s(
        "both", "What this OBS does: `angle` is one more camera of multi-angle review "
        "(its replay buffer is saved with the recording OBS's).", kind="str",
        choices=("recording", "streaming", "both", "angle"))
    protocol: Literal["auto", "v5", "v4"] = _s(
        "auto", "obs-websocket protocol version; `auto`: v5 is tried first (its server "
        "greets at once), then v4, and what answered is kept for the reconnects.",
        kind="str", choices=("auto", "v5", "v4"))
    angle_name: str = _s(
        "", "Name of this OBS's camera angle in multi-angle review (the console, the "
        "archive, the clips API); empty: the connection's `name`. The angles' order is the "
        "`[[obs]]` order (the recording OBS first). Unique among the cameras.", kind="str")

    def __repr__(self) -> str:  # never show the password
        return (f"ObsConnectionSettings(name={self.name!r}, url={mask_url(self.url)!r}, "
                f"role={self.role!r}, protocol={self.protocol!r})")


SECTIONS: dict[str, type[Any]] = {
    "station": StationSettings,
    "udp": UdpSettings,
    "http": HttpSettings,
    "log": LogSettings,
    "store": StoreSettings,
    "playback": PlaybackSettings,
    "review": ReviewSettings,
    "console": ConsoleSettings,
    "flags": FlagsSettings,
    "plugins": PluginsSettings,
    "monitor": MonitorSettings,
}


@dataclass(frozen=True, slots=True)
class Setting:
    """One row of the table."""

    name: str  # dotted: "udp.port"; "obs[].url" for the entries of the `[[obs]]` array
    kind: Kind
    default: Any
    help: str
    optional: bool = False
    secret: bool = False
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    default_doc: str | None = None
    http_writable: bool = True  # False: file or CLI only (names a program or files to read)
    flag: str | None = None  # the option of `restrike run`; None: the setting has none

    @property
    def flag_spec(self) -> str | None:
        """The option as declared and shown: `--udp-port`, `--browser/--no-browser` (bool)."""
        if self.flag is None:
            return None
        return f"{self.flag}/--no-{self.flag[2:]}" if self.kind == "bool" else self.flag

    @property
    def http_note(self) -> str:
        """The sentence `help` ends with when the HTTP API may not change the setting."""
        if self.http_writable:
            return ""
        return FILE_OR_CLI_ONLY if self.flag else FILE_OR_ENV_ONLY

    @property
    def cli_help(self) -> str:
        """`help` for the command line: without the HTTP note, which goes without saying."""
        return self.help.removesuffix(" " + self.http_note) if self.http_note else self.help

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0].removesuffix("[]")

    @property
    def key(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def env(self) -> str:
        return env_name(self.name)


def env_name(name: str) -> str:
    """`udp.port` → `RESTRIKE_UDP_PORT`."""
    return "RESTRIKE_" + name.replace("[]", "").replace(".", "_").upper()


def cli_flag(name: str) -> str | None:
    """The command-line flag of a setting: `udp.port` → `--udp-port` (the generated form),
    `station.data_dir` → `--data-dir` (declared); None for a setting without one."""
    row = _BY_NAME.get(name)
    return row.flag if row is not None else _generated_flag(name)


def _generated_flag(name: str) -> str:
    return "--" + name.replace("[]", "").replace(".", "-").replace("_", "-")


def _rows(prefix: str, cls: type[Any], *, flags: bool = True) -> list[Setting]:
    """The rows of one section dataclass (fields declared with `setting_field`)."""
    rows = []
    for f in dataclasses.fields(cls):
        m = f.metadata
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:  # pragma: no cover - every field has a default
            default = None
        name = f"{prefix}.{f.name}"
        flag = m["flag"] if isinstance(m["flag"], str) else None
        if m["flag"] is True and flags:
            flag = _generated_flag(name)
        row = Setting(name, m["kind"], default, m["help"], m["optional"], m["secret"],
                      m["choices"], m["min"], m["max"], m["default_doc"], m["http_writable"],
                      flag)
        if row.http_note:
            row = dataclasses.replace(row, help=f"{row.help} {row.http_note}")
        rows.append(row)
    return rows


def section_rows(section: str, cls: type[Any]) -> tuple[Setting, ...]:
    """The rows of a plugin's settings section ``[section]``: ``cls`` is a frozen dataclass
    whose every field is declared with `setting_field`. Plugin settings have no
    command-line flag (a ``flag`` they declare is ignored): the file and
    ``RESTRIKE_<SECTION>_<KEY>`` set them. ConfigError when ``cls`` is no such class."""
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)
            and cls.__dataclass_params__.frozen):  # type: ignore[attr-defined]
        raise ConfigError(f"[{section}]: the settings must be a frozen dataclass, not {cls!r}")
    loose = [f.name for f in dataclasses.fields(cls) if "kind" not in f.metadata]
    if loose:
        raise ConfigError(f"[{section}]: declare {', '.join(loose)} with "
                          "restrike.config.setting_field(...)")
    return tuple(dataclasses.replace(row, flag=None) for row in _rows(section, cls, flags=False))


def _table() -> tuple[Setting, ...]:
    rows: list[Setting] = []
    for section, cls in SECTIONS.items():
        rows.extend(_rows(section, cls))
    rows.append(Setting("obs", "obs", (), "OBS connections: an array of tables `[[obs]]` with "
                        "the keys below; none by default."))
    rows.extend(_rows("obs[]", ObsConnectionSettings, flags=False))
    return tuple(rows)


SETTINGS: tuple[Setting, ...] = _table()
_BY_NAME = {s.name: s for s in SETTINGS}


def number_text(value: float) -> str:
    """A bound as people write it: `1024`, not `1024.0`; `0.1` stays."""
    return str(int(value)) if float(value).is_integer() else str(value)


def setting(name: str) -> Setting:
    """The row of `name` (KeyError if there is none)."""
    return _BY_NAME[name]
