"""`restrike run` (the station) and `restrike demo` (station + simulator, console open)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer

from restrike.cli import app
from restrike.cli.settings_options import flag_rows, setting_options
from restrike.config import Settings, default_data_dir, load_settings
from restrike.errors import ConfigError, ProtocolError, RestrikeError

if TYPE_CHECKING:
    from restrike.api.access import HttpAccess
    from restrike.api.token import OperatorToken
    from restrike.assembly import Assembly
    from restrike.console.window import WindowOptions
    from restrike.kernel import Component, Station

log = logging.getLogger(__name__)

#: The settings `restrike demo` takes: the demo plays a simulated court on loopback on
#: free ports, without OBS or mpv, so its feed, HTTP address, player and window settings
#: are its own; it reads no settings file and no environment.
DEMO_SETTINGS = ("station.data_dir", "station.protocol_file", "station.tournament",
                 "udp.receiver", "http.port", "http.open_browser", "log.level", "log.levels",
                 "flags.custom_dir")


def load_effective(config_file: Path | None, overrides: dict[str, Any]) -> Settings:
    """The settings (file + env + CLI overrides); ConfigError names a bad setting."""
    return load_settings(config_file, cli=overrides)


def _setup_logs(settings: Settings, data_dir: Path) -> Path | None:
    from restrike.logs import setup_logging

    levels = {"uvicorn.access": "WARNING", **dict(settings.log.levels)}
    return setup_logging(level=settings.log.level, levels=levels, log_dir=data_dir / "logs",
                         max_bytes=settings.log.max_bytes, backups=settings.log.backups,
                         archive_days=settings.log.archive_days,
                         archive_mb=settings.log.archive_mb)


def http_access(settings: Settings, data_dir: Path) -> tuple[HttpAccess, OperatorToken | None]:
    """Who may call the API, checked before the station starts (ConfigError: exit 2).

    The operator token is needed when ``http.token`` is set or ``http.host`` is not
    loopback: the configured one, else the one kept in (or first written to) the data
    folder; the station does not start on a LAN address without it.
    """
    from restrike.api.access import AccessPolicy, HttpAccess, is_loopback
    from restrike.api.token import operator_token

    http = settings.http
    token = None
    if http.token or not is_loopback(http.host):
        token = operator_token(data_dir, http.token or None)
    access = HttpAccess(token.value if token else None, http.allowed_hosts,
                        http.allowed_origins)
    AccessPolicy.build(http.host, http.port, allowed_hosts=access.allowed_hosts,
                       allowed_origins=access.allowed_origins, token=access.token)
    return access, token


def console_url(assembly: Assembly) -> str:
    """The console's address (with ``?token=`` when the API needs the operator token)."""
    if assembly.api is None:
        raise RestrikeError("the station serves no console (no HTTP server)")
    return assembly.api.console_url()


