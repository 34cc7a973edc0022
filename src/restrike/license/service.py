"""`LicenseService`: the licence of this machine, as the CLI and the station use it.

It holds no state of its own between calls: every call reads the sealed files (the
licence in ``<data dir>/license/license.lic``, the per-machine trial marker in the
user's data folder from platformdirs), so ``restrike license activate`` in a shell
and the running station agree. Blocking (files, HTTP): the station calls it in a
thread. Time comes from ``clock`` (the system clock: libfaketime moves it in tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import platformdirs

from restrike.errors import LicenseError
from restrike.license import client
from restrike.license.fingerprint import Fingerprint, fingerprint
from restrike.license.state import Licence, Status, Trial, evaluate, iso
from restrike.license.tokens import Claims, load_public, normalise_key, verify
from restrike.license.vault import open_sealed, write_sealed

__all__ = ["LICENCE_FILE", "SEEN_STEP", "LicenseService", "Snapshot", "trial_dir"]

log = logging.getLogger(__name__)

LICENCE_FILE = Path("license") / "license.lic"
TRIAL_FILE = "trial.lic"
#: The latest clock reading is written back at most this often (seconds).
SEEN_STEP = 3600.0


def trial_dir() -> Path:
    """Where the per-machine trial marker lives: the user's data folder (platformdirs)."""
    return Path(platformdirs.user_data_dir("restrike", appauthor=False)) / "license"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state and what the console shows with it (``GET /api/v1/license``)."""

    status: Status
    fingerprint: str
    server: str | None
    key: str | None  # masked: the last group only
    activated_at: float | None
    last_error: str | None
    problem: str | None = None  # the licence file or trial marker cannot be used

    def as_json(self) -> dict[str, Any]:
        return {**self.status.as_json(), "fingerprint": self.fingerprint,
                "server": self.server, "key": self.key,
                "activated_at": iso(self.activated_at), "last_error": self.last_error}


def _mask(key: str) -> str:
    return "…-" + key.rsplit("-", 1)[-1]


class LicenseService:
    """Activate, validate, deactivate and read this machine's licence."""

    def __init__(self, data_dir: Path, *, machine: Fingerprint | None = None,
                 trial_folder: Path | None = None, machine_id_file: Path | None = None,
                 clock: Callable[[], float] = time.time, timeout: float = client.TIMEOUT
                 ) -> None:
        self.machine = machine if machine is not None else fingerprint(machine_id_file)
        self.path = data_dir / LICENCE_FILE
        self.trial_path = (trial_folder or trial_dir()) / TRIAL_FILE
        self.clock = clock
        self.timeout = timeout

    # -- reading --

    def held(self) -> tuple[Licence | None, Claims | None]:
        """The licence and its verified token (None, None without one); LicenseError if
        the file cannot be used here."""
        doc = open_sealed(self.path, self.machine.secret)
        if doc is None:
            return None, None
        try:
            licence = Licence.from_document(doc)
        except (KeyError, TypeError) as err:
            raise LicenseError(f"{self.path} holds no licence of this version: activate "
                               "again", kind="corrupt_file") from err
        claims = verify(licence.token, load_public(licence.public_key),
                        fingerprint=self.machine.digest, key=licence.key)
        return licence, claims

    def _trial(self) -> Trial | None:
        doc = open_sealed(self.trial_path, self.machine.secret)
        try:
            return None if doc is None else Trial.from_document(doc)
        except (KeyError, TypeError, ValueError) as err:
            raise LicenseError(f"the trial marker {self.trial_path} is damaged: activate a "
                               "licence", kind="corrupt_file") from err

    def snapshot(self, *, start_trial: bool = False) -> Snapshot:
        """The state now. ``start_trial``: the station is running, so a machine without
        a licence starts its trial (once) and the latest clock reading is kept."""
        now = self.clock()
        licence: Licence | None = None
        problem: str | None = None
        try:
            licence, claims = self.held()
            trial = None if licence is not None else self._trial()
        except LicenseError as err:
            problem, claims, trial = str(err), None, None
        if start_trial and problem is None:
            licence, trial = self._remember(now, licence, trial)
        status = evaluate(now, licence=licence, claims=claims, trial=trial, problem=problem)
        return Snapshot(status, self.machine.digest, licence.server if licence else None,
                        _mask(licence.key) if licence else None,
                        licence.activated_at if licence else None,
                        licence.last_error if licence else None, problem)

    def status(self) -> Status:
        return self.snapshot().status

    def _remember(self, now: float, licence: Licence | None, trial: Trial | None
                  ) -> tuple[Licence | None, Trial | None]:
        """Start the trial on a first run; write the latest clock reading back now and
        then (so a clock set back later does not give days back)."""
        if licence is not None:
            if now > licence.last_seen + SEEN_STEP:
                licence = licence.seen(now)
                self._write(licence)
            return licence, trial
        if trial is None:
            trial = Trial(started=now, last_seen=now)
            log.info("licence: no licence on this machine: the trial starts now")
        elif now > trial.last_seen + SEEN_STEP:
            trial = trial.seen(now)
        else:
            return licence, trial
        write_sealed(self.trial_path, trial.as_document(), self.machine.secret)
        return licence, trial

    def _write(self, licence: Licence) -> None:
        write_sealed(self.path, licence.as_document(), self.machine.secret)

    # -- changing --

    def activate(self, key: str, server: str) -> Snapshot:
        """Activate this machine with ``key`` at ``server``; LicenseError (wrong key,
        server unreachable or refusing, a token that does not verify)."""
        key = normalise_key(key)
        server = client.check_url(server)
        public_pem = client.info(server, timeout=self.timeout)["public_key"]
        public = load_public(public_pem)
        token = client.activate(server, key, self.machine.digest, timeout=self.timeout)
        verify(token, public, fingerprint=self.machine.digest, key=key)
        now = self.clock()
        self._write(Licence(key=key, server=server, public_key=public_pem, token=token,
                            activated_at=now, last_validated=now, last_seen=now,
                            last_attempt=now))
        self._end_trial(now)
        log.info("licence activated at %s for this machine (%s)", server, self.machine.short)
        return self.snapshot()

    def _end_trial(self, now: float) -> None:
        try:
            trial = self._trial()
        except LicenseError:
            trial = None  # a damaged marker: replaced by an ended one
        ended = (trial or Trial(started=now, last_seen=now))
        if ended.ended_at is None:
            write_sealed(self.trial_path, replace(ended, ended_at=now).as_document(),
                         self.machine.secret)

    def validate(self) -> tuple[Snapshot, LicenseError | None]:
        """Ask the server now. The snapshot after it, and the error if it failed (an
        unreachable server keeps the licence and its grace; a refusal is stored)."""
        licence, _claims = self.held()
        if licence is None:
            raise LicenseError("no licence is activated on this machine: "
                               "run `restrike license activate KEY --server URL`",
                               kind="no_licence")
        now = self.clock()
        failure: LicenseError | None = None
        try:
            token = client.validate(licence.server, licence.key, self.machine.digest,
                                    timeout=self.timeout)
            verify(token, load_public(licence.public_key), fingerprint=self.machine.digest,
                   key=licence.key)
        except LicenseError as err:
            failure = err
            licence = replace(licence, last_attempt=now, last_error=str(err))
            if err.kind == "revoked":
                licence = replace(licence, revoked=True, refused=str(err))
            elif err.kind in client.REFUSALS:
                licence = replace(licence, refused=str(err))
            log.warning("licence validation failed: %s", err)
        else:
            licence = replace(licence, token=token, last_validated=now, last_attempt=now,
                              last_error=None, refused=None, revoked=False).seen(now)
            log.info("licence validated at %s", licence.server)
        self._write(licence.seen(now))
        return self.snapshot(), failure

    def deactivate(self) -> LicenseError | None:
        """Free this machine's seat and remove the licence; the server's error if it
        could not be told (the file is removed all the same; the trial stays ended). A
        licence file that cannot be read is removed; its seat stays taken on the server."""
        try:
            licence, _claims = self.held()
        except LicenseError as err:
            self.remove()
            return LicenseError(f"removed a licence file that could not be used ({err}); "
                                "its seat was not freed: ask your organiser to reset the key",
                                kind=err.kind)
        if licence is None:
            raise LicenseError("no licence is activated on this machine", kind="no_licence")
        failure = None
        try:
            client.deactivate(licence.server, licence.key, self.machine.digest,
                              timeout=self.timeout)
        except LicenseError as err:
            failure = err
            log.warning("licence: the server was not told of the deactivation: %s", err)
        self.remove()
        return failure

    def remove(self) -> None:
        """Forget the licence file (a damaged one too)."""
        self.path.unlink(missing_ok=True)
