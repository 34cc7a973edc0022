"""The installed plugins and their station (tests/plugins), for the console's tab test."""

from tests.plugins.distributions import installed, plugin_station  # noqa: F401
