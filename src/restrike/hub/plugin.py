"""The built-in plugin ``hub``: the hub link component, its settings, command and bench."""

from __future__ import annotations

from restrike.hub.bench import bench
from restrike.hub.cli import cli
from restrike.hub.link import HubLinkComponent
from restrike.hub.settings import HubSettings

__all__ = ["HubLink"]


class HubLink(HubLinkComponent):
    """What the entry point names: the component plus what the plugin declares."""

    settings = HubSettings
    cli = cli
    bench = bench
