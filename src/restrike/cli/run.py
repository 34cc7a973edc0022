"""`restrike run` (the station) and `restrike demo` (station + simulator, console open)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Any

import platformdirs
import typer

from restrike.cli import app
from restrike.errors import ConfigError, RestrikeError

log = logging.getLogger(__name__)

APP_NAME = "restrike"


def default_data_dir() -> Path:
    """Database, logs and clips live under the user data folder by default."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def _get(settings: Any, name: str, default: Any = None) -> Any:
    """A dotted setting from the settings object, whatever its shape (attr or mapping)."""
    getter = getattr(settings, "get", None)
    if callable(getter) and not hasattr(settings, "__dataclass_fields__"):
        with contextlib.suppress(Exception):
            value = getter(name)
            return default if value is None else value
    value: Any = settings
    for part in name.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        else:
            value = getattr(value, part, None)
        if value is None:
            return default
    return value


def split_pss(value: str, default_port: int = 6001) -> tuple[str, int]:
    """``HOST[:PORT]`` → (host, port); ConfigError naming ``udp.pss_host`` if bad."""
    host, sep, port_text = value.strip().rpartition(":")
    if not sep:
        host, port_text = value.strip(), ""
    if not host:
        raise ConfigError(f"udp.pss_host: {value!r} has no host (expected HOST[:PORT])")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"udp.pss_port: {port_text!r} is not a port number (1-65535)")
    return host, int(port_text)


def load_effective(config_file: Path | None, overrides: dict[str, Any]) -> Any:
    """The settings (file + env + CLI overrides); ConfigError names a bad setting."""
    from restrike import config as config_module

    loader = getattr(config_module, "load_settings", None) or getattr(config_module, "load")
    return loader(config_file, overrides)


def settings_dict(settings: Any) -> dict[str, Any]:
    for name in ("as_dict", "to_dict", "model_dump", "dump"):
        method = getattr(settings, name, None)
        if callable(method):
            with contextlib.suppress(Exception):
                result = method()
                if isinstance(result, dict):
                    return result
    return {}


def station_config(settings: Any) -> Any:
    """Settings → `StationConfig`: resolves interface names and the data folder."""
    from restrike.ingest import resolve_host
    from restrike.station import StationConfig

    data_dir = _get(settings, "station.data_dir") or default_data_dir()
    protocol = _get(settings, "station.protocol_file")
    pss_host = _get(settings, "udp.pss_host") or None
    pss_port = int(_get(settings, "udp.pss_port", 6001))
    if pss_host and ":" in str(pss_host):
        pss_host, pss_port = split_pss(str(pss_host), pss_port)
    return StationConfig(
        data_dir=Path(data_dir).expanduser(),
        udp_host=resolve_host(str(_get(settings, "udp.host", "0.0.0.0"))),
        udp_port=int(_get(settings, "udp.port", 6000)),
        receive_buffer=int(_get(settings, "udp.receive_buffer", 8 * 1024 * 1024)),
        pss_host=pss_host,
        pss_port=pss_port,
        http_host=str(_get(settings, "http.host", "127.0.0.1")),
        http_port=int(_get(settings, "http.port", 8080)),
        protocol_file=Path(protocol).expanduser() if protocol else None,
        tournament=_get(settings, "station.tournament") or None,
        batch_rows=int(_get(settings, "store.batch_rows", 500)),
        batch_ms=float(_get(settings, "store.batch_ms", 2.0)),
        effective_settings=settings_dict(settings),
    )


def _setup_logs(settings: Any, data_dir: Path) -> Path | None:
    from restrike.logs import setup_logging

    levels = _get(settings, "log.levels", {}) or {}
    levels = {"uvicorn.access": "WARNING", **dict(levels)}
    return setup_logging(level=str(_get(settings, "log.level", "INFO")), levels=levels,
                         log_dir=data_dir / "logs",
                         max_bytes=int(_get(settings, "log.max_bytes", 5_000_000)),
                         backups=int(_get(settings, "log.backups", 5)))


def console_url(station: Any) -> str:
    http = station.bound.get("http", {})
    host = http.get("host", "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{http.get('port')}/"


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()  # type: ignore[no-any-return]


def serve(settings: Any, *, open_browser: bool, on_ready: Any = None) -> int:
    """Run the station until Ctrl-C / SIGTERM; returns the exit code."""
    from restrike.station import Station, run_until_signalled

    try:
        config = station_config(settings)
        log_file = _setup_logs(settings, config.data_dir)
        station = Station(config)
    except (ConfigError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except RestrikeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

    def ready(st: Station) -> None:
        url = console_url(st)
        udp = st.bound.get("udp", {})
        print(f"reStrike station: console at {url}", flush=True)
        print(f"  court feed: UDP {udp.get('host')}:{udp.get('port')}"
              f"  data: {config.data_dir}  log: {log_file}", flush=True)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), name="open-browser",
                             daemon=True).start()
        if on_ready is not None:
            on_ready(st)

    try:
        with asyncio.Runner(loop_factory=_new_loop) as runner:
            runner.run(run_until_signalled(station, ready=ready))
    except KeyboardInterrupt:
        return 0
    except RestrikeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def _overrides(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


@app.command()
def run(
    config: Path | None = typer.Option(None, "--config", help="Settings file (TOML)."),
    data_dir: Path | None = typer.Option(None, "--data-dir",
                                         help="Database, logs and clips folder."),
    udp_host: str | None = typer.Option(None, "--udp-host",
                                        help="IPv4 address or interface name to listen on "
                                             "(default 0.0.0.0)."),
    udp_port: int | None = typer.Option(None, "--udp-port", help="Court feed port (6000)."),
    http_host: str | None = typer.Option(None, "--http-host", help="API address (127.0.0.1)."),
    http_port: int | None = typer.Option(None, "--http-port", help="API port (8080)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open the console."),
    protocol: Path | None = typer.Option(None, "--protocol", help="Edited protocol file."),
    pss_host: str | None = typer.Option(None, "--pss-host",
                                        help="Scoring software HOST[:PORT] for pull requests."),
) -> None:
    """Run the station: receive the court feed, store it, serve the API and console."""
    overrides = _overrides(**{
        "station.data_dir": str(data_dir) if data_dir else None,
        "udp.host": udp_host, "udp.port": udp_port,
        "http.host": http_host, "http.port": http_port,
        "station.protocol_file": str(protocol) if protocol else None,
    })
    try:
        if pss_host:
            host, port = split_pss(pss_host)
            overrides["udp.pss_host"] = host
            if ":" in pss_host:
                overrides["udp.pss_port"] = port
        settings = load_effective(config, overrides)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    open_browser = not no_browser and bool(_get(settings, "http.open_browser", True))
    raise typer.Exit(serve(settings, open_browser=open_browser))
