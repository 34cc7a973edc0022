"""``GET /api/v1/diagnostics``: what support asks for first, in one JSON document."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
import threading
import time
from importlib import metadata
from typing import TYPE_CHECKING, Any

import psutil

from restrike import __version__

if TYPE_CHECKING:
    from fastapi import FastAPI

    from restrike.station import Station

__all__ = ["collect", "process_figures"]

_process: psutil.Process | None = None
_lock = threading.Lock()


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def process_figures() -> dict[str, Any]:
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


def collect(station: Station, app: FastAPI | None = None) -> dict[str, Any]:
    schema = station.schema
    hub = getattr(app.state, "hub", None) if app is not None else None
    ingest = station.ingest.counters()
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
        "config": station.config_dict(),
        "bound": station.bound,
        "uptime_seconds": (round(time.time() - station.started_at, 1)
                           if station.started_at else None),
        "process": process_figures(),
        "queues": {
            "pipeline_backlog": ingest["pipeline_backlog"],
            "store": station.store.stats(),
            "live_clients": hub.client_count() if hub else 0,
            "live_pending": sum(len(c.events) for c in hub.clients) if hub else 0,
        },
        "ingest": ingest,
        "health": station.health(),
        "tasks": station.tasks(),
        "threads": sorted(t.name for t in threading.enumerate()),
        "bus": {"subscribers": station.bus.subscriber_count(),
                "published": station.bus.published, "errors": station.bus.errors},
        "switch_interval": sys.getswitchinterval(),
    }
