"""Settings of the station, declared once (see `restrike.config.table`).

    settings = load_settings(Path("station.toml"), cli={"udp.port": 6001})
    settings.udp.port, settings.station.data_dir, settings.obs[0].url

Precedence: command line > `RESTRIKE_<SECTION>_<KEY>` environment > TOML file >
defaults. Every error is a ConfigError naming the setting and where it came from.

A plugin declares its own section with `setting_field` (docs/plugins.md): the file's
``[<plugin>]`` and ``RESTRIKE_<PLUGIN>_<KEY>`` are kept as given until the plugin
loads and ``settings.with_section(name, cls)`` checks them; ``settings.section(name)``
returns the typed object.
"""

from restrike.config.load import (
    CONFIG_ENV,
    PLUGIN_GROUP,
    Settings,
    Source,
    check_settings,
    default_data_dir,
    installed_plugins,
    load_settings,
    resolve_host,
)
from restrike.config.render import (
    MASK,
    describe,
    plain_value,
    settings_markdown,
    to_toml,
    toml_value,
)
from restrike.config.table import (
    SETTINGS,
    ConsoleSettings,
    FlagsSettings,
    HttpSettings,
    LogSettings,
    MonitorSettings,
    ObsConnectionSettings,
    PlaybackSettings,
    PluginsSettings,
    ReviewSettings,
    Setting,
    StationSettings,
    StoreSettings,
    UdpSettings,
    cli_flag,
    env_name,
    section_rows,
    setting,
    setting_field,
)
from restrike.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "MASK",
    "PLUGIN_GROUP",
    "SETTINGS",
    "ConfigError",
    "ConsoleSettings",
    "FlagsSettings",
    "HttpSettings",
    "LogSettings",
    "MonitorSettings",
    "ObsConnectionSettings",
    "PlaybackSettings",
    "PluginsSettings",
    "ReviewSettings",
    "Setting",
    "Settings",
    "Source",
    "StationSettings",
    "StoreSettings",
    "UdpSettings",
    "check_settings",
    "cli_flag",
    "default_data_dir",
    "describe",
    "env_name",
    "installed_plugins",
    "load_settings",
    "plain_value",
    "resolve_host",
    "section_rows",
    "setting",
    "setting_field",
    "settings_markdown",
    "to_toml",
    "toml_value",
]
