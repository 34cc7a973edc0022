"""Who may press the control room's buttons: the checks in front of the hub's
state-changing routes that a web page could call (the bulk OBS actions).

Reads need none (the read pages are public on the LAN) and uploads carry their
court's token and come from stations, not pages. A control room request is refused
unless:

1. **Host** names this hub — an IP address, ``localhost``, this machine's name (and
   ``<name>.local``) or a ``--allowed-host`` name → 421 (so a page of another site
   whose name was pointed at the hub cannot call it: DNS rebinding);
2. **Origin**, when sent, is the hub's own (its host and port are the Host header's:
   behind a TLS proxy, the proxy passes the browser's Host on); without one,
   ``Sec-Fetch-Site: cross-site`` or ``same-site`` → 403;
3. the body is **JSON** (``Content-Type: application/json``: a plain form cannot send
   it) → 415.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from restrike.errors import HubError

__all__ = ["HostNames", "check_control"]


class HostNames:
    """The names the hub answers to for control requests (any IP address too)."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        machine = socket.gethostname().lower()
        self.names = frozenset({"localhost", machine, f"{machine}.local",
                                *(name.strip().lower() for name in allowed)})

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return name in self.names
        return True


def _host_name(host: str) -> str:
    """``name``, ``name:port`` or ``[v6]:port`` → the lower-case name."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.partition(":")[0]


def check_control(names: HostNames, headers: Mapping[str, str]) -> None:
    """HubError 421/403/415 unless a control request may go on (see the module)."""
    host = headers.get("host", "")
    if _host_name(host) not in names:
        raise HubError(f"this hub does not answer control requests to the host name "
                       f"{host!r}: call it by its address or localhost, or start it with "
                       "--allowed-host NAME", status=421)
    origin = headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin.strip().lower())
        if parts.scheme not in ("http", "https") or parts.netloc != host.strip().lower():
            raise HubError(f"a page from {origin} may not press the control room's buttons: "
                           "only the hub's own control room may", status=403)
    elif headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
        raise HubError("a page of another site may not press the control room's buttons",
                       status=403)
    declared = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if declared != "application/json":
        raise HubError(f"the control room's requests are JSON (application/json), not "
                       f"{declared or 'a body without Content-Type'!r}", status=415)
