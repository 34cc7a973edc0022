"""A throw-away PostgreSQL cluster on a free port: the real server the hub rests on.

The Debian package (``postgresql``, installed by scripts/test) brings the programs
under ``/usr/lib/postgresql/<version>/bin``. ``initdb`` refuses to run as root, so
as root the cluster is made and run by the ``postgres`` user (``runuser``) in a
temporary folder it owns; it listens on 127.0.0.1 only, with trust authentication,
and is stopped and deleted at the end of the session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.station.fixtures import free_port

__all__ = ["PostgresCluster", "find_bin", "postgres"]


def find_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: the newest Debian one, else PATH's."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if versions:
        return versions[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


@dataclass
class PostgresCluster:
    """One cluster: ``dsn(db)`` to reach a database, ``create_database`` for a fresh one."""

    bin_dir: Path
    root: Path
    port: int = field(default_factory=free_port)
    as_postgres: bool = field(default_factory=lambda: hasattr(os, "geteuid") and
                              os.geteuid() == 0)
    _made: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False, cwd=self.root)

    def start(self) -> None:
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        made = self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                         "-E", "UTF8", "--no-sync")
        if made.returncode:
            raise RuntimeError(f"initdb failed:\n{made.stdout}{made.stderr}")
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        started = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"),
                            "-o", options, "-w", "-t", "60", "start")
        if started.returncode:
            log = (self.root / "log").read_text(errors="replace") if (
                self.root / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed:\n{started.stdout}{started.stderr}{log}")

    def create_database(self, prefix: str = "hub") -> str:
        """A new empty database; its DSN."""
        self._made += 1
        name = f"{prefix}_{self._made}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop",
                      timeout=30)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A running cluster for the whole session (skipped where PostgreSQL is missing)."""
    bin_dir = find_bin()
    if bin_dir is None or not (bin_dir / "initdb").exists():
        pytest.skip("PostgreSQL is not installed (the README's test command installs it)")
    root = Path(tempfile.mkdtemp(prefix="restrike-pg-"))
    cluster = PostgresCluster(bin_dir, root)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
