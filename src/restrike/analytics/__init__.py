"""Analytics of the stored feed: match, athlete, day and tournament figures, live.

A pure core (`model`, `fold`, `report`, `aggregate`: stored events in, JSON-ready
figures out, no I/O) that any engine can feed, and the station's SQLite side
(`tables`, `queries`, `updater`) with its routes, console panel, command and
benchmark. docs/analytics.md says what each figure means.
"""

from restrike.analytics.aggregate import athlete_report, effective, sum_sides
from restrike.analytics.fold import MatchFold, fold_match
from restrike.analytics.groups import group_body, group_partial, group_report
from restrike.analytics.model import AthleteRef, Event, MatchRef
from restrike.analytics.plugin import Analytics, AnalyticsSettings
from restrike.analytics.report import match_report

__all__ = ["Analytics", "AnalyticsSettings", "AthleteRef", "Event", "MatchFold", "MatchRef",
           "athlete_report", "effective", "fold_match", "group_body", "group_partial",
           "group_report", "match_report", "sum_sides"]
