"""The composition root: the one module that builds every part of the station.

``build_station(settings)`` turns the effective settings into a ready `Station`:
it builds each part and hands it, through its constructor, what it needs — the
store, the OBS pool, the player, the live state, the API's view of the station —
typed with the Protocols the parts declare (`restrike.store.types.StoreSink`,
`restrike.review.ports`, `restrike.api.view`). No part looks another one up.

Start order: store → ingest → obs → playback → review → extra components →
optional components → the plugins (`restrike.plugins`: found by entry point, loaded
before the station is built so their settings sections are typed; failures isolated)
→ api (last, so every router is mounted). ``assemble`` returns the parts too, for
the callers that drive them (``restrike run``/``demo``, the benchmarks, the tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from restrike.api.access import HttpAccess
from restrike.api.component import ApiComponent
from restrike.api.view import StationStats, StationView
from restrike.config import Settings, default_data_dir
from restrike.ingest.component import IngestComponent, IngestConfig
from restrike.kernel import SWITCH_INTERVAL, Component, Station
from restrike.monitor import MonitorComponent
from restrike.obs.component import ObsComponent
from restrike.obs.pool import ObsPool
from restrike.obs.settings import ObsConnectionSettings
from restrike.playback import MpvPlayer, PlaybackSettings
from restrike.playback.component import PlaybackComponent
from restrike.plugins import load_plugins
from restrike.protocol import load_schema
from restrike.review.component import Review
from restrike.review.hotkey import make_hotkey
from restrike.review.options import LIVE_SETTINGS as REVIEW_LIVE_SETTINGS
from restrike.review.options import ReviewOptions
from restrike.review.ports import ObsPoolView, ReviewPlayer
from restrike.store.component import DB_FILE, StoreComponent

__all__ = ["Assembly", "assemble", "build_station", "data_dir_of", "station_stats"]


@dataclass(frozen=True, eq=False)
class Assembly:
    """A built station and its parts (None: not built for these settings)."""

    station: Station
    store: StoreComponent
    ingest: IngestComponent
    view: StationView
    api: ApiComponent | None = None
    obs: ObsComponent | None = None
    playback: PlaybackComponent | None = None
    review: Review | None = None


def data_dir_of(settings: Settings) -> Path:
    """The station's data folder (``station.data_dir``, else the user data folder)."""
    return Path(settings.station.data_dir or default_data_dir()).expanduser()


def build_station(settings: Settings, *, extra: Iterable[Component] = (),
                  optional: Iterable[Component] = ()) -> Station:
    """The station ``restrike run`` runs, built from ``settings``; ``extra`` components
    start after the built-in ones, ``optional`` ones (plugins) after those, isolated."""
    return assemble(settings, extra=extra, optional=optional).station


