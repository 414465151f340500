"""What the box has, from raw inputs: pure functions over a sysfs tree, command output and D-Bus
answers (gathered by ``simspot.setup.probe``).

Sources: ``/sys/class/net/*`` (interface kind, driver, carrier, ``phy80211``),
``/sys/class/rfkill/*`` (``name`` is the phy, ``soft``/``hard`` the blocks),
``/sys/class/power_supply/*`` (``type`` Battery), ``iw list`` (supported interface modes and
frequencies per phy), ``iw reg get`` (the regulatory country), ``nmcli -t -f DEVICE,TYPE,STATE
device`` (what NetworkManager manages), ``ss -H -lnptu`` (who listens on port 53) and
ModemManager's ``GetManagedObjects`` with each SIM's properties.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simspot.modem.defs import (
    MM_MODEM,
    NO_OBJECT,
    MMModemLock,
    ModemProps,
    SimProps,
    lock_name,
)

# ModemManager's MMModemPortType values that matter here.
PORT_AT, PORT_QMI, PORT_MBIM = 3, 6, 7
_WWAN_DRIVERS = frozenset({"qmi_wwan", "cdc_mbim", "cdc_ncm", "cdc_ether", "mhi_net", "option"})


# -- sysfs -------------------------------------------------------------------------------------
def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _link_name(path: Path) -> str | None:
    try:
        return path.resolve(strict=True).name
    except OSError:
        return None


def _uevent(path: Path) -> dict[str, str]:
    text = _read(path / "uevent") or ""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key] = value
    return out


@dataclass(frozen=True)
class NetIface:
    name: str
    kind: str  # "wifi", "ethernet", "wwan", "other"
    driver: str | None
    carrier: bool
    phy: str | None = None  # wifi: the phy (phy0)


def net_interfaces(sysfs: Path) -> list[NetIface]:
    """Network interfaces with a physical device (virtual ones, lo, bridges and veths left out)."""
    base = sysfs / "class" / "net"
    out: list[NetIface] = []
    if not base.is_dir():
        return out
    for entry in sorted(base.iterdir()):
        if not (entry / "device").exists():
            continue  # lo, bridges, veth, tun: nothing to detect
        uevent = _uevent(entry)
        devtype = uevent.get("DEVTYPE", "")
        driver = _link_name(entry / "device" / "driver")
        phy = _read(entry / "phy80211" / "name") if (entry / "phy80211").exists() else None
        if phy is not None or devtype == "wlan" or (entry / "wireless").exists():
            kind = "wifi"
        elif devtype == "wwan" or (driver in _WWAN_DRIVERS) or entry.name.startswith("wwan"):
            kind = "wwan"
        elif _read(entry / "type") == "1":
            kind = "ethernet"
        else:
            kind = "other"
        out.append(NetIface(entry.name, kind, driver, _read(entry / "carrier") == "1", phy))
    return out


@dataclass(frozen=True)
class Rfkill:
    name: str  # the phy for Wi-Fi (phy0), or a device name
    type: str  # "wlan", "bluetooth", "wwan", ...
    soft: bool
    hard: bool


def rfkill_switches(sysfs: Path) -> list[Rfkill]:
    base = sysfs / "class" / "rfkill"
    out: list[Rfkill] = []
    if not base.is_dir():
        return out
    for entry in sorted(base.iterdir()):
        out.append(
            Rfkill(
                name=_read(entry / "name") or entry.name,
                type=_read(entry / "type") or "unknown",
                soft=_read(entry / "soft") == "1",
                hard=_read(entry / "hard") == "1",
            )
        )
    return out


@dataclass(frozen=True)
class Battery:
    name: str
    capacity_percent: int | None


def batteries(sysfs: Path) -> list[Battery]:
    """System batteries (a mouse's or a phone's battery has scope Device and is left out)."""
    base = sysfs / "class" / "power_supply"
    out: list[Battery] = []
    if not base.is_dir():
        return out
    for entry in sorted(base.iterdir()):
        if _read(entry / "type") != "Battery" or _read(entry / "scope") == "Device":
            continue
        capacity = _read(entry / "capacity")
        out.append(Battery(entry.name, int(capacity) if capacity and capacity.isdigit() else None))
    return out


# -- iw ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Phy:
    name: str
    modes: frozenset[str]  # "AP", "managed", "monitor", ...
    bands: frozenset[str]  # "2.4", "5", "6": bands with at least one enabled frequency

    @property
    def can_ap(self) -> bool:
        return "AP" in self.modes


_WIPHY = re.compile(r"^Wiphy (\S+)")
_FREQ = re.compile(r"^\s*\*\s*(\d+(?:\.\d+)?)\s*MHz(.*)$")
_MODE = re.compile(r"^\s*\*\s*(\S.*?)\s*$")


def parse_iw_list(text: str) -> dict[str, Phy]:
    """Each phy of ``iw list``: its supported interface modes and usable bands."""
    phys: dict[str, Phy] = {}
    name: str | None = None
    modes: set[str] = set()
    bands: set[str] = set()
    section = ""

    def flush() -> None:
        if name is not None:
            phys[name] = Phy(name, frozenset(modes), frozenset(bands))

    for line in text.splitlines():
        m = _WIPHY.match(line)
        if m:
            flush()
            name, modes, bands, section = m.group(1), set(), set(), ""
            continue
        stripped = line.strip()
        indent = len(line) - len(line.lstrip("\t "))
        if stripped.endswith(":") and not stripped.startswith("*"):
            section = stripped[:-1]
            continue
        if section == "Supported interface modes" and indent >= 1:
            mm = _MODE.match(line)
            if mm:
                modes.add(mm.group(1))
                continue
        fm = _FREQ.match(line)
        if fm and section == "Frequencies" and "disabled" not in fm.group(2):
            mhz = float(fm.group(1))
            if 2400 <= mhz < 2500:
                bands.add("2.4")
            elif 5150 <= mhz < 5925:
                bands.add("5")
            elif 5925 <= mhz < 7125:
                bands.add("6")
        elif not stripped.startswith("*") and indent <= 1:
            section = stripped.rstrip(":") if stripped.endswith(":") else ""
    flush()
    return phys


_COUNTRY = re.compile(r"^country (\w\w):")


def parse_iw_reg(text: str) -> str | None:
    """The global regulatory country of ``iw reg get`` (None when unset: ``00``)."""
    for line in text.splitlines():
        if line.startswith("phy#"):
            break  # per-phy sections follow the global one
        m = _COUNTRY.match(line.strip())
        if m:
            code = m.group(1).upper()
            return None if code in ("00", "99") else code
    return None


# -- NetworkManager, listeners -----------------------------------------------------------------
def parse_nmcli_devices(text: str) -> dict[str, str]:
    """``nmcli -t -f DEVICE,TYPE,STATE device``: interface -> state ("unmanaged", "connected"...)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = re.split(r"(?<!\\):", line.strip())
        if len(parts) >= 3 and parts[0]:
            out[parts[0].replace("\\:", ":")] = parts[2]
    return out


