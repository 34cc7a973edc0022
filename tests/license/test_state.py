"""The licence state machine (pure, any clock): trial, grace, lock, revocation, clock."""

from __future__ import annotations

import pytest

from restrike.license.state import DAY, TRIAL_DAYS, Licence, Status, Trial, evaluate
from restrike.license.tokens import Claims

T0 = 1_800_000_000.0


def licence(**changes: object) -> Licence:
    values: dict[str, object] = dict(key="RSTK-AAAAA-BBBBB-CCCCC-DDDDD", server="http://s",
                                     public_key="pem", token="t", activated_at=T0,
                                     last_validated=T0, last_seen=T0)
    values.update(changes)
    return Licence(**values)  # type: ignore[arg-type]


def claims(expires: float = T0 + 30 * DAY, licence_end: float | None = None) -> Claims:
    return Claims("id", "fp", T0, expires, licence_end, 1)


def at(days: float, lic: Licence | None = None, c: Claims | None = None) -> Status:
    return evaluate(T0 + days * DAY, licence=lic or licence(), claims=c or claims())


@pytest.mark.parametrize(("days", "state", "left"), [
    (0, "active", None), (4.9, "active", None), (5.0, "active", None),
    (5.01, "warning", 2), (6, "warning", 1), (6.99, "warning", 1), (7.0, "warning", 0),
    (7.01, "locked", 0), (8, "locked", 0)])
def test_offline_grace_warns_after_5_days_and_locks_after_7(days: float, state: str,
                                                            left: int | None) -> None:
    status = at(days)
    assert (status.state, status.days_left) == (state, left)
    assert status.licensed == (state != "locked")
    if state != "active":
        assert "not validated for" in status.reason


def test_a_clock_set_back_before_the_last_validation_locks() -> None:
    status = at(-1)
    assert status.state == "locked" and "before the last successful validation" in status.reason
    assert at(-0.001).state == "active"  # a few minutes of drift are tolerated


def test_the_latest_clock_seen_counts_when_the_clock_goes_back() -> None:
    seen = licence(last_seen=T0 + 8 * DAY)  # the station saw day 8, then the clock went back
    assert at(3, seen).state == "locked"


def test_licence_end_and_token_end_lock() -> None:
    ended = at(11, c=claims(licence_end=T0 + 10 * DAY))
    assert ended.state == "locked" and "licence ended" in ended.reason
    assert at(2, c=claims(licence_end=T0 + 10 * DAY)).days_left == 8
    assert at(3, licence(last_validated=T0 + 2.5 * DAY), claims(expires=T0 + 2 * DAY)
              ).state == "locked"


def test_revoked_and_refused() -> None:
    assert at(0, licence(revoked=True, refused="the licence server refused: revoked")
              ).state == "revoked"
    refused = at(0, licence(refused="this machine's seat was freed"))
    assert refused.state == "locked" and "seat was freed" in refused.reason
    assert "restrike license activate" in refused.reason


@pytest.mark.parametrize(("days", "state", "left"), [
    (0, "trial", 30), (0.5, "trial", 30), (29.5, "trial", 1), (30, "locked", 0),
    (31, "locked", 0)])
def test_trial_runs_30_days_from_the_first_start(days: float, state: str, left: int) -> None:
    status = evaluate(T0 + days * DAY, trial=Trial(started=T0, last_seen=T0))
    assert (status.state, status.days_left) == (state, left)
    if state == "locked":
        assert f"{TRIAL_DAYS}-day trial ended" in status.reason
        assert "restrike license activate" in status.reason


def test_trial_before_the_first_start_and_after_an_activation() -> None:
    assert evaluate(T0).state == "trial"
    ended = evaluate(T0, trial=Trial(started=T0 - DAY, last_seen=T0, ended_at=T0))
    assert ended.state == "locked" and "trial ended when a licence was activated" in ended.reason
    going_back = evaluate(T0, trial=Trial(started=T0 - 20 * DAY, last_seen=T0 + 15 * DAY))
    assert going_back.state == "locked"  # the clock went back: the latest reading counts


def test_a_problem_locks_and_says_what_to_do() -> None:
    status = evaluate(T0, problem="the licence file cannot be opened: activate again")
    assert status.as_json() == {"state": "locked", "days_left": 0, "last_validated": None,
                                "reason": "the licence file cannot be opened: activate again"}


def test_json_shape() -> None:
    body = at(6).as_json()
    assert set(body) == {"state", "days_left", "reason", "last_validated"}
    assert body["last_validated"] == "2027-01-15T08:00:00Z"
