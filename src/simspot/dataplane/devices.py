"""New devices on the hotspot: remembered, admitted at a bounded rate, optionally approved.

Every MAC that holds a lease is a device, remembered in the ``dataplane_device`` table (bounded:
the ones seen longest ago are forgotten first, approved ones last). A spec hook turns them into
what the data plane enforces:

- at most ``new_devices_per_minute`` MACs never seen before are let in per minute; the rest get
  no forwarding and no DHCP renewal (``DataplaneSpec.refused_macs``) until a later minute has
  room, so MAC churn cannot take the LAN over;
- with ``approve_new_devices`` a device gets DHCP but no forwarding until the owner approves it
  (CLI, API, web UI), with its hostname and vendor shown;
- a device first seen less than one short lease ago gets the short lease
  (``new_device_lease_s``); devices seen before and approved ones get the full lease
  (``DataplaneSpec.known_macs``), so churned MACs give their addresses back soon.

Blocks, caps and approval are per MAC: a device that changes its MAC is a new device (held for
approval again when approval is on). A key per person that survives MAC changes is the guest
pass (issue 14).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import ipaddress
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simspot.dataplane.contract import DataplaneSpec
from simspot.errors import SimspotValueError
from simspot.ident import normal_mac

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

MIGRATIONS = (
    """
    CREATE TABLE dataplane_device (
        mac TEXT PRIMARY KEY,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        hostname TEXT,
        approved INTEGER NOT NULL DEFAULT 0,
        admitted REAL
    );
    """,
)
MAX_DEVICES = 2048  # remembered devices; beyond, the least recently seen unapproved go
OUI_FILE = Path("/usr/share/ieee-data/oui.csv")  # Debian's ieee-data (IEEE's MA-L registry)
_LAST_SEEN_WRITE_S = 60.0  # last_seen is written at most this often per device


@functools.cache
def _oui_table(path: Path) -> dict[str, str]:
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            return {
                row[1].upper(): row[2].strip()
                for row in csv.reader(fh)
                if len(row) >= 3 and len(row[1]) == 6
            }
    except OSError:
        return {}


def vendor(mac: str, oui_file: Path = OUI_FILE) -> str:
    """The organisation IEEE registered the MAC's first three bytes to, when that can be known."""
    first = int(mac[:2], 16)
    if first & 0x02:
        return "private address (randomised by the device)"
    return _oui_table(oui_file).get(mac[:8].replace(":", "").upper(), "unknown vendor")


@dataclasses.dataclass
class Device:
    mac: str
    first_seen: float
    last_seen: float
    hostname: str | None
    approved: bool
    admitted: float | None  # when it was let in under the new-device rate (None: not yet)


