-- 003: multi-angle review (issue 18): the camera angles saved with each clip.
-- Written by restrike.review.archive through Store.call (the store's single writer).
-- One row per angle of the clip: a saved file, or no path and the reason it is missing
-- (OBS away, save failed). The clip's own `path` stays the first saved angle's file.
-- Times are REAL epoch seconds (UTC).

CREATE TABLE IF NOT EXISTS clip_angles (
    clip_id     INTEGER NOT NULL REFERENCES clips(id),
    position    INTEGER NOT NULL,              -- order on the screen, 0 first
    name        TEXT NOT NULL,                 -- the angle's name ([[obs]] angle_name or name)
    obs_name    TEXT NOT NULL,
    path        TEXT,                          -- the saved file in the IVR folder, NULL if missing
    "offset"    REAL NOT NULL DEFAULT 0,       -- seconds to add to this file's time to reach
                                               -- the common time line (the first angle's)
    clip_start  REAL,                          -- wall time of this file's first frame
    clip_end    REAL,                          -- wall time the save was asked for
    error       TEXT,                          -- why this angle is missing
    PRIMARY KEY (clip_id, position)
);
