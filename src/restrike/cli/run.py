"""`restrike run` (the station) and `restrike demo` (station + simulator, console open)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import webbrowser
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import typer

from restrike.cli import app, bench_app
from restrike.cli.settings_options import flag_rows, setting_options
from restrike.config import Settings, default_data_dir, load_settings, resolve_host
from restrike.errors import ConfigError, ProtocolError, RestrikeError

if TYPE_CHECKING:
    from restrike.api.access import HttpAccess
    from restrike.api.token import OperatorToken
    from restrike.station import Station, StationConfig

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


def station_config(settings: Settings) -> StationConfig:
    """Settings → `StationConfig`: resolves interface names and the data folder."""
    from restrike.station import StationConfig

    data_dir = settings.station.data_dir or default_data_dir()
    protocol = settings.station.protocol_file
    pss = settings.udp.pss_address
    return StationConfig(
        data_dir=Path(data_dir).expanduser(),
        udp_host=resolve_host(settings.udp.host),
        udp_port=settings.udp.port,
        receive_buffer=settings.udp.receive_buffer,
        pss_host=pss[0] if pss else None,
        pss_port=pss[1] if pss else settings.udp.pss_port,
        http_host=settings.http.host,
        http_port=settings.http.port,
        protocol_file=Path(protocol) if protocol else None,
        tournament=settings.station.tournament or None,
        batch_rows=settings.store.batch_rows,
        batch_ms=settings.store.batch_ms,
        effective_settings=settings.describe(),
        receiver=settings.udp.receiver,
    )


def _setup_logs(settings: Settings, data_dir: Path) -> Path | None:
    from restrike.logs import setup_logging

    levels = {"uvicorn.access": "WARNING", **dict(settings.log.levels)}
    return setup_logging(level=settings.log.level, levels=levels, log_dir=data_dir / "logs",
                         max_bytes=settings.log.max_bytes, backups=settings.log.backups)


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


def console_url(station: Station) -> str:
    """The console's address (with ``?token=`` when the API needs the operator token)."""
    from restrike.api.server import ApiComponent

    api = station.get("api")
    if isinstance(api, ApiComponent):
        return api.console_url()
    http = station.bound.get("http", {})
    host = http.get("host", "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{http.get('port')}/"


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


def serve(settings: Settings, *, open_browser: bool, on_ready: Any = None,
          components: list[Any] | None = None, stop: threading.Event | None = None) -> int:
    """Run the station until Ctrl-C / SIGTERM / SIGHUP (or ``stop`` is set); exit code.

    ``stop`` lets another thread end the run (the console window, when it closes).
    """
    from restrike.api.server import ApiComponent
    from restrike.station import Station, run_until_signalled

    try:
        config = station_config(settings)
        access, token = http_access(settings, config.data_dir)
        log_file = _setup_logs(settings, config.data_dir)
        # The API is added here, last as the station would, with its access settings.
        station = Station(replace(config, serve_http=False))
        for component in [*components_for(settings, store=station.store),
                          *(components or ()),
                          ApiComponent(config.http_host, config.http_port, access)]:
            station.add(component)
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
        url = console_url(st)
        udp = st.bound.get("udp", {})
        print(f"reStrike station: console at {url}", flush=True)
        print(f"  court feed: UDP {udp.get('host')}:{udp.get('port')}"
              f"  data: {config.data_dir}  log: {log_file or 'stderr only'}", flush=True)
        if token is not None:
            kept = f"kept in {token.path}" if token.path else "set by http.token"
            print(f"  operator token required ({kept}): open the URL above once in each "
                  "browser; scripts send Authorization: Bearer <token>", flush=True)
        if open_browser:
            threading.Thread(target=open_console, args=(url,), name="open-browser",
                             daemon=True).start()
        if on_ready is not None:
            on_ready(st)

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
            await run_until_signalled(station, ready=ready, stop_event=stop_event)
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


def serve_with_window(settings: Settings, options: Any) -> int:
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

    def start_station(on_window_ready: Any) -> None:
        def ready(st: Station) -> None:
            on_window_ready(console_url(st), st.bus, st.live_status.get("player"))

        codes.append(serve(settings, open_browser=False, on_ready=ready, stop=stop))

    try:
        run_with_window(start_station, stop.set, options, webview=webview)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return codes[0] if codes and codes[0] else 1
    return codes[0] if codes else 0


def window_options(settings: Settings) -> Any:
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
    *,
    overrides: dict[str, Any],
) -> None:
    """Run the station: receive the court feed, store it, serve the API and console.

    Every setting with a flag can be given here; precedence: command line > RESTRIKE_*
    environment > settings file > defaults (docs/settings.md).
    """
    try:
        settings = load_effective(config, overrides)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    if settings.console.window:
        raise typer.Exit(serve_with_window(settings, window_options(settings)))
    raise typer.Exit(serve(settings, open_browser=settings.http.open_browser))


