"""The plugin architecture, checked on the sources (every import, inside functions too).

* A plugin needs nothing beyond the documented surface: the example and the test
  plugins import only `restrike.bus`, `config`, `kernel`, `plugins` and `protocol`.
* The plugin host knows no part of the station (it serves panels with the console's
  file helper, nothing else), and the kernel knows no plugin.
* Built-in optional parts are reached only through their entry points: no part of the
  station imports one (the composition root and the CLI included). A plugin may use
  another's library (the hub server folds matches with `restrike.analytics`' pure core),
  and so may the licence server, a program of its own that shares the token format.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from restrike.plugins import discover
from tests.plugins.distributions import HERE

SRC = HERE.parents[1] / "src" / "restrike"
SURFACE = {"restrike.bus", "restrike.config", "restrike.kernel", "restrike.plugins",
           "restrike.protocol"}
PARTS = {"api", "assembly", "cli", "ingest", "store", "obs", "review", "playback",
         "simulator", "bench"}


def _module_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, package: str) -> Iterator[str]:
    """Every module ``path`` imports (relative imports resolved against ``package``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def _restrike_imports(root: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        package = _module_of(path, root.parent).rpartition(".")[0]
        names = {n for n in imports(path, package) if n.startswith("restrike.")}
        found[str(path)] = names
    return found


def _within(name: str, packages: set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def test_plugins_use_only_the_documented_surface() -> None:
    sources = [HERE / "example" / "src", HERE / "broken" / "src"]
    outside = {f"{path}: {name}" for root in sources
               for path, names in _restrike_imports(root).items()
               for name in names if not _within(name, SURFACE)}
    assert not outside, f"plugins import beyond the documented surface: {sorted(outside)}"
    example = _restrike_imports(HERE / "example" / "src")
    assert set().union(*example.values()) >= {"restrike.bus.MessagesParsed",
                                             "restrike.kernel.Context",
                                             "restrike.config.setting_field"}


def test_the_plugin_host_knows_no_part() -> None:
    parts = {f"restrike.{p}" for p in PARTS}
    found = {f"{path}: {name}" for path, names in _restrike_imports(SRC / "plugins").items()
             for name in names if _within(name, parts)}
    assert not found, f"restrike.plugins imports parts: {sorted(found)}"
    console = {name for names in _restrike_imports(SRC / "plugins").values() for name in names
               if _within(name, {"restrike.console"})}
    assert console <= {"restrike.console.router", "restrike.console.router.static_file"}


def test_the_kernel_knows_no_plugin() -> None:
    found = {f"{path}: {name}" for path, names in _restrike_imports(SRC / "kernel").items()
             for name in names if _within(name, {"restrike.plugins"})}
    assert not found


def test_builtin_parts_are_reached_through_their_entry_points() -> None:
    builtin = {spec.value.partition(":")[0] for spec in discover() if spec.builtin}
    packages = {".".join(module.split(".")[:2]) for module in builtin}
    assert "restrike.plugins" not in packages and "restrike.kernel" not in packages
    users = [SRC / package.split(".")[1] for package in packages] + [SRC / "license_server"]
    found = {f"{path}: {name}" for path, names in _restrike_imports(SRC).items()
             for name in names if _within(name, packages)
             and not any(Path(path).is_relative_to(user) for user in users)}
    assert not found, f"built-in plugins imported directly: {sorted(found)}"


def test_the_import_scanner_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "restrike" / "x" / "m.py"
    module.parent.mkdir(parents=True)
    module.write_text("def f():\n    from restrike.api import app\n"
                      "from ..store import Store\nfrom . import y\n", encoding="utf-8")
    assert set(imports(module, "restrike.x")) >= {"restrike.api.app", "restrike.store.Store",
                                                  "restrike.x.y"}
