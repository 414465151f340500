"""The raw facts of a box, gathered at the edge, and the summary made of them (pure).

``Inputs`` is everything ``setup`` and ``doctor`` look at, as the system gave it: a sysfs root,
an /etc root, the text of ``iw list``, ``iw reg get``, ``nmcli``, ``ss`` and ``timedatectl``, the
running command names, which tools are installed, ModemManager's D-Bus answers, the PC/SC readers
and the modems' control ports. ``gather`` fills it from this machine; tests build one by hand
(a fake sysfs tree, ``iw`` text) or gather from a private bus with a mock ModemManager.
``Facts.of`` turns inputs into the summary the checks and the planner use.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simspot.setup import detect
from simspot.setup.detect import Battery, Listener, ModemFacts, NetIface, Phy, Rfkill

# Tools whose absence a check names (the Debian package in the fix).
TOOLS = ("nft", "dnsmasq", "hostapd", "iw", "nmcli", "rfkill", "ip", "systemctl", "mmcli")
# Command names (/proc/*/comm) that matter.
WATCHED = (
    "ModemManager",
    "NetworkManager",
    "systemd-resolve",
    "dnsmasq",
    "dhcpcd",
    "pcscd",
    "wpa_supplicant",
    "hostapd",
    "upowerd",
)
PCSCD_SOCKET = "run/pcscd/pcscd.comm"


@dataclass
class Inputs:
    sysfs: Path = Path("/sys")
    etc: Path = Path("/etc")
    iw_list: str | None = None  # None: iw is not installed
    iw_reg: str | None = None
    nmcli_devices: str | None = None  # None: nmcli missing or NetworkManager not running
    ss_listeners: str | None = None  # None: unknown
    # pid -> command line of the port 53 listeners (to tell simspot's own dnsmasq apart)
    cmdlines: dict[int, str] = field(default_factory=dict)
    processes: frozenset[str] = frozenset()
    ntp_synchronized: bool | None = None  # None: cannot tell
    tools: dict[str, bool] = field(default_factory=dict)
    dbus_error: str | None = None  # the system bus could not be reached
    mm_running: bool = False
    mm_objects: dict[str, Any] = field(default_factory=dict)
    mm_sims: dict[str, dict[str, Any]] = field(default_factory=dict)
    pcscd_running: bool = False
    readers: tuple[str, ...] | None = None  # None: not asked (pcscd absent, pyscard missing)
    readers_error: str | None = None
    control_ports: tuple[tuple[str, str], ...] = ()  # (device path, "qmi"|"mbim")


@dataclass(frozen=True)
class Facts:
    interfaces: tuple[NetIface, ...]
    phys: dict[str, Phy]
    rfkill: tuple[Rfkill, ...]
    country: str | None
    batteries: tuple[Battery, ...]
    nm_devices: dict[str, str] | None
    listeners53: tuple[Listener, ...] | None
    ours53: frozenset[int]
    processes: frozenset[str]
    ntp_synchronized: bool | None
    tools: dict[str, bool]
    dbus_error: str | None
    mm_running: bool
    modems: tuple[ModemFacts, ...]
    pcscd_running: bool
    readers: tuple[str, ...] | None
    readers_error: str | None
    control_ports: tuple[tuple[str, str], ...]
    dhcpcd_denied: frozenset[str]
    iw_known: bool

    @classmethod
    def of(cls, i: Inputs) -> Facts:
        listeners = None if i.ss_listeners is None else detect.parse_ss_listeners(i.ss_listeners)
        ours = frozenset(
            pid for pid, cmd in i.cmdlines.items() if "simspot" in cmd and "dnsmasq" in cmd
        )
        return cls(
            interfaces=tuple(detect.net_interfaces(i.sysfs)),
            phys=detect.parse_iw_list(i.iw_list or ""),
            rfkill=tuple(detect.rfkill_switches(i.sysfs)),
            country=detect.parse_iw_reg(i.iw_reg or ""),
            batteries=tuple(detect.batteries(i.sysfs)),
            nm_devices=None
            if i.nmcli_devices is None
            else detect.parse_nmcli_devices(i.nmcli_devices),
            listeners53=None if listeners is None else tuple(listeners),
            ours53=ours,
            processes=i.processes,
            ntp_synchronized=i.ntp_synchronized,
            tools=dict(i.tools),
            dbus_error=i.dbus_error,
            mm_running=i.mm_running,
            modems=tuple(detect.modems_from(i.mm_objects, i.mm_sims)),
            pcscd_running=i.pcscd_running,
            readers=i.readers,
            readers_error=i.readers_error,
            control_ports=i.control_ports,
            dhcpcd_denied=frozenset(_dhcpcd_denied(i.etc)),
            iw_known=i.iw_list is not None,
        )

    # -- questions the checks and the planner ask --------------------------------------------
    def iface(self, name: str) -> NetIface | None:
        return next((n for n in self.interfaces if n.name == name), None)

    def wifi(self) -> list[NetIface]:
        return [n for n in self.interfaces if n.kind == "wifi"]

    def ethernet(self) -> list[NetIface]:
        return [n for n in self.interfaces if n.kind == "ethernet"]

    def phy_of(self, iface: NetIface) -> Phy | None:
        return self.phys.get(iface.phy) if iface.phy else None

    def can_ap(self, iface: NetIface) -> bool | None:
        """True/False from ``iw list``; None when iw could not tell."""
        phy = self.phy_of(iface)
        return None if phy is None else phy.can_ap

    def rfkill_of(self, iface: NetIface) -> Rfkill | None:
        """The interface's own switch (named after its phy), else the first wlan switch."""
        own = [r for r in self.rfkill if iface.phy and r.name == iface.phy]
        wlan = [r for r in self.rfkill if r.type == "wlan"]
        found = own or wlan
        return found[0] if found else None

    def nm_manages(self, name: str) -> bool:
        if self.nm_devices is None:
            return False
        state = self.nm_devices.get(name)
        return state is not None and state != "unmanaged"

    def dhcpcd_holds(self, name: str) -> bool:
        return "dhcpcd" in self.processes and name not in self.dhcpcd_denied

    def port53_conflicts(self) -> list[Listener]:
        """Listeners that keep simspot's dnsmasq from binding port 53 on the LAN: on a wildcard
        address (another dnsmasq, a resolver listening everywhere), not simspot's own.
        systemd-resolved's stub on 127.0.0.53 does not conflict (simspot's dnsmasq binds only
        the LAN interface)."""
        return [
            x
            for x in self.listeners53 or ()
            if x.wildcard and (x.pid is None or x.pid not in self.ours53)
        ]


