"""The ``[hub]`` section of the station's settings (``RESTRIKE_HUB_<KEY>``)."""

from __future__ import annotations

from dataclasses import dataclass

from restrike.config import setting_field

__all__ = ["HubSettings"]


@dataclass(frozen=True, slots=True)
class HubSettings:
    """Where the station's hub link sends the court's rows (the court's name is
    ``station.court``)."""

    url: str = setting_field("", "The tournament hub, `http://HOST:PORT` (https behind a "
                             "reverse proxy); empty: the station sends nothing.", kind="str")
    token: str = setting_field("", "This court's token, as in the hub's `--tokens` file; "
                               "empty: none (a hub started without tokens takes every "
                               "court).", kind="str", secret=True)
    batch_rows: int = setting_field(2000, "Datagrams per upload at most (with their "
                                    "events); a catch-up after an outage goes in uploads "
                                    "of this size.", kind="int", min=1, max=20_000)
    heartbeat_seconds: float = setting_field(2.0, "Seconds between uploads when nothing "
                                             "happens (the hub shows a court silent longer "
                                             "than 3 of them as disconnected).",
                                             kind="float", min=0.2, max=60)
