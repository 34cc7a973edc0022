-- reStrike store, version 1: the whole record of a court's feed.
-- Times are REAL seconds since the Unix epoch (UTC); JSON columns hold compact JSON text.

CREATE TABLE tournaments (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  REAL NOT NULL
);

CREATE TABLE days (
    id             INTEGER PRIMARY KEY,
    tournament_id  INTEGER NOT NULL REFERENCES tournaments(id),
    date           TEXT NOT NULL,              -- local date YYYY-MM-DD
    name           TEXT NOT NULL DEFAULT '',
    created_at     REAL NOT NULL,
    UNIQUE (tournament_id, date)
);

CREATE TABLE athletes (
    id          INTEGER PRIMARY KEY,
    short_name  TEXT NOT NULL,
    long_name   TEXT NOT NULL,
    country     TEXT NOT NULL,
    UNIQUE (long_name, country)
);

CREATE TABLE matches (
    id               INTEGER PRIMARY KEY,
    day_id           INTEGER NOT NULL REFERENCES days(id),
    number           TEXT,
    match_id         TEXT,                     -- the scoring software's internal id
    phase            TEXT,
    category         TEXT,
    division         TEXT,
    blue_athlete_id  INTEGER REFERENCES athletes(id),
    red_athlete_id   INTEGER REFERENCES athletes(id),
    loaded_at        REAL NOT NULL,            -- the `pre` (or first set-up message)
    started_at       REAL,                     -- first `clk ...;start`
    ended_at         REAL,                     -- `win`
    winner           TEXT,                     -- BLUE or RED
    decision         TEXT,                     -- PTF, PTG, GDP, SUP, ... from `wmh`
    result           TEXT NOT NULL DEFAULT '{}' -- JSON: winner, names, points, rounds
);
CREATE INDEX matches_day ON matches (day_id, id);

CREATE TABLE datagrams (
    id           INTEGER PRIMARY KEY,
    received_at  REAL NOT NULL,
    source       TEXT NOT NULL,                -- sender "ip:port"
    data         BLOB NOT NULL,                -- the exact bytes received
    match_id     INTEGER REFERENCES matches(id),
    seq          INTEGER                       -- the station's receive sequence number
);
CREATE INDEX datagrams_received ON datagrams (received_at);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    datagram_id  INTEGER NOT NULL REFERENCES datagrams(id),  -- ids grow with received_at
    match_id     INTEGER REFERENCES matches(id),
    seq          INTEGER NOT NULL,             -- position of the message in its datagram
    received_at  REAL NOT NULL,
    code         TEXT,
    kind         TEXT NOT NULL,
    athlete      INTEGER,
    args         TEXT NOT NULL DEFAULT '{}',   -- JSON object of the typed fields
    raw          TEXT NOT NULL,
    error        TEXT,                         -- reason, for invalid and unknown messages
    truncated    INTEGER NOT NULL DEFAULT 0    -- the sender cut the datagram short
);
CREATE INDEX events_match ON events (match_id, id);
CREATE INDEX events_kind ON events (kind, id);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