@dataclass(frozen=True)
class Listener:
    proto: str  # "udp" or "tcp"
    address: str  # "0.0.0.0", "127.0.0.53", "::", "*"
    process: str | None  # command name, when ss could tell
    pid: int | None

    @property
    def wildcard(self) -> bool:
        return self.address in ("0.0.0.0", "::", "*", "[::]")  # noqa: S104 (a check, no bind)


_USERS = re.compile(r'\(\("([^"]+)",pid=(\d+)')


def parse_ss_listeners(text: str, port: int = 53) -> list[Listener]:
    """Listeners on ``port`` from ``ss -H -lnptu`` (Netid State Recv-Q Send-Q Local Peer users)."""
    out: list[Listener] = []
    for line in text.splitlines():
        cols = line.split()
        if len(cols) < 5:
            continue
        local = cols[4]
        host, _, lport = local.rpartition(":")
        if lport != str(port):
            continue
        host = host.strip("[]").split("%", 1)[0]
        users = _USERS.search(line)
        out.append(
            Listener(
                cols[0],
                host or "*",
                users.group(1) if users else None,
                int(users.group(2)) if users else None,
            )
        )
    return out


# -- ModemManager ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SlotFacts:
    index: int
    present: bool
    active: bool
    euicc: bool
    iccid: str | None = None
    operator: str | None = None


@dataclass(frozen=True)
class ModemFacts:
    path: str
    manufacturer: str | None
    model: str | None
    lock: str  # "none", "sim-pin", "sim-puk", ...
    retries: int | None
    slots: tuple[SlotFacts, ...]
    ports: tuple[tuple[str, int], ...] = ()  # (name, MMModemPortType)

    @property
    def locked(self) -> bool:
        return self.lock not in ("none", "unknown")

    @property
    def has_euicc(self) -> bool:
        return any(s.euicc for s in self.slots)

    def port(self, kind: int) -> str | None:
        """The device path of the modem's first port of a kind (PORT_QMI, PORT_MBIM, PORT_AT)."""
        for name, t in self.ports:
            if t == kind:
                return f"/dev/{name}"
        return None


def modems_from(
    objects: Mapping[str, Any], sims: Mapping[str, Mapping[str, Any]]
) -> list[ModemFacts]:
    """Modems from ModemManager's ``GetManagedObjects`` (unwrapped) and the SIM objects' props."""
    out: list[ModemFacts] = []
    for path in sorted(p for p, ifaces in objects.items() if MM_MODEM in ifaces):
        raw = objects[path][MM_MODEM]
        modem = ModemProps.parse(raw)
        multi = bool(modem.sim_slots)
        paths = modem.sim_slots if multi else ((modem.sim,) if modem.sim else ())
        slots = []
        for index, sim_path in enumerate(paths, 1):
            props = sims.get(sim_path)
            if sim_path == NO_OBJECT or props is None:
                slots.append(SlotFacts(index, present=False, active=False, euicc=False))
                continue
            sim = SimProps.parse(props)
            slots.append(
                SlotFacts(
                    index,
                    present=True,
                    active=(modem.primary_sim_slot == index) if multi else True,
                    euicc=sim.is_euicc,
                    iccid=sim.iccid,
                    operator=sim.operator_name,
                )
            )
        ports = tuple((str(name), int(kind)) for name, kind in raw.get("Ports") or ())
        lock = modem.unlock_required
        out.append(
            ModemFacts(
                path=path,
                manufacturer=modem.manufacturer,
                model=modem.model,
                lock=lock_name(lock) if lock != MMModemLock.UNKNOWN else "unknown",
                retries=modem.unlock_retries.get(lock),
                slots=tuple(slots),
                ports=ports,
            )
        )
    return out


def sim_paths(objects: Mapping[str, Any]) -> list[str]:
    """The SIM object paths the modems refer to (to fetch with Properties.GetAll)."""
    paths: set[str] = set()
    for ifaces in objects.values():
        if MM_MODEM in ifaces:
            modem = ModemProps.parse(ifaces[MM_MODEM])
            paths.update(p for p in modem.sim_slots if p != NO_OBJECT)
            if modem.sim:
                paths.add(modem.sim)
    return sorted(paths)
