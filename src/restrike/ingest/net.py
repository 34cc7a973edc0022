"""Choosing the IPv4 address to listen on: an address, or an interface name."""

from __future__ import annotations

import ipaddress
import socket

import psutil

from restrike.errors import ConfigError

__all__ = ["interface_addresses", "resolve_host"]


def interface_addresses() -> dict[str, list[str]]:
    """Interface name → its IPv4 addresses."""
    out: dict[str, list[str]] = {}
    for name, addrs in psutil.net_if_addrs().items():
        v4 = [a.address for a in addrs if a.family == socket.AF_INET]
        if v4:
            out[name] = v4
    return out


def resolve_host(value: str, setting: str = "udp.host") -> str:
    """``0.0.0.0``, ``192.168.1.10`` or an interface name (``eth0``) → an IPv4 address."""
    text = value.strip()
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        pass
    interfaces = interface_addresses()
    if text in interfaces:
        return interfaces[text][0]
    known = ", ".join(sorted(interfaces)) or "none"
    raise ConfigError(f"{setting}: {value!r} is neither an IPv4 address nor an interface "
                      f"with an IPv4 address (interfaces: {known})")