class DeviceRegistry:
    """The devices table, the new-device rate and approval, as a spec hook plus a small API."""

    def __init__(self, daemon: Daemon, clock: Callable[[], float] = time.time) -> None:
        store = daemon.store
        if store is None:
            raise SimspotValueError(msg_id="plan.no-store")
        self.daemon = daemon
        self.store = store
        self.clock = clock
        store.migrate("dataplane", MIGRATIONS)
        self._devices = self._load()
        self._admitted: deque[float] = deque(
            sorted(d.admitted for d in self._devices.values() if d.admitted is not None)[-1000:]
        )

    @property
    def settings(self) -> Any:
        return self.daemon.config.dataplane

    def _load(self) -> dict[str, Device]:
        rows = self.store.db.execute(
            "SELECT mac, first_seen, last_seen, hostname, approved, admitted FROM dataplane_device"
        ).fetchall()
        return {r[0]: Device(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows}

    def _save(self, d: Device) -> None:
        with self.store.lock:
            self.store.db.execute(
                "INSERT INTO dataplane_device (mac, first_seen, last_seen, hostname, approved,"
                " admitted) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(mac) DO UPDATE SET"
                " last_seen = excluded.last_seen, hostname = excluded.hostname,"
                " approved = excluded.approved, admitted = excluded.admitted",
                (d.mac, d.first_seen, d.last_seen, d.hostname, int(d.approved), d.admitted),
            )

    def _forget_oldest(self) -> None:
        excess = len(self._devices) - MAX_DEVICES
        if excess <= 0:
            return
        present = {c.mac for c in self.daemon.live.clients}
        candidates = sorted(
            (d for d in self._devices.values() if d.mac not in present),
            key=lambda d: (d.approved, d.last_seen),
        )[:excess]
        with self.store.lock:
            for d in candidates:
                self.store.db.execute("DELETE FROM dataplane_device WHERE mac = ?", (d.mac,))
                del self._devices[d.mac]

    # -- seen ----------------------------------------------------------------------------------
    def observe(self) -> None:
        """Record the devices present now; let new ones in while the minute has room."""
        now = self.clock()
        while self._admitted and self._admitted[0] <= now - 60:
            self._admitted.popleft()
        cap = int(self.settings.new_devices_per_minute)
        for c in sorted(self.daemon.live.clients, key=lambda c: c.mac):
            d = self._devices.get(c.mac)
            new = d is None
            if d is None:
                d = self._devices[c.mac] = Device(c.mac, now, now, c.hostname, False, None)
            changed = new or d.hostname != c.hostname or now - d.last_seen >= _LAST_SEEN_WRITE_S
            d.hostname, d.last_seen = c.hostname, now if changed else d.last_seen
            if d.admitted is None and len(self._admitted) < cap:
                d.admitted = now
                self._admitted.append(now)
                changed = True
            if new:
                self.daemon.bus.publish(
                    "device.new",
                    {
                        "mac": c.mac,
                        "hostname": c.hostname,
                        "vendor": vendor(c.mac),
                        "admitted": d.admitted is not None,
                        "needs_approval": bool(self.settings.approve_new_devices),
                    },
                )
            if changed:
                self._save(d)
        self._forget_oldest()

    def allowed(self, mac: str) -> bool:
        d = self._devices.get(mac)
        if d is None or d.admitted is None:
            return False
        return d.approved or not self.settings.approve_new_devices

    def spec_hook(self, spec: DataplaneSpec) -> DataplaneSpec:
        """Only admitted (and, with approval on, approved) devices forward; lease classes."""
        self.observe()
        now = self.clock()
        short = float(self.settings.new_device_lease_s)
        known = tuple(
            sorted(
                d.mac
                for d in self._devices.values()
                if d.admitted is not None and (d.approved or now - d.first_seen >= short)
            )
        )
        refused = tuple(sorted(m for m, d in self._devices.items() if d.admitted is None))
        return dataclasses.replace(
            spec,
            clients=tuple(c for c in spec.clients if self.allowed(c.mac)),
            known_macs=known,
            refused_macs=refused,
        )

    # -- the owner's side --------------------------------------------------------------------
    def _mac(self, mac: str) -> str:
        m = normal_mac(mac)
        if m is None:
            raise SimspotValueError(
                field="mac", msg_id="error.mac", params={"field": "mac", "value": repr(mac[:40])}
            )
        return m

    def set_approved(self, mac: str, approved: bool) -> dict[str, Any]:
        m = self._mac(mac)
        now = self.clock()
        d = self._devices.get(m) or Device(m, now, now, None, False, now)
        d.approved = approved
        if approved and d.admitted is None:
            d.admitted = now  # the owner's word lets it in, whatever the minute's count
        self._devices[m] = d
        self._save(d)
        self._forget_oldest()
        self.daemon.bus.publish("device.approved" if approved else "device.unapproved", {"mac": m})
        return self.describe(d)

    def pool(self) -> dict[str, int]:
        s = self.settings
        start, end = ipaddress.IPv4Address(s.dhcp_start), ipaddress.IPv4Address(s.dhcp_end)
        used = sum(
            1
            for c in self.daemon.live.clients
            if c.ipv4 and start <= ipaddress.IPv4Address(c.ipv4) <= end
        )
        return {"size": int(end) - int(start) + 1, "used": used}

    def describe(self, d: Device) -> dict[str, Any]:
        if d.admitted is None:
            state = "held"  # over the new-device rate; let in when a minute has room
        elif d.approved:
            state = "approved"
        elif self.settings.approve_new_devices:
            state = "waiting"
        else:
            state = "allowed"
        return {
            "mac": d.mac,
            "hostname": d.hostname,
            "vendor": vendor(d.mac),
            "first_seen": d.first_seen,
            "last_seen": d.last_seen,
            "approved": d.approved,
            "state": state,
            "present": any(c.mac == d.mac for c in self.daemon.live.clients),
        }

    def listing(self) -> dict[str, Any]:
        devices = sorted(self._devices.values(), key=lambda d: -d.last_seen)
        return {
            "approve_new_devices": bool(self.settings.approve_new_devices),
            "new_devices_per_minute": int(self.settings.new_devices_per_minute),
            "pool": self.pool(),
            "devices": [self.describe(d) for d in devices],
        }
