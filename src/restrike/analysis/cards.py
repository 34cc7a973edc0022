"""A match's title card in a reel: the two athletes under their flags, the score between.

The card is drawn by ffmpeg on a plain background of the reel's size: "Match N" at the
top; each athlete's flag on their side (blue on the left, red on the right; the
shipped IOC flags of `restrike.flags`, an operator's own in ``<data_dir>/flags``),
their name and country code below it; the final score and the decision in the middle.
A country without a flag (no code, or one the flag table does not know) shows its
code in large letters where the flag would be. `card_attempts` gives the ffmpeg
arguments best first: with flags and text, without flags (an ffmpeg without an SVG
decoder), with flags only, plain (no font for ``drawtext``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from restrike.analysis.reels import Matchup
from restrike.flags import FlagRegistry, FlagSource

__all__ = ["BACKGROUND", "CardLayout", "card_attempts", "flag_files"]

BACKGROUND = "0x14213d"  # dark navy: the flags' white and the text stand out


@dataclass(frozen=True, slots=True)
class CardLayout:
    """Where things are on a ``width`` x ``height`` card (pixels)."""

    width: int
    height: int

    @property
    def flag_height(self) -> int:
        return max(2, self.height // 4 // 2 * 2)  # even: yuv420p

    @property
    def flag_width(self) -> int:
        return max(2, self.flag_height * 4 // 3 // 2 * 2)  # the flags' 4:3

    @property
    def flag_top(self) -> int:
        return self.height * 3 // 10

    def flag_centre_x(self, side: str) -> int:
        return self.width // 4 if side == "blue" else self.width * 3 // 4

    @property
    def font(self) -> int:
        return max(10, self.height // 18)

    @property
    def score_font(self) -> int:
        """Large, but "12 - 10" fits between the flags."""
        return max(10, min(self.font * 3, (self.width // 2 - self.flag_width) // 4))


def flag_files(match: Matchup, work: Path, registry: FlagRegistry) -> dict[str, Path]:
    """The SVG of each side's flag written into ``work`` (a side without one is absent)."""
    out: dict[str, Path] = {}
    for side, code in (("blue", match.blue_country), ("red", match.red_country)):
        asset = registry.resolve(code) if code else None
        if asset is None or asset.source is FlagSource.PLACEHOLDER:
            continue
        path = work / f"flag-{side}.svg"
        path.write_bytes(asset.svg)
        out[side] = path
    return out


def _texts(match: Matchup, work: Path, stem: str, flags: dict[str, Path],
           layout: CardLayout) -> list[str]:
    """``drawtext`` filters; each text goes through a file (no escaping of names)."""
    score = f"{match.score[0]} - {match.score[1]}" if match.score else "vs"
    below = layout.flag_top + layout.flag_height + layout.font
    items = [("match", f"Match {match.number}", "(w-text_w)/2", f"{layout.font * 2}",
              layout.font * 3 // 2),
             ("score", score, "(w-text_w)/2", f"{layout.flag_top}", layout.score_font)]
    if match.decision:
        items.append(("decision", match.decision, "(w-text_w)/2",
                      f"{layout.flag_top + layout.font * 4}", layout.font))
    for side, name, code in (("blue", match.blue, match.blue_country),
                             ("red", match.red, match.red_country)):
        x = f"{layout.flag_centre_x(side)}-text_w/2"
        label = f"{name} ({code})" if code else name
        items.append((side, label, x, f"{below}", layout.font))
        if side not in flags and code:  # the code stands where the flag would be
            items.append((f"{side}-code", code, x, f"{layout.flag_top}",
                          layout.flag_height * 2 // 3))
    filters = []
    for key, text, x, y, size in items:
        name = f"{stem}-{key}.txt"
        (work / name).write_text(text, encoding="utf-8")
        filters.append(f"drawtext=textfile={name}:fontcolor=white:fontsize={size}:"
                       f"x={x}:y={y}")
    return filters


def _graph(base: list[str], flags: dict[str, Path], first_input: int,
           layout: CardLayout) -> tuple[str, list[str]]:
    """The filter graph (output ``[v]``) and the flag inputs it reads."""
    chain = ",".join([*base, "setsar=1"])
    parts = [f"[0:v]{chain}[bg]"]
    inputs: list[str] = []
    last = "bg"
    for index, (side, path) in enumerate(sorted(flags.items())):
        stream = first_input + index
        inputs += ["-i", path.name]
        x = layout.flag_centre_x(side) - layout.flag_width // 2
        parts.append(f"[{stream}:v]scale={layout.flag_width}:{layout.flag_height}[f{index}]")
        parts.append(f"[{last}][f{index}]overlay=x={x}:y={layout.flag_top}[o{index}]")
        last = f"o{index}"
    parts.append(f"[{last}]format=yuv420p[v]")
    return ";".join(parts), inputs


def card_attempts(match: Matchup, work: Path, stem: str, layout: CardLayout,
                  flags: dict[str, Path], extra_inputs: int) -> list[list[str]]:
    """ffmpeg arguments (after the card's own inputs: the background first, then
    ``extra_inputs`` more) for the filter graph and its flag inputs, best first."""
    with_flags = _texts(match, work, f"{stem}-f", flags, layout)
    without = _texts(match, work, f"{stem}-c", {}, layout) if flags else with_flags
    attempts: list[list[str]] = []
    for base, shown in ((with_flags, flags), (without, {}), ([], flags), ([], {})):
        graph, inputs = _graph(base, shown, 1 + extra_inputs, layout)
        attempt = [*inputs, "-filter_complex", graph, "-map", "[v]"]
        if attempt not in attempts:
            attempts.append(attempt)
    return attempts
