"""The licence state at a given time (pure): trial, active, warning, locked, revoked.

`evaluate` decides from what the station holds — its sealed licence (`Licence`, with
the verified token's `Claims`) or its trial marker (`Trial`) — and the time it is
given, so tests pass any clock. The rules (docs/licensing.md):

* a licence is ``active`` while validated within the last 5 days, ``warning`` after
  that and ``locked`` after 7 days without a successful validation; ``revoked`` once
  the server said so; ``locked`` when the licence or its token has ended, when the
  server refused this machine, and when the clock reads earlier than the last
  successful validation (setting the clock back never extends the grace);
* without a licence the station is on ``trial`` for 30 days from its first start on
  this machine, then ``locked``; a trial ends for good when a licence is activated.
Time is measured from the latest clock reading ever seen (``last_seen``), so a clock
moved back between two readings does not give days back either.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any, Literal

from restrike.license.tokens import Claims

__all__ = ["CLOCK_TOLERANCE", "DAY", "LOCKED_AFTER", "TRIAL_DAYS", "WARNING_AFTER",
           "Licence", "State", "Status", "Trial", "evaluate", "iso"]

DAY = 86_400.0
WARNING_AFTER = 5 * DAY  # no successful validation for more than this: warning
LOCKED_AFTER = 7 * DAY  # ... for more than this: locked
TRIAL_DAYS = 30
#: A clock this far before the last validation is taken as set back (not NTP jitter).
CLOCK_TOLERANCE = 600.0
ACTIVATE_HINT = "run `restrike license activate KEY --server URL` (or the console's Licence page)"

State = Literal["trial", "active", "warning", "locked", "revoked"]


@dataclass(frozen=True, slots=True)
class Licence:
    """The sealed licence file's document."""

    key: str
    server: str
    public_key: str  # the server's Ed25519 key (PEM), from the activation
    token: str
    activated_at: float
    last_validated: float  # this machine's clock at the last successful validation
    last_seen: float  # the latest clock reading seen
    revoked: bool = False
    refused: str | None = None  # the server refused this machine (seat freed, expired)
    last_attempt: float | None = None
    last_error: str | None = None  # the last validation that failed (offline ...)

    def as_document(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Licence:
        """Raises KeyError / TypeError for a document of another shape."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in known})

    def seen(self, now: float) -> Licence:
        return replace(self, last_seen=max(self.last_seen, now))


@dataclass(frozen=True, slots=True)
class Trial:
    """The per-machine trial marker's document."""

    started: float
    last_seen: float
    ended_at: float | None = None  # a licence was activated: no trial ever again

    def as_document(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Trial:
        return cls(started=float(doc["started"]), last_seen=float(doc["last_seen"]),
                   ended_at=None if doc.get("ended_at") is None else float(doc["ended_at"]))

    def seen(self, now: float) -> Trial:
        return replace(self, last_seen=max(self.last_seen, now))


@dataclass(frozen=True, slots=True)
class Status:
    """What ``restrike license status --json`` and ``GET /api/v1/license`` answer."""

    state: State
    days_left: int | None
    reason: str
    last_validated: float | None = None

    @property
    def licensed(self) -> bool:
        """Whether the licensed features may run."""
        return self.state in ("trial", "active", "warning")

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state, "days_left": self.days_left, "reason": self.reason,
                "last_validated": iso(self.last_validated)}


def iso(at: float | None) -> str | None:
    """A time as ISO 8601 UTC, seconds."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00",
                                                                               "Z")


def _days(seconds: float) -> int:
    """Whole days left, rounded up (1 while any time is left)."""
    return max(0, math.ceil(seconds / DAY))


def evaluate(now: float, *, licence: Licence | None = None, claims: Claims | None = None,
             trial: Trial | None = None, problem: str | None = None) -> Status:
    """The state at ``now``. ``problem``: the licence file or trial marker exists but
    cannot be used (its message says what to do): locked."""
    if problem is not None:
        return Status("locked", 0, problem, licence.last_validated if licence else None)
    if licence is not None and claims is not None:
        return _licensed(now, licence, claims)
    return _trial(now, trial)


def _licensed(now: float, lic: Licence, claims: Claims) -> Status:
    validated = lic.last_validated
    if lic.revoked:
        return Status("revoked", 0, lic.refused or "the licence server revoked this key: "
                      "ask your organiser for a new one", validated)
    if lic.refused:
        return Status("locked", 0, f"{lic.refused}: {ACTIVATE_HINT}", validated)
    if now < validated - CLOCK_TOLERANCE:
        return Status("locked", 0, f"the system clock ({iso(now)}) is before the last "
                      f"successful validation ({iso(validated)}): set the clock right",
                      validated)
    t = max(now, lic.last_seen)
    if claims.licence_expires_at is not None and t >= claims.licence_expires_at:
        return Status("locked", 0, f"the licence ended on {iso(claims.licence_expires_at)}: "
                      "renew it with your organiser", validated)
    offline = t - validated
    if offline > LOCKED_AFTER or t >= claims.expires_at:
        return Status("locked", 0, f"not validated for {offline / DAY:.0f} days (more than "
                      f"{LOCKED_AFTER / DAY:.0f}): connect to the internet and run "
                      "`restrike license validate`", validated)
    if offline > WARNING_AFTER:
        return Status("warning", _days(LOCKED_AFTER - offline),
                      f"not validated for {offline / DAY:.0f} days: the licensed features "
                      f"lock after {LOCKED_AFTER / DAY:.0f}; connect to the internet",
                      validated)
    left = (None if claims.licence_expires_at is None
            else _days(claims.licence_expires_at - t))
    until = (f" until {iso(claims.licence_expires_at)}" if claims.licence_expires_at
             else "")
    return Status("active", left, f"licensed{until}", validated)


def _trial(now: float, trial: Trial | None) -> Status:
    if trial is None:  # the station has not run here yet
        return Status("trial", TRIAL_DAYS, f"the {TRIAL_DAYS}-day trial starts with the "
                      "station's first run on this machine")
    if trial.ended_at is not None:
        return Status("locked", 0, f"no licence on this machine (its trial ended when a "
                      f"licence was activated): {ACTIVATE_HINT}")
    t = max(now, trial.last_seen)
    left = trial.started + TRIAL_DAYS * DAY - t
    if left <= 0:
        return Status("locked", 0, f"the {TRIAL_DAYS}-day trial ended on "
                      f"{iso(trial.started + TRIAL_DAYS * DAY)}: {ACTIVATE_HINT}")
    return Status("trial", _days(left), f"trial: {_days(left)} of {TRIAL_DAYS} days left; "
                  f"{ACTIVATE_HINT}")
