-- 002: the review archive (issue 6): recording and stream sessions, clips, event links.
-- Written by restrike.review.archive through Store.call (the store's single writer).
-- IF NOT EXISTS: databases used by reStrike before this migration already have these
-- tables (the review created them itself then); they are kept as they are.
-- Times are REAL epoch seconds (UTC).

CREATE TABLE IF NOT EXISTS recording_sessions (
    id             INTEGER PRIMARY KEY,
    day            TEXT NOT NULL,              -- local date YYYY-MM-DD
    output         TEXT NOT NULL,              -- recording | replay_buffer
    obs_name       TEXT NOT NULL,
    match          TEXT,                       -- match number
    match_key      TEXT,                       -- scoring software's match id, else number
    title          TEXT,
    folder         TEXT,
    name           TEXT,                       -- file name stem we asked OBS for
    path           TEXT,                       -- the file OBS reports
    started_at     REAL NOT NULL,
    ended_at       REAL,
    interruptions  TEXT NOT NULL DEFAULT '[]'  -- JSON [{"at", "until", "reason"}]
);
CREATE INDEX IF NOT EXISTS recording_sessions_day ON recording_sessions (day, started_at);

CREATE TABLE IF NOT EXISTS stream_sessions (
    id          INTEGER PRIMARY KEY,
    day         TEXT NOT NULL,
    obs_name    TEXT NOT NULL,
    started_at  REAL NOT NULL,
    ended_at    REAL,
    segments    TEXT NOT NULL DEFAULT '[]'     -- JSON [{"started_at","ended_at","offset","reason"}]
);
CREATE INDEX IF NOT EXISTS stream_sessions_day ON stream_sessions (day, started_at);

CREATE TABLE IF NOT EXISTS clips (
    id             INTEGER PRIMARY KEY,
    review         INTEGER NOT NULL,           -- the workflow's review number (per run)
    run            TEXT NOT NULL,              -- station run id: (run, review) is unique
    day            TEXT NOT NULL,
    match          TEXT,
    match_title    TEXT,
    recording_id   INTEGER REFERENCES recording_sessions(id),
    requested_by   TEXT NOT NULL,
    source         TEXT NOT NULL,              -- udp | button | hotkey | http
    athlete        INTEGER,
    requested_at   REAL NOT NULL,
    marker_at      REAL,
    path           TEXT,
    clip_start     REAL,                       -- wall time of the clip's first frame
    clip_end       REAL,
    decision       TEXT,  -- accepted | rejected | cancelled | won | lost | closed
    decided_by     TEXT,
    decided_at     REAL,
    decision_ms    INTEGER,
    error          TEXT,
    UNIQUE (run, review)
);
CREATE INDEX IF NOT EXISTS clips_day ON clips (day, requested_at);

CREATE TABLE IF NOT EXISTS event_links (
    event_id             INTEGER NOT NULL,     -- events.id of the store
    clip_id              INTEGER NOT NULL REFERENCES clips(id),
    received_at          REAL NOT NULL,
    offset_in_clip       REAL,
    offset_in_recording  REAL,
    offset_in_stream     REAL,
    PRIMARY KEY (clip_id, event_id)
);
CREATE INDEX IF NOT EXISTS event_links_event ON event_links (event_id);
