"""Plugin distributions for the tests, found by the real `importlib.metadata`.

* ``SitePackages``: a folder put on ``sys.path`` where a test writes distributions the
  way an installer leaves them (``<name>-<version>.dist-info`` with ``METADATA`` and
  ``entry_points.txt``, the modules beside): discovery and loading in-process.
* ``install(target, *projects)``: the distributions of ``tests/plugins/<project>``
  built and installed by pip into ``target`` (``--no-deps --target``), the way a third
  party installs a plugin; the station subprocess gets ``target`` on its PYTHONPATH.
* fixtures ``installed`` (the example and the broken plugins, installed once per
  session) and ``plugin_station`` (a real station with them, ``[pace]`` in its
  settings file); ``restrike(installed, *args)`` runs the command with them.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from restrike.config import PLUGIN_GROUP
from tests.station.fixtures import StationProcess

__all__ = ["HERE", "SitePackages", "install", "installed", "plugin_station", "restrike"]

HERE = Path(__file__).resolve().parent


class SitePackages:
    """A folder on ``sys.path`` holding test distributions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def add(self, name: str, entry_points: Mapping[str, str],
            modules: Mapping[str, str] | None = None, *, version: str = "1.0") -> None:
        """A distribution ``name`` declaring ``entry_points`` ({plugin: "module:attr"})
        in the plugin group, with ``modules`` ({relative path: source})."""
        info = self.root / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
        lines = "".join(f"{plugin} = {value}\n" for plugin, value in entry_points.items())
        (info / "entry_points.txt").write_text(f"[{PLUGIN_GROUP}]\n{lines}", encoding="utf-8")
        for rel, source in (modules or {}).items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source, encoding="utf-8")

    def forget_modules(self) -> None:
        """Drop the modules imported from here, so the next test imports its own."""
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if file and Path(file).resolve().is_relative_to(self.root.resolve()):
                del sys.modules[name]


def install(target: Path, *projects: str) -> None:
    """pip-install ``tests/plugins/<project>`` (copied first: the build writes into its
    source folder) into ``target``; offline, without build isolation."""
    sources = target.parent / f"{target.name}-sources"
    paths = []
    for project in projects:
        copy = sources / project
        shutil.copytree(HERE / project, copy,
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        paths.append(str(copy))
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                           "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
                           "--target", str(target), *paths],
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode:
        raise AssertionError(f"pip install failed:\n{done.stdout}{done.stderr}")


@functools.cache
def _installed_under(base: Path) -> Path:
    """Once per test session (``base``: its temporary folder), whichever conftest asks."""
    target = base / "plugins-site"
    install(target, "example", "broken")
    return target


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example and the broken plugins, installed by pip into a temporary folder."""
    return _installed_under(tmp_path_factory.getbasetemp())


def restrike(installed: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The ``restrike`` command with the plugins of ``installed`` on its path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTRIKE_")}
    return subprocess.run([sys.executable, "-m", "restrike", *args],
                          env={**env, "PYTHONPATH": str(installed)}, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def plugin_station(installed: Path, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[StationProcess]:
    """A real station with every plugin installed; ``[pace]`` in its settings file."""
    root = tmp_path_factory.mktemp("station")
    config = root / "restrike.toml"
    config.write_text("[pace]\nwindow_seconds = 30\n", encoding="utf-8")
    proc = StationProcess(root / "data", extra=["--config", str(config)])
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PYTHONPATH", str(installed))
        proc.start(ready=(200, 503))  # 503: the broken plugins are not ok
    try:
        yield proc
    finally:
        proc.stop()
