"""This machine's fingerprint: what a licence is locked to, shown and sent only hashed.

It is made of the operating system's machine id (``/etc/machine-id`` on Linux,
``MachineGuid`` on Windows, ``IOPlatformUUID`` on macOS), the board and disk serials
the system lets any user read, and the first physical network card's MAC address.
None of these change when the station is reinstalled; another machine id is another
machine. The parts are read by `collect` (I/O, each one optional but the machine id);
`Fingerprint` is the pure value built from them.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psutil

from restrike.errors import LicenseError

__all__ = ["Fingerprint", "collect", "fingerprint"]

log = logging.getLogger(__name__)

#: Mixed into the hash so the value means nothing outside reStrike's licensing.
_DOMAIN = b"restrike-licence-fingerprint-v1"
_MACHINE_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
_VIRTUAL_NICS = re.compile(r"^(lo|docker|veth|br-|virbr|vmnet|vboxnet|tun|tap|ifb|wg|"
                           r"zt|vethernet|virtualbox|vmware|hyper-v|loopback|bluetooth)",
                           re.IGNORECASE)
_NO_MAC = {"", "00:00:00:00:00:00", "00-00-00-00-00-00"}


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The parts read from this machine; ``digest`` is the hashed value, ``secret`` the
    key material the licence files are sealed with (never shown nor sent)."""

    machine_id: str
    board: str = ""
    disk: str = ""
    mac: str = ""

    def _material(self) -> bytes:
        parts = (self.machine_id.strip().lower(), self.board.strip(), self.disk.strip(),
                 self.mac.strip().lower().replace("-", ":"))
        return _DOMAIN + b"\0" + b"\0".join(p.encode() for p in parts)

    @property
    def digest(self) -> str:
        """The fingerprint as shown and sent: 64 hex digits of SHA-256."""
        return hashlib.sha256(self._material()).hexdigest()

    @property
    def secret(self) -> bytes:
        """Input key material for sealing files (a different hash than ``digest``)."""
        return hashlib.sha256(b"seal\0" + self._material()).digest()

    @property
    def short(self) -> str:
        """The first 16 digits of ``digest``, grouped, for people."""
        d = self.digest[:16]
        return "-".join(d[i:i + 4] for i in range(0, 16, 4))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""


def _linux_machine_id(machine_id_file: Path | None) -> str:
    for path in ([machine_id_file] if machine_id_file else _MACHINE_ID_FILES):
        value = _read(path)
        if value:
            return value
    return ""


def _windows_machine_id() -> tuple[str, str]:
    """``MachineGuid`` and the board's product name (the registry any user reads)."""
    if sys.platform != "win32":
        return "", ""
    import winreg

    def value(path: str, name: str) -> str:
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, path, 0,
                                winreg.KEY_READ | winreg.KEY_WOW64_64KEY) as key:
                return str(winreg.QueryValueEx(key, name)[0])
        except OSError:
            return ""

    bios = r"HARDWARE\DESCRIPTION\System\BIOS"
    board = " ".join(v for v in (value(bios, "BaseBoardManufacturer"),
                                 value(bios, "BaseBoardProduct")) if v)
    return value(r"SOFTWARE\Microsoft\Cryptography", "MachineGuid"), board


def _mac_machine_id() -> tuple[str, str]:
    """``IOPlatformUUID`` and ``IOPlatformSerialNumber`` from ``ioreg``."""
    try:
        out = subprocess.run(["/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice"],
                             capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return "", ""

    def field(name: str) -> str:
        found = re.search(rf'"{name}"\s*=\s*"([^"]+)"', out)
        return found.group(1) if found else ""

    return field("IOPlatformUUID"), field("IOPlatformSerialNumber")


def _linux_serials() -> tuple[str, str]:
    """The board serial and the first disk's serial, when readable without root."""
    dmi = Path("/sys/class/dmi/id")
    board = _read(dmi / "board_serial") or _read(dmi / "product_uuid")
    disk = ""
    block = Path("/sys/block")
    if block.is_dir():
        for dev in sorted(block.iterdir()):
            if dev.name.startswith(("loop", "ram", "zram", "dm-", "sr")):
                continue
            disk = _read(dev / "device" / "serial") or _read(dev / "serial")
            if disk:
                break
    return board, disk


def _first_mac() -> str:
    """The MAC address of the first physical network card (by name)."""
    sys_net = Path("/sys/class/net")
    for name, addresses in sorted(psutil.net_if_addrs().items()):
        if _VIRTUAL_NICS.match(name):
            continue
        if sys_net.is_dir() and "/virtual/" in str((sys_net / name).resolve()):
            continue
        for address in addresses:
            if address.family == psutil.AF_LINK and address.address not in _NO_MAC:
                return str(address.address)
    return ""


def collect(machine_id_file: Path | None = None) -> Fingerprint:
    """Read this machine's parts; LicenseError when no machine id can be read.

    ``machine_id_file`` replaces ``/etc/machine-id`` on Linux (containers whose id is
    not the host's; tests).
    """
    board = disk = ""
    if sys.platform == "win32":
        machine_id, board = _windows_machine_id()
    elif sys.platform == "darwin":
        machine_id, board = _mac_machine_id()
    else:
        machine_id = _linux_machine_id(machine_id_file)
        board, disk = _linux_serials()
    if not machine_id:
        raise LicenseError(f"cannot read this machine's id on {platform.system()} "
                           "(/etc/machine-id, MachineGuid or IOPlatformUUID): the licence "
                           "needs it; run systemd-machine-id-setup or ask for support")
    return Fingerprint(machine_id, board, disk, _first_mac())


def fingerprint(machine_id_file: Path | None = None) -> Fingerprint:
    """`collect`, logged once at debug level (hashed only)."""
    found = collect(machine_id_file)
    log.debug("machine fingerprint %s", found.short)
    return found
