"""`restrike decode`: a capture in, one JSON line per message (or the final state) out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import BinaryIO

import typer

from restrike.cli import app, bench_app
from restrike.errors import ProtocolError
from restrike.protocol import (
    MatchState,
    load_schema,
    message_to_dict,
    parse,
    reduce,
    state_to_json,
)
from restrike.protocol.capture import CaptureError, read_capture


@app.command()
def decode(
    file: str = typer.Argument("-", help="Capture file (JSON Lines or plain text); - for stdin."),
    state: bool = typer.Option(False, "--state", help="Print only the final match state."),
    protocol: Path | None = typer.Option(None, "--protocol", help="Edited protocol file."),
) -> None:
    """Decode a capture: one JSON line per parsed message, or the final state with --state."""
    try:
        schema = load_schema(protocol)
    except ProtocolError as err:
        print(f"error: {err}", file=sys.stderr)
        raise typer.Exit(2) from err
    stream: BinaryIO
    if file == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = Path(file).open("rb")  # noqa: SIM115 - closed below
        except OSError as err:
            print(f"error: cannot read {file}: {err.strerror}", file=sys.stderr)
            raise typer.Exit(2) from err
    current = MatchState()
    bad_lines = 0
    out = sys.stdout
    try:
        for entry in read_capture(stream):
            if isinstance(entry, CaptureError):
                bad_lines += 1
                print(f"warning: line {entry.line}: {entry.reason}", file=sys.stderr)
                continue
            t = entry.t if entry.t is not None else float(entry.line)
            for msg in parse(entry.data, schema):
                current = reduce(current, msg, t)
                if not state:
                    row = message_to_dict(msg)
                    out.write(json.dumps({"t": entry.t, "line": entry.line, **row},
                                         ensure_ascii=False) + "\n")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if state:
        out.write(json.dumps(state_to_json(current), ensure_ascii=False) + "\n")
    if bad_lines:
        raise typer.Exit(1)


@bench_app.command("parse")
def bench_parse(
    seconds: float = typer.Option(2.0, help="Seconds per measurement."),
) -> None:
    """Messages per second for parse alone and parse + reduce (target 150,000/s)."""
    from restrike.bench.parse import report

    if not report(seconds):
        raise typer.Exit(1)
