"""The licence server process and the station's CLI over real HTTP: activation, seats,
reset, revocation, bad input (one line, exit 2), the audit and the rate limit."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from restrike.errors import LicenseError
from restrike.license.fingerprint import Fingerprint, collect
from restrike.license.service import LicenseService
from restrike.license_server.app import create_app
from restrike.license_server.db import LicenseDB
from tests.license.conftest import Server, needs_faketime, run_cli
from tests.station.fixtures import free_port


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for word in words:
        assert word in lines[0]


def service(tmp_path: Path, name: str, machine: str | None = None) -> LicenseService:
    """The station's licence service in-process (real HTTP to the server process)."""
    return LicenseService(tmp_path / name, trial_folder=tmp_path / f"{name}-xdg",
                          machine=Fingerprint(machine) if machine else None)


def test_activate_status_seats_reset_and_revoke(server: Server, tmp_path: Path) -> None:
    key = server.new_key("--seats", "1", "--days", "365", "--note", "court 1")
    data, xdg = tmp_path / "data", tmp_path / "xdg"
    done = run_cli("license", "activate", key.lower(), "--server", server.url,
                   "--data-dir", str(data), "--json", xdg=xdg)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["state"] == "active" and body["days_left"] == 365
    assert body["server"] == server.url and body["fingerprint"] == collect().digest
    assert key not in (data / "license" / "license.lic").read_bytes().decode("latin-1")
    here = LicenseService(data, trial_folder=xdg / "restrike" / "license")
    assert here.snapshot().as_json() == {**body, "last_validated": body["last_validated"]}
    # One seat: another machine is refused, with what to do.
    other = service(tmp_path, "other", machine="another-machine-id")
    with pytest.raises(LicenseError, match=r"seat.*reset the key") as err:
        other.activate(key, server.url)
    assert err.value.kind == "no_seat"
    # The organiser frees the seats: the first machine is refused at its next validation.
    assert "freed 1 seat" in server.admin("keys", "reset", key).stdout
    snapshot, failure = here.validate()
    assert failure is not None and failure.kind == "not_activated"
    assert snapshot.status.state == "locked" and "activate it again" in snapshot.status.reason
    assert other.activate(key, server.url).status.state == "active"
    # Revoked: the next validation turns the machine `revoked`.
    assert server.admin("keys", "revoke", key).returncode == 0
    snapshot, failure = other.validate()
    assert snapshot.status.state == "revoked" and failure is not None
    listed = json.loads(server.admin("keys", "list", "--json").stdout)
    mine = next(k for k in listed if k["note"] == "court 1")
    assert mine["revoked_at"] is not None and mine["used"] == 1 and mine["seats"] == 1
    audit = server.admin("audit", "--limit", "20").stdout
    for action in ("activate", "validate", "reset", "revoke", "create"):
        assert action in audit
    assert "no_seat" in audit and "not_activated" in audit and "revoked" in audit


def test_bad_input_is_one_line_and_exit_2(server: Server, tmp_path: Path) -> None:
    data, xdg = tmp_path / "data", tmp_path / "xdg"
    key = server.quick_key()
    one_line_error(run_cli("license", "activate", "RSTK-AAAAA-AAAAA-AAAAA-AAAAA", "--server",
                           server.url, "--data-dir", str(data), xdg=xdg),
                   "does not know that key")
    one_line_error(run_cli("license", "activate", key, "--server",
                           f"http://127.0.0.1:{free_port()}", "--data-dir", str(data), xdg=xdg),
                   "cannot reach the licence server", "try again")
    station = LicenseService(data, trial_folder=xdg / "restrike" / "license")
    for bad_key, bad_url, words in [("hello", server.url, "not a licence key"),
                                    (key, "ftp://x", "not a licence server URL")]:
        with pytest.raises(LicenseError, match=words):
            station.activate(bad_key, bad_url)
    with pytest.raises(LicenseError, match="no licence is activated"):
        station.validate()
    assert not (data / "license" / "license.lic").exists()
    # Copied to another machine, or damaged: locked, and the CLI says so in one line.
    station.activate(key, server.url)
    copied = LicenseService(data, trial_folder=tmp_path / "x2", machine=Fingerprint("m2"))
    moved = copied.snapshot()
    assert moved.status.state == "locked" and "copied from another machine" in str(moved.problem)
    lic = data / "license" / "license.lic"
    raw = bytearray(lic.read_bytes())
    raw[40] ^= 0xFF
    lic.write_bytes(bytes(raw))
    done = run_cli("license", "status", "--data-dir", str(data), xdg=xdg)
    one_line_error(done, "cannot be opened on this machine", "restrike license activate")
    assert "licence: locked" in done.stdout
    failure = station.deactivate()
    assert failure is not None and "reset the key" in str(failure) and not lic.exists()


def test_deactivate_frees_the_seat_and_the_trial_stays_ended(server: Server,
                                                             tmp_path: Path) -> None:
    key = server.quick_key(seats=1)
    station = service(tmp_path, "data")
    assert station.snapshot(start_trial=True).status.state == "trial"
    for _ in range(2):  # the seat is free again after the deactivation
        assert station.activate(key, server.url).status.state == "active"
        assert station.deactivate() is None
    after = station.snapshot().status
    assert after.state == "locked" and "trial ended when a licence was activated" in after.reason


def test_server_refusals_rate_limit_and_key_pair(tmp_path: Path) -> None:
    """In-process app (the same code the process serves): shapes and the rate limit."""
    db = LicenseDB(tmp_path)
    key = db.create_key(seats=1, days=None, now=0)
    client = TestClient(create_app(db, Ed25519PrivateKey.generate(), rate_per_minute=5))
    fp = "c" * 64
    assert client.post("/api/validate", json={"key": key, "fingerprint": fp}).json() == {
        "error": "not_activated", "detail": "this machine is not activated for that key "
        "(its seat was freed): activate it again"}
    bad = client.post("/api/activate", json={"key": key, "fingerprint": "XYZ"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid"
    assert client.post("/api/activate", json={"key": "RSTK-22222-33333-44444-55555",
                                              "fingerprint": fp}).status_code == 404
    assert client.get("/api/license-info").json()["algorithm"] == "EdDSA"
    answers = [client.get("/api/license-info") for _ in range(3)]
    limited = answers[-1]
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    db.close()


def test_the_key_pair_is_created_once_and_kept(server: Server) -> None:
    pem = (server.data_dir / "public-key.pem").read_text()
    assert httpx.get(server.url + "/api/license-info").json()["public_key"] == pem
    assert (server.data_dir / "signing-key.pem").stat().st_mode & 0o077 == 0


@needs_faketime
@pytest.mark.parametrize(("shift", "state", "days_left"), [("+6d", "warning", 1),
                                                         ("+8d", "locked", 0)])
def test_cli_under_faketime_with_the_server_stopped(offline_licence: tuple[Path, Path],
                                                    tmp_path: Path, shift: str, state: str,
                                                    days_left: int) -> None:
    data = tmp_path / "data"
    shutil.copytree(offline_licence[0], data)
    xdg = offline_licence[1]
    done = run_cli("license", "validate", "--json", "--data-dir", str(data), xdg=xdg,
                   shift=shift)
    assert done.returncode == 2 and "cannot reach the licence server" in done.stderr
    body = json.loads(done.stdout)
    assert (body["state"], body["days_left"]) == (state, days_left)
    assert "cannot reach" in str(body["last_error"])
    assert "not validated for" in str(body["reason"])
