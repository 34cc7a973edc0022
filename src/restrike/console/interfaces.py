"""This machine's IPv4 interfaces, for the UDP listen-address picker."""

from __future__ import annotations

import socket
from typing import Any

import psutil

__all__ = ["ipv4_interfaces"]


def ipv4_interfaces() -> list[dict[str, Any]]:
    """Every IPv4 address with its interface name, netmask, broadcast and link state."""
    stats = psutil.net_if_stats()
    out: list[dict[str, Any]] = []
    for name, addrs in sorted(psutil.net_if_addrs().items()):
        st = stats.get(name)
        for addr in addrs:
            if addr.family != socket.AF_INET:
                continue
            out.append({
                "name": name,
                "address": addr.address,
                "netmask": addr.netmask,
                "broadcast": addr.broadcast,
                "up": bool(st.isup) if st else None,
                "loopback": addr.address.startswith("127."),
            })
    return out
