"""``restrike bench license``: how long the licence checks take, against their targets.

* token check: verifying the Ed25519 JWT and its claims (target 1 ms);
* state read: opening the sealed licence file, verifying its token and deciding the
  state — what the station does every minute and ``GET /api/v1/license`` does
  (target 5 ms);
* validation: a full round trip to a real licence server (uvicorn on loopback, its
  own SQLite in a temporary folder), token verified and the file written back
  (target 50 ms, median).
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

__all__ = ["bench"]

bench = typer.Typer(help="Licence check latencies against their targets.",
                    add_completion=False)


def _measure(fn: Callable[[], object], rounds: int) -> tuple[float, float]:
    """Median and worst of ``rounds`` calls, in milliseconds."""
    took = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took), max(took)


def _line(what: str, median: float, worst: float, target: float) -> None:
    verdict = "OK" if median <= target else "SLOW"
    typer.echo(f"{what:<34} median {median:7.3f} ms  worst {worst:7.3f} ms  "
               f"(target {target:g} ms) {verdict}")


@contextmanager
def _server(folder: Path) -> Iterator[tuple[str, str]]:
    """A real licence server on a loopback port; ``(url, key)`` of a fresh key."""
    import uvicorn

    from restrike.license_server.app import create_app
    from restrike.license_server.db import LicenseDB
    from restrike.license_server.keypair import load_or_create

    db = LicenseDB(folder)
    key = db.create_key(seats=1, days=None, now=time.time())
    app = create_app(db, load_or_create(folder), rate_per_minute=1_000_000)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="bench-license-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", key
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        db.close()


@bench.callback(invoke_without_command=True)
def run(rounds: int = typer.Option(200, "--rounds", min=5, max=100_000,
                                   help="Calls of each local check."),
        validations: int = typer.Option(30, "--validations", min=1, max=10_000,
                                        help="Round trips to the licence server.")) -> None:
    """Time the token check, the state read and a validation round trip."""
    from restrike.license.fingerprint import Fingerprint
    from restrike.license.service import LicenseService
    from restrike.license.tokens import load_public, verify

    machine = Fingerprint("bench-machine-id", "board", "disk", "00:11:22:33:44:55")
    with tempfile.TemporaryDirectory(prefix="restrike-bench-license-") as tmp:
        root = Path(tmp)
        service = LicenseService(root / "station", machine=machine, trial_folder=root / "trial")
        with _server(root / "server") as (url, key):
            service.activate(key, url)
            licence, _claims = service.held()
            assert licence is not None
            public = load_public(licence.public_key)
            _line("token check (EdDSA JWT)", *_measure(
                lambda: verify(licence.token, public, fingerprint=machine.digest,
                               key=licence.key), rounds), 1)
            _line("state read (file + token + rules)", *_measure(service.snapshot, rounds), 5)
            _line("validation round trip (HTTP)", *_measure(service.validate, validations),
                  50)