class ObsComponent:
    """The OBS pool as a station component (added when ``[[obs]]`` is configured).

    Mounts ``/api/v1/obs``, publishes every connection change as the live
    ``status.obs`` list, closes the connections in the CLOSE stage. The review
    component is handed its ``pool`` (``components_for``).
    """

    name = "obs"

    def __init__(self, entries: Any) -> None:
        from restrike.obs.pool import ObsPool
        from restrike.obs.settings import ObsConnectionSettings

        self.pool = ObsPool([ObsConnectionSettings.from_settings(e) for e in entries])
        self._unsubscribe: Any = None
        self.started = False

    async def start(self, station: Station) -> None:
        from restrike.bus import StatusChanged
        from restrike.obs.api import make_router
        from restrike.obs.settings import ObsStatus

        bus = station.bus

        def changed(item: Any) -> None:
            if isinstance(item, ObsStatus):
                bus.publish(StatusChanged("obs", [s.as_dict() for s in self.pool.statuses()]))

        self._unsubscribe = self.pool.subscribe(changed)
        station.add_router(make_router(self.pool))
        await self.pool.start()
        self.started = True
        bus.publish(StatusChanged("obs", [s.as_dict() for s in self.pool.statuses()]))

    async def stop(self, stage: Any) -> None:
        from restrike.station import Stage

        if stage is Stage.CLOSE and self.started:
            self.started = False
            if self._unsubscribe is not None:
                self._unsubscribe()
            await self.pool.stop()

    def health(self) -> dict[str, Any]:
        statuses = [s.as_dict() for s in self.pool.statuses()]
        # OBS being away is a state of the court, not a failure of the station.
        return {"ok": True, "state": "running" if self.started else "stopped",
                "connected": sum(1 for s in statuses if s["connected"]),
                "connections": len(statuses)}


def components_for(settings: Settings, *, review: bool = True, store: Any = None
                   ) -> list[Any]:
    """The components the settings ask for, in start order.

    OBS when ``[[obs]]`` has entries; the review player (mpv, kept idle) unless
    ``playback.enabled`` is false; the replay workflow (``restrike.review``), handed
    the OBS pool, the player, the hotkey and ``store`` (the station's store component:
    the review archives once its store is open).
    """
    components: list[Any] = []
    obs: ObsComponent | None = None
    if settings.obs:
        obs = ObsComponent(settings.obs)
        components.append(obs)
    data_dir = Path(settings.station.data_dir or default_data_dir())
    from restrike.review.options import ReviewOptions

    options = ReviewOptions.from_settings(settings.review, settings.playback,
                                          data_dir=data_dir)
    player = None
    if settings.playback.enabled:
        from restrike.cli.components import PlaybackComponent
        from restrike.playback import PlaybackSettings

        playback = PlaybackComponent(
            PlaybackSettings.from_settings(settings.playback),
            allowed_roots=[options.recordings_root])
        components.append(playback)
        player = playback.player
    if review:
        from restrike.review.component import Review
        from restrike.review.hotkey import make_hotkey

        components.append(Review(options, store=store, obs=obs.pool if obs else None,
                                 player=player, hotkey=make_hotkey(options.hotkey)))
    return components