def _dhcpcd_denied(etc: Path) -> set[str]:
    try:
        text = (etc / "dhcpcd.conf").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    out: set[str] = set()
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if words and words[0] == "denyinterfaces":
            out.update(words[1:])
    return out


# -- gathering from this machine ---------------------------------------------------------------
def _run(argv: list[str], timeout_s: float = 10.0) -> str | None:
    """A command's stdout, or None when it is missing or fails."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _processes(proc: Path = Path("/proc")) -> frozenset[str]:
    names: set[str] = set()
    for entry in proc.iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                names.add((entry / "comm").read_text().strip())
    return frozenset(n for n in names if n in WATCHED)


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline")
            .read_bytes()
            .replace(b"\0", b" ")
            .decode("utf-8", "replace")
        )
    except OSError:
        return ""


class _Timex(ctypes.Structure):
    # struct timex is 208 bytes on 64-bit Linux; only the return value is used here.
    _fields_ = [("modes", ctypes.c_uint), ("rest", ctypes.c_byte * 252)]


TIME_ERROR = 5  # adjtimex: the clock is not synchronised


def clock_synchronized() -> bool | None:
    """``timedatectl show -p NTPSynchronized --value``; without systemd, adjtimex(2)'s state."""
    out = _run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if out is not None and out.strip() in ("yes", "no"):
        return out.strip() == "yes"
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        state = libc.adjtimex(ctypes.byref(_Timex()))
    except (OSError, AttributeError):
        return None
    return None if state < 0 else state != TIME_ERROR