def open_console(url: str) -> bool:
    """Open the console in the browser; on a machine without one, say so (URL printed)."""
    headless = (sys.platform.startswith("linux") and not os.environ.get("DISPLAY")
                and not os.environ.get("WAYLAND_DISPLAY"))
    opened = False
    if not headless:  # (without a display Python would try text browsers in this terminal)
        try:
            opened = webbrowser.open(url)
        except (webbrowser.Error, OSError) as err:
            log.warning("could not open the browser: %s", err)
    if not opened:
        print(f"  no browser could be opened here: open {url} in a browser", flush=True)
    return opened


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def serve(settings: Settings, *, open_browser: bool,
          on_ready: Callable[[Assembly], None] | None = None,
          extra: Iterable[Component] = (), stop: threading.Event | None = None) -> int:
    """Run the station until Ctrl-C / SIGTERM / SIGHUP (or ``stop`` is set); exit code.

    The station is the composition root's (`restrike.assembly`), plus ``extra``
    components; ``stop`` lets another thread end the run (the console window, when it
    closes).
    """
    from restrike.assembly import assemble, data_dir_of
    from restrike.kernel import run_until_signalled

    try:
        data_dir = data_dir_of(settings)
        access, token = http_access(settings, data_dir)
        log_file = _setup_logs(settings, data_dir)
        assembly = assemble(settings, extra=extra, access=access)
    except (ConfigError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except ProtocolError as err:
        print(f"error: station.protocol_file: {err}", file=sys.stderr)
        return 2
    except RestrikeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    def ready(st: Station) -> None:
        url = console_url(assembly)
        udp = st.bound["udp"]
        print(f"reStrike station: console at {url}", flush=True)
        print(f"  court feed: UDP {udp['host']}:{udp['port']}"
              f"  data: {data_dir}  log: {log_file or 'stderr only'}", flush=True)
        if token is not None:
            kept = f"kept in {token.path}" if token.path else "set by http.token"
            print(f"  operator token required ({kept}): open the URL above once in each "
                  "browser; scripts send Authorization: Bearer <token>", flush=True)
        if open_browser:
            threading.Thread(target=open_console, args=(url,), name="open-browser",
                             daemon=True).start()
        if on_ready is not None:
            on_ready(assembly)

    async def main() -> None:
        stop_event = asyncio.Event()
        watch: asyncio.Task[None] | None = None
        if stop is not None:
            async def follow() -> None:
                # A threading.Event cannot be awaited; a 0.1 s look costs nothing.
                while not stop.is_set():  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
                stop_event.set()

            watch = asyncio.get_running_loop().create_task(follow(), name="serve-stop")
        try:
            await run_until_signalled(assembly.station, ready=ready, stop_event=stop_event)
        finally:
            if watch is not None:
                watch.cancel()
                await asyncio.gather(watch, return_exceptions=True)

    try:
        with asyncio.Runner(loop_factory=_new_loop) as runner:
            runner.run(main())
    except KeyboardInterrupt:
        return 0
    except RestrikeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def serve_with_window(settings: Settings, options: WindowOptions) -> int:
    """``restrike run --window``: the station on a thread, the console window on this one.

    Exit code 2 with the install command when pywebview is missing.
    """
    from restrike.console.window import check_available, run_with_window

    try:
        webview = check_available()
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    stop = threading.Event()
    codes: list[int] = []

    def start_station(on_window_ready: Callable[..., None]) -> None:
        def ready(assembly: Assembly) -> None:
            station = assembly.station
            on_window_ready(console_url(assembly), station.bus,
                            station.live_status.get("player"))

        codes.append(serve(settings, open_browser=False, on_ready=ready, stop=stop))

    try:
        run_with_window(start_station, stop.set, options, webview=webview)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return codes[0] if codes and codes[0] else 1
    return codes[0] if codes else 0


def window_options(settings: Settings) -> WindowOptions:
    """``console.window_side`` / ``console.window_on_top`` → `WindowOptions`."""
    from restrike.console.window import WindowOptions

    side: Literal["left", "right"] = ("left" if settings.console.window_side == "left"
                                      else "right")
    return WindowOptions(side=side, on_top=settings.console.window_on_top)


@app.command()
@setting_options(flag_rows())
def run(
    config: Path | None = typer.Option(None, "--config",
                                       help="Settings file (TOML); without it, the file "
                                            "named by RESTRIKE_CONFIG, if any."),
    hub: str | None = typer.Option(None, "--hub", metavar="URL",
                                   help="The tournament hub to send to (the hub plugin's "
                                        "hub.url, docs/hub.md).", rich_help_panel="Station"),
    *,
    overrides: dict[str, Any],
) -> None:
    """Run the station: receive the court feed, store it, serve the API and console.

    Every setting with a flag can be given here; precedence: command line > RESTRIKE_*
    environment > settings file > defaults (docs/settings.md).
    """
    if hub is not None:  # a plugin's setting, given like the table's (checked when it loads)
        overrides = {**overrides, "hub.url": hub}
    try:
        settings = load_effective(config, overrides)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    if settings.console.window:
        raise typer.Exit(serve_with_window(settings, window_options(settings)))
    raise typer.Exit(serve(settings, open_browser=settings.http.open_browser))


def _free_port(kind: int) -> int:
    import socket

    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@app.command()
@setting_options(flag_rows(DEMO_SETTINGS),
                 shown_defaults={"station.data_dir": "<user data folder>/demo",
                                 "http.port": "a free port"})
def demo(
    scenario: str = typer.Option("championship", "--scenario",
                                 help="Simulated scenario: basic, championship, training, para."),
    speed: float = typer.Option(1.0, "--speed", help="Time factor (1 = real time)."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same matches."),
    matches: int = typer.Option(0, "--matches", help="Matches to play (0 = until stopped)."),
    *,
    overrides: dict[str, Any],
) -> None:
    """Start the station and a simulated court together on free ports; open the console."""
    import dataclasses
    import socket

    from restrike.cli.demo import SimulatorComponent
    from restrike.console.settings_api import DEMO_SOURCE

    udp_port = _free_port(socket.SOCK_DGRAM)
    sim_port = _free_port(socket.SOCK_DGRAM)
    given = {name for name, value in overrides.items() if value is not None}
    overrides = {
        "station.data_dir": str(default_data_dir() / "demo"),
        **overrides,
        "udp.host": "127.0.0.1", "udp.port": udp_port,
        "udp.pss_host": f"127.0.0.1:{sim_port}", "http.host": "127.0.0.1",
        # No OBS in the demo, so no clips to play: no idle mpv window either.
        "playback.enabled": False,
    }
    if "http.port" not in given:
        overrides["http.port"] = _free_port(socket.SOCK_STREAM)
    try:
        settings = load_settings(None, env={}, cli=overrides)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    # What the demo chose itself came from no flag (the settings page says so).
    settings = dataclasses.replace(settings, sources={
        **settings.sources, **{name: DEMO_SOURCE for name in overrides if name not in given}})
    simulator = SimulatorComponent(("127.0.0.1", udp_port), ("127.0.0.1", sim_port),
                                   scenario=scenario, seed=seed, speed=speed, matches=matches)

    def ready(_assembly: Assembly) -> None:
        print(f"  simulated court ({scenario}, speed {speed:g}) → UDP {udp_port}; "
              "Ctrl-C to stop", flush=True)

    raise typer.Exit(serve(settings, open_browser=settings.http.open_browser, on_ready=ready,
                           extra=[simulator]))
