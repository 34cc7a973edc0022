-- 003: multi-angle review (issue 18): the camera angles saved with each clip.
-- Written by restrike.review.archive through Store.call (the store's single writer).
-- One row per angle whose replay buffer was saved for the clip; the clip's own `path`
-- stays the first angle's file. Times are REAL epoch seconds (UTC).

CREATE TABLE IF NOT EXISTS clip_angles (
    clip_id     INTEGER NOT NULL REFERENCES clips(id),
    position    INTEGER NOT NULL,              -- order on the screen, 0 first
    name        TEXT NOT NULL,                 -- the angle's name ([[obs]] angle_name or name)
    obs_name    TEXT NOT NULL,
    path        TEXT NOT NULL,                 -- the saved file in the IVR folder
    "offset"    REAL NOT NULL DEFAULT 0,       -- seconds to add to this file's time to reach
                                               -- the common time line (the first angle's)
    clip_start  REAL,                          -- wall time of this file's first frame
    clip_end    REAL,                          -- wall time the save was asked for
    PRIMARY KEY (clip_id, position)
);
