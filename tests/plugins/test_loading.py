"""Discovery and loading of plugins from distributions on sys.path (real metadata)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from restrike.config import load_settings
from restrike.errors import PluginError
from restrike.plugins import (
    FailedPlugin,
    PluginComponent,
    PluginHost,
    PluginSpec,
    build_component,
    discover,
    load_plugin,
    load_plugins,
)
from tests.plugins.distributions import SitePackages

#: A complete small plugin: settings, a CLI, a console panel, a component.
GOOD = '''
from dataclasses import dataclass
from pathlib import Path

import typer

from restrike.config import setting_field
from restrike.plugins import ConsolePanel


@dataclass(frozen=True, slots=True)
class Settings:
    count: int = setting_field(3, "How many.", kind="int", min=1, max=10)


class Good:
    name = "good"
    settings = Settings
    cli = typer.Typer()
    console = ConsolePanel("Good", Path(__file__).parent / "good_panel")

    def __init__(self):
        self.ctx = None

    async def start(self, ctx):
        self.ctx = ctx

    async def stop(self, stage):
        pass

    def health(self):
        return {"ok": True, "state": "running"}
'''


def _good(site: SitePackages, name: str = "good") -> None:
    site.add(f"acme-{name}", {name: "acme_good:Good"},
             {"acme_good.py": GOOD, "good_panel/index.html": "<p>good</p>"})


def _spec(site: SitePackages, name: str) -> PluginSpec:
    return next(s for s in discover() if s.name == name)


def test_discovery_reads_metadata_only(site: SitePackages) -> None:
    site.add("acme-lazy", {"lazy": "acme_lazy:Plugin"},
             {"acme_lazy.py": "raise RuntimeError('imported')\n"}, version="2.5")
    spec = _spec(site, "lazy")
    assert (spec.value, spec.distribution, spec.version) == ("acme_lazy:Plugin", "acme-lazy",
                                                            "2.5")
    assert spec.problem is None and not spec.builtin
    assert "acme_lazy" not in sys.modules


def test_builtin_means_declared_by_restrike() -> None:
    assert PluginSpec("analytics", "restrike.analytics:Plugin", "restrike", "0.1").builtin
    assert not PluginSpec("pace", "restrike_pace:Pace", "restrike-pace", "1.0").builtin


def test_names_that_cannot_be_plugins(site: SitePackages) -> None:
    _good(site, "twice")
    site.add("other-twice", {"twice": "acme_good:Good"})
    site.add("acme-bad", {"Bad-Name": "acme_good:Good", "udp": "acme_good:Good",
                          "run": "acme_good:Good"})
    problems = {(s.name, s.distribution): s.problem for s in discover()}
    assert "lower-case" in str(problems["Bad-Name", "acme-bad"])
    assert "the station's own" in str(problems["udp", "acme-bad"])
    assert "the station's own" in str(problems["run", "acme-bad"])
    assert problems["twice", "acme-twice"] == "the name is declared by acme-twice and other-twice"
    loaded = load_plugins(load_settings(None, env={}))
    names = [c.name for c in loaded.components()]
    assert names.count("twice") == 1 and "udp" not in names and "Bad-Name" not in names
    twice = next(c for c in loaded.components() if c.name == "twice")
    assert isinstance(twice, FailedPlugin) and not twice.health()["ok"]


@pytest.mark.parametrize(("source", "message"), [
    ("raise RuntimeError('no database driver')\n",
     r"cannot be imported: RuntimeError: no database driver"),
    ("import sys\nsys.exit(3)\n", r"cannot be imported: SystemExit: 3"),
    ("Plugin = 42\n", r"is neither a class nor a factory"),
    ("class Plugin:\n    settings = dict\n", r"settings: \[p\]: the settings must be a frozen"),
    ("import dataclasses\n@dataclasses.dataclass(frozen=True)\nclass S:\n    n: int = 1\n"
     "class Plugin:\n    settings = S\n", r"declare n with restrike.config.setting_field"),
    ("class Plugin:\n    cli = 'restrike p'\n", r"cli must be a typer.Typer"),
    ("class Plugin:\n    console = 'panel.html'\n", r"console must be a restrike.plugins"),
    ("from restrike.plugins import ConsolePanel\nclass Plugin:\n"
     "    console = ConsolePanel('P', '/nonexistent')\n", r"has no index.html"),
])
def test_a_plugin_that_cannot_load(site: SitePackages, source: str, message: str) -> None:
    site.add("acme-p", {"p": "acme_p:Plugin"}, {"acme_p.py": source})
    with pytest.raises(PluginError, match=message) as caught:
        load_plugin(_spec(site, "p"))
    assert str(caught.value).startswith("plugin p")


@pytest.mark.parametrize(("source", "message"), [
    ("def Plugin():\n    raise ValueError('no licence')\n",
     r"building its component failed: ValueError: no licence"),
    ("class Plugin:\n    def start(self, ctx): pass\n",
     r"has no async start\(\) and no async stop\(\) and no health\(\) method"),
    ("class Plugin:\n    @property\n    def start(self):\n        raise KeyError('x')\n",
     r"building its component failed: KeyError: 'x'"),
    ("class Plugin:\n    async def start(self, ctx): pass\n    async def stop(self, s): pass\n",
     r"no health\(\)"),
])
def test_a_plugin_that_cannot_be_built(site: SitePackages, source: str, message: str) -> None:
    site.add("acme-p", {"p": "acme_p:Plugin"}, {"acme_p.py": source})
    with pytest.raises(PluginError, match=message):
        build_component(load_plugin(_spec(site, "p")))


def test_a_good_plugin_loads_with_what_it_declares(site: SitePackages) -> None:
    _good(site)
    plugin = load_plugin(_spec(site, "good"))
    assert plugin.settings is not None and plugin.settings.__name__ == "Settings"
    assert plugin.cli is not None and plugin.console is not None
    assert plugin.console.title == "Good"
    assert type(build_component(plugin)) is plugin.factory


def test_load_plugins_isolates_failures_and_types_sections(
        site: SitePackages, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _good(site)
    site.add("acme-fail", {"fail": "acme_fail:Plugin", "off": "acme_fail:Plugin"},
             {"acme_fail.py": "raise ImportError('needs acme-sdk')\n"})
    site.add("acme-wrong", {"wrong": "acme_good:Good", "bare": "acme_bare:Bare"},
             {"acme_bare.py": "class Bare:\n    async def start(self, ctx): pass\n"
                              "    async def stop(self, s): pass\n"
                              "    def health(self): return {'ok': True}\n"})
    config = tmp_path / "station.toml"
    config.write_text('[plugins]\ndisabled = ["off"]\n[off]\nanything = "stays valid"\n'
                      "[good]\ncount = 5\n[wrong]\ncount = 99\n[bare]\nx = 1\n")
    settings = load_settings(config, env={"RESTRIKE_GOOD_COUNT": "7"})
    with caplog.at_level(logging.INFO, logger="restrike.plugins"):
        loaded = load_plugins(settings)
    states = {e.spec.name: (e.state, e.error or "") for e in loaded.entries}
    assert states["good"] == ("starting", "")
    assert states["off"] == ("disabled", "")
    assert states["fail"][0] == "failed" and "ImportError: needs acme-sdk" in states["fail"][1]
    assert states["wrong"][0] == "failed"
    assert "wrong.count (config file" in states["wrong"][1] and "not 99" in states["wrong"][1]
    assert states["bare"][0] == "failed" and "unknown setting bare.x" in states["bare"][1]
    assert loaded.settings.section("good").count == 7  # environment over file
    components = loaded.components()
    assert isinstance(components[0], PluginHost)
    builtin = {e.spec.name for e in loaded.entries if e.spec.builtin}
    assert {c.name for c in components[1:]} - builtin == {"good", "fail", "wrong", "bare"}
    assert isinstance(next(c for c in components if c.name == "good"), PluginComponent)
    assert "raise ImportError('needs acme-sdk')" in caplog.text  # the plugin's traceback
    assert "plugin off is disabled" in caplog.text


def test_a_plugin_whose_settings_check_raises_fails_alone(site: SitePackages) -> None:
    site.add("acme-odd", {"odd": "acme_odd:Odd"}, {"acme_odd.py": (
        "from dataclasses import dataclass\nfrom restrike.config import setting_field\n"
        "@dataclass(frozen=True)\nclass S:\n"
        "    n: int = setting_field(1, 'n', kind='int')\n"
        "    def __post_init__(self):\n        raise RuntimeError('checked by the plugin')\n"
        "class Odd:\n    settings = S\n")})
    loaded = load_plugins(load_settings(None, env={}))
    (entry,) = [e for e in loaded.entries if e.spec.name == "odd"]
    assert entry.state == "failed"
    assert entry.error == "plugin odd: RuntimeError: checked by the plugin"


def test_disabled_names_that_are_not_installed_are_a_warning(
        site: SitePackages, caplog: pytest.LogCaptureFixture) -> None:
    settings = load_settings(None, env={"RESTRIKE_PLUGINS_DISABLED": "analytix"})
    with caplog.at_level(logging.WARNING, logger="restrike.plugins"):
        load_plugins(settings)
    assert "plugins.disabled names analytix, which is not installed" in caplog.text
