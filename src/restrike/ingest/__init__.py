"""Court feed intake: the UDP receivers, the processing pipeline, pull requests.

Names are imported on first use, so the receiving child process (which imports
``restrike.ingest._child``) does not pay for the parser, psutil and the rest.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "Datagram",
    "IngestComponent",
    "IngestConfig",
    "Pipeline",
    "ProcessReceiver",
    "UdpReceiver",
    "kernel_drops",
    "listen_udp",
    "open_udp_socket",
    "pull_requests",
    "send_pull_requests",
]

_WHERE = {
    "Datagram": "receiver",
    "IngestComponent": "component",
    "IngestConfig": "component",
    "Pipeline": "pipeline",
    "ProcessReceiver": "process",
    "UdpReceiver": "receiver",
    "kernel_drops": "receiver",
    "listen_udp": "receiver",
    "open_udp_socket": "receiver",
    "pull_requests": "resync",
    "send_pull_requests": "resync",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'restrike.ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(f"restrike.ingest.{module}"), name)
