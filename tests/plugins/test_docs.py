"""docs/plugins.md shows the example that the tests install; built-in plugins' settings
are in docs/settings.md."""

from __future__ import annotations

import pytest

from restrike.config import section_rows, settings_markdown
from restrike.plugins import discover, load_plugin
from tests.plugins.distributions import HERE

DOCS = HERE.parents[1] / "docs"
EXAMPLE = HERE / "example"


def test_the_docs_example_is_the_tested_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    files = [EXAMPLE / "pyproject.toml", *sorted((EXAMPLE / "src").rglob("*.*"))]
    shown = [f for f in files if "__pycache__" not in f.parts and "egg-info" not in str(f)]
    assert len(shown) == 5
    for path in shown:
        assert f"`{path.relative_to(EXAMPLE)}`:" in text, path
        assert path.read_text(encoding="utf-8") in text, f"docs/plugins.md differs from {path}"
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    from restrike_pace import PaceSettings  # the example's settings: their table is shown

    assert settings_markdown(section_rows("pace", PaceSettings)) in text


def test_builtin_plugins_load_and_their_settings_are_documented() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    for spec in discover():
        if not spec.builtin:
            continue
        plugin = load_plugin(spec)  # a built-in that cannot load fails here
        if plugin.settings is not None:
            table = settings_markdown(section_rows(spec.name, plugin.settings))
            assert table in text, f"add the [{spec.name}] table to docs/settings.md"


def test_the_command_is_in_the_readme() -> None:
    readme = (HERE.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "`restrike plugins list" in readme and "[docs/plugins.md](docs/plugins.md)" in readme