class SimulatorComponent:
    """`restrike demo`: the simulator as a peer of the station, over real UDP.

    It only talks UDP (the simulator never imports the station); as a component it
    starts after the intake and stops first, saying ``bye;`` like tkStrike.
    """

    name = "simulator"

    def __init__(self, target: tuple[str, int], listen: tuple[str, int], *, scenario: str,
                 seed: int, speed: float, matches: int) -> None:
        self.target = target
        self.listen = listen
        self.kwargs = {"scenario": scenario, "seed": seed, "speed": speed, "matches": matches}
        self.thread: Any = None

    async def start(self, station: Station) -> None:
        from restrike.simulator import start_thread

        udp = station.bound.get("udp", {})
        target = (self.target[0], int(udp.get("port", self.target[1])))
        self.thread = await asyncio.to_thread(start_thread, target, listen=self.listen,
                                              **self.kwargs)
        # The station asked for a resync before the simulator listened: ask again.
        station.resync()

    async def stop(self, stage: Any) -> None:
        from restrike.station import Stage

        if stage is Stage.INTAKE and self.thread is not None:
            self.thread.stop()
            await asyncio.to_thread(self.thread.join, 10.0)

    def health(self) -> dict[str, Any]:
        alive = self.thread is not None and self.thread._thread.is_alive()
        return {"ok": alive or (self.thread is not None and self.thread.result is not None),
                "state": "running" if alive else "finished", "target": list(self.target),
                "listen": list(self.listen)}


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
    import socket

    udp_port = _free_port(socket.SOCK_DGRAM)
    sim_port = _free_port(socket.SOCK_DGRAM)
    overrides = {
        "station.data_dir": str(default_data_dir() / "demo"),
        **overrides,
        "udp.host": "127.0.0.1", "udp.port": udp_port,
        "udp.pss_host": f"127.0.0.1:{sim_port}", "http.host": "127.0.0.1",
        # No OBS in the demo, so no clips to play: no idle mpv window either.
        "playback.enabled": False,
    }
    if "http.port" not in overrides:
        overrides["http.port"] = _free_port(socket.SOCK_STREAM)
    try:
        settings = load_settings(None, env={}, cli=overrides)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    simulator = SimulatorComponent(("127.0.0.1", udp_port), ("127.0.0.1", sim_port),
                                   scenario=scenario, seed=seed, speed=speed, matches=matches)

    def ready(station: Station) -> None:
        print(f"  simulated court ({scenario}, speed {speed:g}) → UDP {udp_port}; "
              "Ctrl-C to stop", flush=True)

    raise typer.Exit(serve(settings, open_browser=settings.http.open_browser, on_ready=ready,
                           components=[simulator]))


@bench_app.command("ingest")
def bench_ingest(
    rate: float = typer.Option(1000.0, "--rate", help="Messages per second to send."),
    seconds: float = typer.Option(10.0, "--seconds", help="How long to send."),
    scenario: str = typer.Option("", "--scenario",
                                 help="'all': the issue's four targets (overrides --rate)."),
    url: str | None = typer.Option(None, "--url", help="A running station's API URL."),
    udp: str | None = typer.Option(None, "--udp", help="Its feed HOST:PORT (with --url)."),
    compare_receivers: bool = typer.Option(False, "--compare-receivers",
                                           help="Thread vs asyncio receiver, in process."),
    state_client: str = typer.Option("raw", "--state-client",
                                     help="GET /api/v1/state poller: 'raw' (keep-alive "
                                          "socket) or 'http.client' (to compare)."),
) -> None:
    """Drive a station over UDP from another process: loss, latency, RSS, CPU."""
    from restrike.bench import ingest

    if compare_receivers:
        from restrike.bench.receivers import report

        raise typer.Exit(0 if report(rate, seconds) else 1)
    if state_client not in ("raw", "http.client"):
        print(f"error: --state-client: {state_client!r} is not raw or http.client",
              file=sys.stderr)
        raise typer.Exit(2)
    sut = ingest.StationUnderTest(url, udp)
    sut.start()
    try:
        if scenario == "all":
            ok = ingest.run_scenarios(sut, seconds, state_client=state_client)
        elif scenario:
            print(f"error: unknown scenario {scenario!r} (all)", file=sys.stderr)
            raise typer.Exit(2)
        else:
            ingest.print_result(ingest.run_rate(sut, rate, seconds,
                                                state_client=state_client))
            ok = True
    finally:
        sut.stop()
    raise typer.Exit(0 if ok else 1)
