"""The fold's rules on hand-written feeds: each awkward case a court produces."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from restrike.analytics import MatchRef, fold_match, match_report
from restrike.analytics.fold import MatchFold
from restrike.analytics.model import Event
from restrike.protocol import Message, message_to_dict, parse

T0 = 1_780_000_000.0


def events(*lines: tuple[float, str]) -> list[Event]:
    """Events as the store keeps them, from (seconds after T0, datagram text)."""
    out: list[Event] = []
    for t, text in lines:
        for message in parse(text.encode()):
            d = message_to_dict(message)
            athlete = message.athlete if isinstance(message, Message) else None
            out.append(Event(len(out) + 1, T0 + t, d["kind"], athlete, d["args"]))
    return out


def side(fold: MatchFold, n: int) -> dict[str, Any]:
    sides: list[dict[str, Any]] = fold.summary()["sides"]
    return sides[n]


def test_a_score_change_is_a_technique_a_gam_jeom_or_a_correction() -> None:
    fold = fold_match(events((1, "pt1;3"), (1, "sc1;3;sc2;0"), (2, "wg1;0;wg2;1"),
                             (2, "sc1;4;sc2;0"), (3, "sc1;2;sc2;0")), UTC)
    causes = [(e["athlete"], e["points"], e["cause"], e["technique"]) for e in fold.timeline()]
    assert causes == [(1, 3, "technique", 3), (1, 1, "gam_jeom", None),
                      (1, -2, "correction", None)]
    assert side(fold, 1)["score"] == 2 and side(fold, 1)["gam_jeom_points"] == 1
    assert side(fold, 2)["gam_jeoms"] == 1
    assert side(fold, 1)["techniques"] == [0, 0, 1, 0, 0]


def test_fight_time_follows_the_clock_and_ignores_corrections_and_resets() -> None:
    fold = fold_match(events((0, "rnd;1"), (0, "clk;2:00;start"), (10, "clk;1:50"),
                             (11, "clk;1:55;corr"), (15, "clk;1:50"), (20, "clk;0:00;stopEnd"),
                             (30, "rnd;2"), (30, "clk;2:00"), (31, "clk;1:59;start"),
                             (32, "clk;1:58")), UTC)
    assert fold.fight == 10 + 5 + 110 + 1 + 1
    assert fold.summary()["fight_by_round"] == {"1": 125, "2": 2}
    assert fold.started_at == T0


def test_challenges_cancelled_repeated_and_decided_without_the_request() -> None:
    fold = fold_match(events((1, "ch1"), (2, "ch1;-1"),  # cancelled: not made
                             (3, "ch1"), (4, "ch1;1"), (5, "ch1;1;1"), (6, "ch1;1;1"),
                             (7, "ch1;-1"),  # closing the decided review
                             (8, "ch2;0"),  # rejected, the request not seen
                             (9, "ch0"), (10, "ch0;1"), (11, "ch0;1;0")), UTC)
    assert side(fold, 1)["challenges"] == {"made": 1, "won": 1, "lost": 0, "rejected": 0,
                                           "cancelled": 1}
    assert side(fold, 2)["challenges"] == {"made": 1, "won": 0, "lost": 0, "rejected": 1,
                                           "cancelled": 0}
    assert side(fold, 0)["challenges"]["lost"] == 1


def test_injury_time_is_what_its_clock_went_down_by() -> None:
    fold = fold_match(events((1, "ij1;1:00;show"), (2, "ij1;0:59"), (20, "ij1;0:41;hide"),
                             (30, "ij2;0:10;hide"),  # an end whose start was not seen
                             (40, "ij2;1:00;show"), (45, "ij2;0:55")), UTC)
    assert (side(fold, 1)["injuries"], side(fold, 1)["injury_seconds"]) == (1, 19)
    assert (side(fold, 2)["injuries"], side(fold, 2)["injury_seconds"]) == (1, 5)  # running


def test_scoring_by_state_last_30_seconds_and_the_answer_within_5_seconds() -> None:
    fold = fold_match(events((0, "mch;1;F;M;;;;;;1;S;3;120;cntDown"), (0, "rnd;1"),
                             (0, "clk;0:40"), (1, "sc1;2;sc2;0"),  # blue from tied
                             (2, "clk;0:30"), (3, "sc1;2;sc2;1"),  # red answers 2 s later,
                             (6, "sc1;4;sc2;1"),  # blue 3 s later, leading  # trailing
                             (20, "sc1;4;sc2;3")), UTC)  # red 14 s later: no answer
    blue, red = side(fold, 1), side(fold, 2)
    assert blue["by_state"] == [2, 2, 0] and red["by_state"] == [0, 0, 3]
    assert blue["last30"] == 2 and red["last30"] == 3
    assert (blue["conceded"], blue["answered"]) == (2, 1)
    assert (red["conceded"], red["answered"]) == (2, 1)


def test_the_same_events_in_any_slices_give_the_same_summary() -> None:
    feed = events((0, "pt1;2"), (0, "sc1;2;sc2;0"), (1, "hl2;55"), (2, "ch2"), (3, "ch2;1"),
                  (4, "ch2;1;1"), (5, "win;RED"), (5, "wmh;X;2-3 PTF"),
                  (5, "wrd;rd1;2;rd2;0;rd3;0"))
    whole = fold_match(feed, UTC).summary()
    for cut in range(len(feed)):
        fold = MatchFold(UTC).feed_all(feed[:cut])
        assert fold.feed_all(feed[cut:]).summary() == whole
    assert whole["winner"] == 2 and whole["decision"] == "PTF"
    assert whole["round_winners"] == [2, 0, 0]


def test_the_report_of_an_empty_match_is_zeros() -> None:
    report = match_report(MatchRef(7), fold_match([], UTC).summary(), [])
    assert report["winner"] is None and report["intensity"] == 0.0
    assert report["athletes"][0]["athlete"] is None
    assert report["athletes"][0]["hit_levels"]["mean"] == 0.0
    assert report["duration"] == {"fight_seconds": 0, "wall_seconds": 0.0,
                                  "fight_by_round": {}}