def assemble(settings: Settings, *, extra: Iterable[Component] = (),
             optional: Iterable[Component] = (), access: HttpAccess | None = None,
             serve_http: bool = True, review: bool = True, obs: ObsPoolView | None = None,
             player: ReviewPlayer | None = None,
             playback_driving: Mapping[str, object] | None = None,
             switch_interval: float | None = SWITCH_INTERVAL,
             plugins: bool = True) -> Assembly:
    """Build the station and its parts from ``settings``.

    ``access``: who may call the API (``restrike run`` checks it before); without
    ``serve_http`` there is no HTTP server (tests mount ``create_app(view)``); without
    ``review`` no replay workflow. ``obs`` / ``player``: peers the caller owns (the
    replay benchmark, tests), given to the review instead of the OBS pool of
    ``[[obs]]`` and the station's own mpv. ``playback_driving``: how the station's mpv
    is driven (`PlaybackSettings` fields that are no settings, e.g. ``vo="null"``).
    ``plugins``: load the plugins found, but those in ``plugins.disabled``.
    Raises ConfigError / ProtocolError for settings that cannot be used.
    """
    loaded = load_plugins(settings) if plugins else None
    if loaded is not None:
        settings = loaded.settings  # with each loaded plugin's section checked and typed
    data_dir = data_dir_of(settings)
    schema = load_schema(settings.station.protocol_file)
    store = StoreComponent(data_dir / DB_FILE, batch_rows=settings.store.batch_rows,
                           batch_ms=settings.store.batch_ms,
                           tournament=settings.station.tournament or None)
    station = Station(settings, data_dir=data_dir, switch_interval=switch_interval,
                      store=store)
    ingest = IngestComponent(IngestConfig.from_settings(settings.udp, spool_dir=data_dir),
                             schema, store, station.live)
    station.add(store)
    station.add(ingest)
    options = ReviewOptions.from_settings(settings.review, settings.playback,
                                          data_dir=data_dir)
    obs_component = None
    if obs is None:  # even without [[obs]]: connections added in the console start at once
        obs_component = ObsComponent(
            ObsPool([ObsConnectionSettings.from_settings(e) for e in settings.obs]))
        station.add(obs_component)
        obs = obs_component.pool
    station.add(MonitorComponent(settings.monitor, options.recordings_root,
                                 obs_component.pool if obs_component else None))
    playback = None
    if player is None and settings.playback.enabled:
        mpv = MpvPlayer(PlaybackSettings.from_settings(settings.playback,
                                                       **(playback_driving or {})))
        playback = PlaybackComponent(mpv, allowed_roots=[options.recordings_root],
                                     pid_file=data_dir / "mpv.pid")
        station.add(playback)
        player = mpv
    replay = None
    if review:
        replay = Review(options, store=store, obs=obs, player=player,
                        hotkey=make_hotkey(options.hotkey), gates=station.gates)
        station.add(replay)
    for component in extra:
        station.add(component)
    for component in [*optional, *(loaded.components() if loaded else ())]:
        station.add(component, optional=True)
    view = StationView(kernel=station, feed=ingest, store=store,
                       stats=station_stats(ingest, store, station.components),
                       effective=settings.describe(),
                       live_settings=_live_settings(station.components, replay),
                       protocol_file=settings.station.protocol_file, gates=station.gates)
    api = None
    if serve_http:
        api = ApiComponent(settings.http.host, settings.http.port, access, view=view)
        station.add(api)
    return Assembly(station, store, ingest, view, api=api, obs=obs_component,
                    playback=playback, review=replay)


def _live_settings(components: Iterable[Component], review: Review | None) -> frozenset[str]:
    """The settings the parts apply while running: each part's ``live_settings``."""
    names: set[str] = set(REVIEW_LIVE_SETTINGS) if review is not None else set()
    for component in components:
        names |= getattr(component, "live_settings", frozenset())
    return frozenset(names)


def station_stats(ingest: IngestComponent, store: StoreComponent,
                  parts: Iterable[Component] = ()) -> Callable[[], StationStats]:
    """``/api/v1/stats``: the intake's and the store's counters in one flat body, plus
    the section of each part that has a ``stats_section()`` under its name (the hub
    link's lag: docs/plugins.md)."""
    sections = [(part.name, section) for part in parts
                if callable(section := getattr(part, "stats_section", None))]

    def stats() -> StationStats:
        counters = ingest.counters()
        stored = store.stats()
        body: StationStats = {
            "datagrams_received": counters["datagrams_received"],
            "messages": counters["messages"],
            "invalid": counters["invalid"],
            "unknown": counters["unknown"],
            "stored": stored.stored_datagrams if stored else 0,
            "stored_events": stored.stored_events if stored else 0,
            "queue_depth": counters["pipeline_backlog"] + (stored.queue_depth if stored else 0),
            "dropped": counters["kernel_drops"] or 0,
            "last_datagram_at": counters["last_datagram_at"],
        }
        if not sections:
            return body
        return cast(StationStats, {**body, **{name: section() for name, section in sections}})

    return stats
