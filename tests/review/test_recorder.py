"""The review's archive writer queues its writes on the store's writer without waiting.

A flood of challenges (the bench's 50,000 msg/s mix holds ~200 a second) used to queue
one blocking commit wait per step of each review on the archive thread: thousands of
waiting work items (~40 MB) while the writer was busy with the feed. Now a review's
row is one writer job queued at once, so they share the writer's next commit.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from restrike.review.recorder import ArchiveWriter
from restrike.review.streams import StreamTimeline
from restrike.review.workflow import ReviewRecord
from restrike.store import Store
from restrike.store.component import DB_FILE

REVIEWS = 300


async def test_queued_reviews_share_the_writers_commits_and_reads_see_them(
        tmp_path: Path) -> None:
    store = Store(tmp_path / DB_FILE)
    store.start()
    reports: list[str] = []
    writer = ArchiveWriter(store, clock=time.time, report=reports.append)
    writer.start()
    release = threading.Event()
    try:
        await writer.attach(time.time())
        # hold the writer thread: every write below is queued behind this job
        held = store.call(lambda conn: release.wait(30))
        batches = store.stats().batches
        now = time.time()
        for n in range(REVIEWS):
            review = ReviewRecord(id=n + 1, requested_by="blue", source="feed",
                                  requested_at=now + n, match="101", clip=f"/ivr/{n}.mkv",
                                  saved_at=now + n + 1)
            writer.store_review(review, marker_at=now + n, clip_start=now + n - 20,
                                link=(now + n - 20, now + n + 1), timeline=StreamTimeline())
        assert not held.done()  # the loop never waited for the writer
        release.set()
        clips = await writer.clips(REVIEWS + 10, None)  # waits for the last write
        commits = store.stats().batches - batches
    finally:
        release.set()
        await writer.close()
        store.close()
    assert reports == []
    assert sorted(c["requested_at"] for c in clips) == [now + n for n in range(REVIEWS)]
    # one blocking wait per step took >= 2 commits a review (the clip row, then its
    # links); queued, a commit takes as many as its time budget allows
    assert commits <= REVIEWS // 10, commits
