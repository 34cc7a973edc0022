"""One exception tree: every error class lives in restrike.errors and is in its docstring."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import restrike.errors as errors

SRC = Path(__file__).resolve().parents[1] / "src" / "restrike"


def test_every_error_is_exported_and_drawn_in_the_tree() -> None:
    classes = {name for name, obj in vars(errors).items()
               if inspect.isclass(obj) and issubclass(obj, errors.RestrikeError)}
    assert classes == set(errors.__all__)
    drawn = set(re.findall(r"(?:^|[─ ])(\w+(?:Error|Unavailable))\b", errors.__doc__ or "",
                           re.MULTILINE))
    assert classes <= drawn, f"missing from the tree in errors.py: {classes - drawn}"


def test_no_exception_class_outside_errors_py() -> None:
    found = []
    for path in SRC.rglob("*.py"):
        if path.name == "errors.py" and path.parent == SRC:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(base, ast.Name) and (base.id.endswith(("Error", "Exception"))
                                                    or base.id == "ObsUnavailable")
                    for base in node.bases):
                found.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}")
    assert not found, f"exception classes outside restrike/errors.py: {found}"
