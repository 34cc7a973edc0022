"""The hub's PostgreSQL schema, as numbered steps applied once each, in order.

Every row keeps the station's own id next to the station's number here (``sid``):
the primary key (sid, id) is what makes an upload idempotent. Times are epoch
seconds (double precision) like the station's, so the same values compare on both
sides. The version applied is in ``hub_schema``; a database a newer hub migrated is
refused with a message saying so. Append steps, never edit one.
"""

from __future__ import annotations

import psycopg

from restrike.errors import HubError

__all__ = ["SIDES", "STEPS", "migrate"]

#: The sides of every match (a migration step, as it was when added).
_FILL_SIDES = (
    "INSERT INTO sides (sid, match_id, side, person) SELECT m.sid, m.id, v.side, a.person "
    "FROM matches m CROSS JOIN (VALUES (1), (2)) AS v(side) JOIN athletes a ON a.sid = m.sid "
    "AND a.id = CASE v.side WHEN 1 THEN m.blue_athlete_id ELSE m.red_athlete_id END")
#: Which loads of ``m`` are the same match (`restrike.analytics.MatchRef.key`): a match
#: the scoring software loaded twice counts once in an athlete's figures.
_MATCH_KEY = ("CASE WHEN m.number IS NULL AND m.match_id IS NULL THEN 'row:' || m.id "
              "ELSE m.day_id || '|' || coalesce(m.number, '') || '|' || "
              "coalesce(m.match_id, '') END")
#: The sides of every match with its key (the ingest remakes those of the matches an
#: upload touches; ``restrike bench hub`` fills its copy so).
SIDES = (
    "INSERT INTO sides (sid, match_id, side, person, key) SELECT m.sid, m.id, v.side, "
    f"a.person, {_MATCH_KEY} FROM matches m CROSS JOIN (VALUES (1), (2)) AS v(side) "
    "JOIN athletes a ON a.sid = m.sid "
    "AND a.id = CASE v.side WHEN 1 THEN m.blue_athlete_id ELSE m.red_athlete_id END")

