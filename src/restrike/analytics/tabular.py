"""Analytics bodies as text: flat rows for CSV and aligned tables for a terminal.

Used by ``restrike analytics``; pure (strings out), so the command only prints.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["PRIMARY", "flatten", "to_csv", "to_table"]

#: The table each body's CSV is made of.
PRIMARY = {"match": "athletes", "athlete": "trend", "athletes": "athletes",
           "tournament": "top_athletes", "day": "top_athletes"}


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; lists of scalars are joined with spaces,
    lists of objects left out (they are tables of their own)."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping):
            out.update(flatten(item, name + "."))
        elif isinstance(item, list):
            if all(not isinstance(x, Mapping | list) for x in item):
                out[name] = " ".join("" if x is None else str(x) for x in item)
        else:
            out[name] = item
    return out


def _rows(items: Sequence[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    rows = [flatten(item) if isinstance(item, Mapping) else {"value": item} for item in items]
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    return columns, rows


def to_csv(items: Sequence[Any]) -> str:
    columns, rows = _rows(items)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _aligned(items: Sequence[Any], columns_limit: int = 12) -> list[str]:
    columns, rows = _rows(items)
    columns = columns[:columns_limit]
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return lines


def to_table(body: Mapping[str, Any]) -> str:
    """The scalar figures as ``name: value`` lines, then each list as a table."""
    lines = [f"{name}: {_cell(value)}" for name, value in flatten(body).items()]
    for key, item in body.items():
        if isinstance(item, list) and item and isinstance(item[0], Mapping):
            lines += ["", f"{key} ({len(item)})", *_aligned(item)]
    return "\n".join(lines) + "\n"
