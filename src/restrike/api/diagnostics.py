"""``GET /api/v1/diagnostics``: what support asks for first, in one JSON document."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
import threading
import time
from importlib import metadata
from typing import TYPE_CHECKING

import psutil

from restrike import __version__
from restrike.secrets import redact

if TYPE_CHECKING:
    from fastapi import FastAPI

    from restrike.api.view import StationView

__all__ = ["collect", "process_figures"]

_process: psutil.Process | None = None
_lock = threading.Lock()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def process_figures() -> dict[str, object]:
    """CPU % since the previous call, RSS and thread count of this process."""
    global _process
    with _lock:
        if _process is None:
            _process = psutil.Process(os.getpid())
            _process.cpu_percent(None)
        proc = _process
        with proc.oneshot():
            memory = proc.memory_info()
            times = proc.cpu_times()
            figures = {
                "pid": proc.pid,
                "cpu_percent": proc.cpu_percent(None),
                "cpu_seconds": round(times.user + times.system, 3),
                "rss_bytes": memory.rss,
                "rss_mb": round(memory.rss / 1_048_576, 1),
                "threads": proc.num_threads(),
                "cpus": psutil.cpu_count(),
            }
        # The UDP receiver runs in a child process: count it, so RSS is the whole station.
        children_rss = 0
        children = []
        for child in proc.children(recursive=True):
            try:
                rss = child.memory_info().rss
                cpu = child.cpu_times()
            except psutil.Error:
                continue
            children_rss += rss
            children.append({"pid": child.pid, "rss_mb": round(rss / 1_048_576, 1),
                             "cpu_seconds": round(cpu.user + cpu.system, 3)})
        figures["children"] = children
        figures["total_rss_mb"] = round((memory.rss + children_rss) / 1_048_576, 1)
        return figures


def collect(view: StationView, app: FastAPI | None = None) -> dict[str, object]:
    schema = view.feed.schema
    kernel = view.kernel
    hub = getattr(app.state, "hub", None) if app is not None else None
    ingest = view.feed.counters()
    return {
        "versions": {
            "restrike": __version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "sqlite": sqlite3.sqlite_version,
            "fastapi": _version("fastapi"),
            "uvicorn": _version("uvicorn"),
            "protocol": {"name": schema.name, "version": schema.version,
                         "source": schema.source},
        },
        "config": redact(view.effective),
        "bound": kernel.bound,
        "uptime_seconds": (round(time.time() - kernel.started_at, 1)
                           if kernel.started_at else None),
        "process": process_figures(),
        "queues": {
            "pipeline_backlog": ingest["pipeline_backlog"],
            "store": stats.as_dict() if (stats := view.store.stats()) else {},
            "live_clients": hub.client_count() if hub else 0,
            "live_pending": sum(len(c.events) for c in hub.clients) if hub else 0,
        },
        "ingest": ingest,
        "health": kernel.health(),
        "tasks": kernel.tasks(),
        "threads": sorted(t.name for t in threading.enumerate()),
        "bus": {"subscribers": view.bus.subscriber_count(),
                "published": view.bus.published, "errors": view.bus.errors},
        "switch_interval": sys.getswitchinterval(),
    }
