"""After `kill -9`, every datagram the store reported as committed is in the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from restrike.store import Reader, Store

WRITER = r"""
import sys, time
from pathlib import Path
from restrike.protocol import parse
from restrike.store import Received, Store

store = Store(Path(sys.argv[1]), batch_rows=40, batch_ms=1.0)

def report(c):
    sys.stdout.write(f"{c.last_seq}\n")
    sys.stdout.flush()

store.subscribe_commits(report)
store.start()
seq = 0
while True:
    data = (f"clk;{seq % 120 // 60}:{seq % 60:02d}\r\n" if seq % 7 else "pt1;3\r\n").encode()
    store.submit(Received(seq, time.time(), "10.0.0.9:6000", data, parse(data)))
    seq += 1
    if seq % 50 == 0:
        time.sleep(0.0005)
"""


def test_kill_9_loses_nothing_reported_committed(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    reported: list[int] = []
    with subprocess.Popen([sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE,
                          text=True) as proc:
        assert proc.stdout is not None
        try:
            while len(reported) < 300:
                line = proc.stdout.readline()
                assert line, f"writer exited early with {proc.poll()}"
                reported.append(int(line))
        finally:
            if os.name == "nt":
                proc.kill()
            else:
                os.kill(proc.pid, signal.SIGKILL)
            rest = proc.stdout.read()
            proc.wait()
    reported += [int(x) for x in rest.split()]
    assert proc.returncode != 0
    last = max(reported)
    store = Store(db)  # reopening after the crash: recovers the WAL
    store.close()
    with Reader(db) as reader:
        assert reader.counts()["datagrams"] >= last + 1
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(db)) as conn:
        seqs = {r[0] for r in conn.execute("SELECT seq FROM datagrams")}
        assert set(range(last + 1)) <= seqs
        bad = conn.execute("SELECT count(*) FROM events e LEFT JOIN datagrams d "
                           "ON d.id = e.datagram_id WHERE d.id IS NULL").fetchone()[0]
        assert bad == 0