async def read_modemmanager(
    address: str | None,
) -> tuple[bool, dict[str, Any], dict[str, dict[str, Any]], str | None]:
    """(running, GetManagedObjects, SIM props by path, D-Bus error) from the bus at ``address``
    (the system bus when None)."""
    from simspot.modem.bus import Bus, DBusAbsent
    from simspot.modem.defs import MM_BUS_NAME, MM_PATH, MM_SIM, OBJECT_MANAGER
    from simspot.modem.errors import ModemError

    bus = Bus(address, timeout_s=10)
    try:
        await bus.connect()
    except ModemError as exc:
        return False, {}, {}, str(exc)
    try:
        if not await bus.name_has_owner(MM_BUS_NAME):
            return False, {}, {}, None
        try:
            (objects,) = await bus.call(MM_BUS_NAME, MM_PATH, OBJECT_MANAGER, "GetManagedObjects")
        except DBusAbsent:
            return False, {}, {}, None
        sims: dict[str, dict[str, Any]] = {}
        for path in detect.sim_paths(objects):
            with contextlib.suppress(ModemError):
                sims[path] = await bus.get_all(MM_BUS_NAME, path, MM_SIM)
        return True, dict(objects), sims, None
    except ModemError as exc:
        return False, {}, {}, str(exc)
    finally:
        bus.disconnect()


def _readers(pcscd_running: bool) -> tuple[tuple[str, ...] | None, str | None]:
    if not pcscd_running:
        return None, None
    try:
        from simspot.esim.pcsc import list_readers_sync

        return tuple(r.name for r in list_readers_sync()), None
    except ImportError:
        return None, "pyscard is not installed (pip install 'simspot[pcsc]')"
    except Exception as exc:  # a PC/SC failure is a fact to report, not a crash
        return None, str(exc)


def gather(*, dbus_address: str | None = None, root: Path = Path("/")) -> Inputs:
    """Everything from this machine (``root`` for the sysfs/etc/run trees; tests may point it
    elsewhere). D-Bus: ``dbus_address`` or DBUS_SYSTEM_BUS_ADDRESS or the system bus."""
    from simspot.esim import mbim, qmi

    processes = _processes()
    ss = _run(["ss", "-H", "-lnptu"])
    listeners = detect.parse_ss_listeners(ss or "")
    running, objects, sims, dbus_error = asyncio.run(
        read_modemmanager(dbus_address or os.environ.get("DBUS_SYSTEM_BUS_ADDRESS"))
    )
    pcscd = (root / PCSCD_SOCKET).exists() or "pcscd" in processes
    readers, readers_error = _readers(pcscd)
    ports = tuple((d.path, "qmi") for d in qmi.list_devices()) + tuple(
        (d.path, "mbim") for d in mbim.list_devices()
    )
    nm = _run(["nmcli", "-t", "-f", "DEVICE,TYPE,STATE", "device"])
    return Inputs(
        sysfs=root / "sys",
        etc=root / "etc",
        iw_list=_run(["iw", "list"]),
        iw_reg=_run(["iw", "reg", "get"]),
        nmcli_devices=nm if "NetworkManager" in processes else None,
        ss_listeners=ss,
        cmdlines={x.pid: _cmdline(x.pid) for x in listeners if x.pid is not None},
        processes=processes,
        ntp_synchronized=clock_synchronized(),
        tools={t: shutil.which(t) is not None for t in TOOLS},
        dbus_error=dbus_error,
        mm_running=running,
        mm_objects=objects,
        mm_sims=sims,
        pcscd_running=pcscd,
        readers=readers,
        readers_error=readers_error,
        control_ports=ports,
    )