STEPS: tuple[str, ...] = (
    """CREATE TABLE stations (
        sid        serial PRIMARY KEY,
        station    text NOT NULL UNIQUE,          -- the station database's id (UUID hex)
        court      text NOT NULL,
        host       text NOT NULL DEFAULT '',
        last_id    bigint NOT NULL DEFAULT 0,     -- newest datagram id held: the cursor
        held       bigint NOT NULL DEFAULT 0,     -- datagrams held
        first_seen double precision NOT NULL,
        last_seen  double precision NOT NULL,
        live       jsonb NOT NULL DEFAULT '{}'
    )""",
    """CREATE TABLE tournaments (
        sid int NOT NULL, id bigint NOT NULL, name text NOT NULL,
        created_at double precision NOT NULL, PRIMARY KEY (sid, id))""",
    """CREATE TABLE days (
        sid int NOT NULL, id bigint NOT NULL, tournament_id bigint NOT NULL,
        date text NOT NULL, name text NOT NULL DEFAULT '', PRIMARY KEY (sid, id))""",
    """CREATE TABLE athletes (
        sid int NOT NULL, id bigint NOT NULL, short_name text NOT NULL,
        long_name text NOT NULL, country text NOT NULL, PRIMARY KEY (sid, id))""",
    """CREATE TABLE matches (
        sid int NOT NULL, id bigint NOT NULL, day_id bigint NOT NULL, number text,
        match_id text, phase text, category text, division text,
        blue_athlete_id bigint, red_athlete_id bigint, loaded_at double precision NOT NULL,
        started_at double precision, ended_at double precision, winner text,
        decision text, result jsonb NOT NULL DEFAULT '{}', PRIMARY KEY (sid, id))""",
    """CREATE TABLE datagrams (
        sid int NOT NULL, id bigint NOT NULL, received_at double precision NOT NULL,
        source text NOT NULL, data bytea NOT NULL, match_id bigint, seq bigint,
        held_at double precision NOT NULL,        -- when the hub committed it
        PRIMARY KEY (sid, id))""",
    """CREATE TABLE events (
        sid int NOT NULL, id bigint NOT NULL, datagram_id bigint NOT NULL,
        match_id bigint, seq int NOT NULL, received_at double precision NOT NULL,
        code text, kind text NOT NULL, athlete int, args jsonb NOT NULL DEFAULT '{}',
        raw text NOT NULL, error text, truncated boolean NOT NULL DEFAULT false,
        PRIMARY KEY (sid, id))""",
    """CREATE TABLE clips (
        sid int NOT NULL, id bigint NOT NULL, run text NOT NULL, review int NOT NULL,
        day text NOT NULL, match text, requested_by text NOT NULL, source text NOT NULL,
        athlete int, requested_at double precision NOT NULL, path text, decision text,
        decided_by text, decided_at double precision, error text, PRIMARY KEY (sid, id))""",
    "CREATE INDEX events_match ON events (sid, match_id, id)",
    "CREATE INDEX events_kind ON events (kind, sid, match_id)",
    "CREATE INDEX events_received ON events (received_at)",
    "CREATE INDEX matches_ended ON matches (ended_at DESC NULLS LAST)",
    "CREATE INDEX athletes_person ON athletes (long_name, country)",
    "CREATE INDEX tournaments_name ON tournaments (name)",
    "CREATE INDEX datagrams_held ON datagrams (held_at)",
    # No query reads these two; each new event and datagram paid for them (the kind
    # index took a third of the catch-up's insert time).
    "DROP INDEX events_kind",
    "DROP INDEX datagrams_held",
    # The newest event id held, kept with the cursor (one query less per upload).
    "ALTER TABLE stations ADD COLUMN last_event bigint NOT NULL DEFAULT 0",
    "UPDATE stations SET last_event = COALESCE((SELECT max(id) FROM events e "
    "WHERE e.sid = stations.sid), 0)",
    # The analytics' caches (restrike.hub.server.analytics): each match folded (its
    # summary, and the headline an athletes search sums: [winner, blue, red] or null),
    # each station-day's partial figures. An upload deletes what it touched.
    """CREATE TABLE folds (
        sid int NOT NULL, match_id bigint NOT NULL, summary jsonb NOT NULL,
        headline jsonb, PRIMARY KEY (sid, match_id))""",
    """CREATE TABLE partials (
        sid int NOT NULL, day_id bigint NOT NULL, partial jsonb NOT NULL,
        PRIMARY KEY (sid, day_id))""",
    "CREATE INDEX matches_day ON matches (sid, day_id)",
    "CREATE INDEX matches_blue ON matches (sid, blue_athlete_id)",
    "CREATE INDEX matches_red ON matches (sid, red_athlete_id)",
    "CREATE INDEX days_date ON days (date)",
    # Each athlete once (long name + country) with the hub's id of it and its names
    # unaccented for the search (`folded`: filled by the hub, restrike.hub.server.people).
    """CREATE TABLE people (
        id bigint PRIMARY KEY, long_name text NOT NULL, country text NOT NULL,
        short_name text NOT NULL, folded text)""",
    "INSERT INTO people (id, long_name, country, short_name) SELECT DISTINCT ON "
    "(long_name, country) ('x' || lpad(substr(md5(long_name || chr(31) || country), 1, 13), "
    "16, '0'))::bit(64)::bigint, long_name, country, short_name FROM athletes "
    "ORDER BY long_name, country, sid DESC, id DESC",
    # Each athlete row's hub id (people.id), made by the database as the hub makes it:
    # the searches find an athlete's matches on every court by it.
    "ALTER TABLE athletes ADD COLUMN person bigint GENERATED ALWAYS AS (('x' || lpad(substr("
    "md5(long_name || chr(31) || country), 1, 13), 16, '0'))::bit(64)::bigint) STORED",
    "CREATE INDEX athletes_by_person ON athletes (person, sid, id)",
    # Each match's two sides with their athlete's hub id: an athlete's matches on every
    # court are one index range (the ingest keeps it for the matches it touches).
    """CREATE TABLE sides (
        sid int NOT NULL, match_id bigint NOT NULL, side smallint NOT NULL,
        person bigint NOT NULL, PRIMARY KEY (sid, match_id, side))""",
    "CREATE INDEX sides_person ON sides (person)",
    _FILL_SIDES,
    # The control room's OBS actions (restrike.hub.server.commands): each with every
    # court's answer as it comes, kept across restarts.
    """CREATE TABLE commands (
        id bigint PRIMARY KEY, action text NOT NULL, params jsonb NOT NULL,
        at double precision NOT NULL, courts jsonb NOT NULL)""",
    # Each side with its match's key: an athletes search sums an athlete's matches from
    # its sides and their folds alone (no join with the matches table).
    "ALTER TABLE sides ADD COLUMN key text",
    f"UPDATE sides SET key = {_MATCH_KEY} FROM matches m WHERE m.sid = sides.sid "
    "AND m.id = sides.match_id",
    # ... and its match's headline once folded (restrike.hub.server.analytics writes it
    # with the fold; an upload remakes the sides of the matches it touches, unfolded).
    "ALTER TABLE sides ADD COLUMN folded boolean NOT NULL DEFAULT false, "
    "ADD COLUMN won boolean, ADD COLUMN pf int, ADD COLUMN pa int",
    "UPDATE sides SET folded = true, won = (f.headline->>0)::int = sides.side, "
    "pf = (f.headline->>sides.side::int)::int, pa = (f.headline->>(3 - sides.side))::int "
    "FROM folds f WHERE f.sid = sides.sid AND f.match_id = sides.match_id",
    # Indexes no query reads since the searches go through `sides` (athletes and matches
    # are read by their keys): each upload still paid for them.
    "DROP INDEX IF EXISTS athletes_person, athletes_by_person, matches_blue, matches_red",
)


def migrate(conn: psycopg.Connection) -> int:
    """Bring the database to ``len(STEPS)``; the version. HubError for a newer one."""
    try:
        with conn.transaction():
            conn.execute("CREATE TABLE IF NOT EXISTS hub_schema (version int NOT NULL)")
            conn.execute("LOCK TABLE hub_schema IN EXCLUSIVE MODE")
            row = conn.execute("SELECT version FROM hub_schema").fetchone()
            version = int(row[0]) if row else 0
            if version > len(STEPS):
                raise HubError(f"the hub database is at schema {version}, this hub knows "
                               f"{len(STEPS)}: a newer reStrike hub made it — run that "
                               "version (or upgrade this one)")
            for sql in STEPS[version:]:
                conn.execute(sql)
            if row is None:
                conn.execute("INSERT INTO hub_schema (version) VALUES (%s)", (len(STEPS),))
            else:
                conn.execute("UPDATE hub_schema SET version = %s", (len(STEPS),))
    except psycopg.Error as err:
        raise HubError(f"cannot migrate the hub database: {err}") from err
    return len(STEPS)
