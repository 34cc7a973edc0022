"""Our own SVG flags: designs for teams without a national flag, and the placeholder.

Drawn here rather than vendored because they carry the team code as text, and
because official emblems (Olympic rings, the Chinese Taipei Olympic flag) are
protected marks we do not ship; an operator can drop the official artwork into the
custom-flags folder. All share the 4:3 view box of the vendored set.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from restrike.flags._table import Design

__all__ = ["design_svg", "placeholder_svg"]

_FONT = "system-ui, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def _open(label: str) -> str:
    safe = escape(label, {'"': "&quot;"})
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 480" '
        f'width="640" height="480" role="img" aria-label="{safe}"><title>{safe}</title>'
    )


def _text(code: str, *, y: int = 240, size: int | None = None, fill: str = "#fff") -> str:
    if size is None:
        size = 170 if len(code) <= 3 else 128
    return (
        f'<text x="320" y="{y}" text-anchor="middle" dominant-baseline="central" '
        f'font-family="{_FONT}" font-weight="700" font-size="{size}" '
        f'letter-spacing="6" fill="{fill}">{escape(code)}</text>'
    )


def _neutral(code: str) -> str:
    # Two greys and no national colour: reads as "not a country" at any size.
    return (
        '<rect width="640" height="480" fill="#e5e7eb"/>'
        '<rect y="130" width="640" height="220" fill="#6b7280"/>' + _text(code)
    )


def _refugee(code: str) -> str:
    # A bold orange band edged in black on white, the colours of a life vest.
    return (
        '<rect width="640" height="480" fill="#fff"/>'
        '<rect y="118" width="640" height="244" fill="#111827"/>'
        '<rect y="130" width="640" height="220" fill="#ea580c"/>' + _text(code)
    )


def _independent(code: str) -> str:
    return (
        '<rect width="640" height="480" fill="#fff"/>'
        '<rect x="20" y="20" width="600" height="440" fill="none" '
        'stroke="#1d4ed8" stroke-width="28"/>' + _text(code, fill="#1d4ed8")
    )


def _taipei(code: str) -> str:
    # A five-petal blossom of our own drawing on white; not the official flag.
    petals = "".join(
        f'<ellipse cx="320" cy="120" rx="44" ry="68" fill="#dc2626" '
        f'transform="rotate({72 * i} 320 190)"/>'
        for i in range(5)
    )
    return (
        '<rect width="640" height="480" fill="#fff"/>'
        + petals
        + '<circle cx="320" cy="190" r="40" fill="#fff"/>'
        '<circle cx="320" cy="190" r="28" fill="#1e3a8a"/>'
        + _text(code, y=390, size=96, fill="#1e3a8a")
    )


_DRAW = {
    Design.NEUTRAL: _neutral,
    Design.REFUGEE: _refugee,
    Design.INDEPENDENT: _independent,
    Design.TAIPEI: _taipei,
}


def design_svg(design: Design, code: str, name: str) -> bytes:
    """The SVG for a team drawn with one of our designs."""
    return (_open(name) + _DRAW[design](code) + "</svg>").encode("utf-8")


def placeholder_svg(code: str | None) -> bytes:
    """Grey card with the code (or ``?``) for a code we have no flag for."""
    shown = code or "?"
    body = (
        '<rect width="640" height="480" fill="#4b5563"/>'
        '<rect x="24" y="24" width="592" height="432" fill="none" stroke="#9ca3af" '
        'stroke-width="8" stroke-dasharray="28 18"/>' + _text(shown, fill="#f9fafb")
    )
    return (_open(f"{shown} (no flag)") + body + "</svg>").encode("utf-8")
