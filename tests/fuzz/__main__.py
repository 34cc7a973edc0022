"""The long fuzz run: ``python -m tests.fuzz [--runs 1000000] [libFuzzer options]``.

Coverage-guided (atheris, libFuzzer) over the same target as the CI test
(`harness.check_case`: parse + reduce + quota + every encoder + the store's batch code
on SQLite). One input is a sequence of datagrams separated by ``\\xfe\\xfe``; an input
starting with ``\\xff N`` is a storm: the rest sent ``N % 96 + 1`` times (the history's
cap is 64). The corpus
starts from the golden match of tests/protocol/data and is kept in ``--corpus`` (default:
``restrike-fuzz-corpus`` in the system's temporary folder), so a later run goes on from it. A
failing input is written to ``--artifacts`` (default: the current folder) and the run
exits non-zero.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import atheris

SEPARATOR = b"\xfe\xfe"
STORM = 0xFF
DATA = Path(__file__).parents[1] / "protocol" / "data" / "match_documented.txt"

with atheris.instrument_imports(include=["restrike.protocol", "restrike.store"]):
    from tests.fuzz.harness import check_case


def datagrams(data: bytes) -> list[bytes]:
    """An input's datagrams (see the module's docstring)."""
    if len(data) >= 2 and data[0] == STORM:
        return [data[2:]] * (data[1] % 96 + 1)
    return data.split(SEPARATOR)[:64]


def one_input(data: bytes) -> None:
    check_case(datagrams(data))


def seed_corpus(folder: Path) -> None:
    """The golden match, a few lines at a time, plus a challenge storm."""
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.iterdir()):
        return
    lines = [line.encode() for line in DATA.read_text("utf-8").splitlines() if line]
    for start in range(0, len(lines), 4):
        (folder / f"match-{start:03d}").write_bytes(SEPARATOR.join(lines[start:start + 4]))
    (folder / "storm").write_bytes(bytes([STORM, 99]) + b"ch1\r\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--artifacts", type=Path, default=Path.cwd())
    parser.add_argument("--corpus", type=Path,
                        default=Path(tempfile.gettempdir()) / "restrike-fuzz-corpus")
    args, libfuzzer = parser.parse_known_args()
    seed_corpus(args.corpus)
    atheris.Setup([sys.argv[0], f"-runs={args.runs}", "-max_len=1024",
                   f"-artifact_prefix={args.artifacts}/", "-print_final_stats=1",
                   *libfuzzer, str(args.corpus)], one_input)
    atheris.Fuzz()  # libFuzzer ends the process


if __name__ == "__main__":
    main()
