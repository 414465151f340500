"""The simulated AP of the demo: the simulated world's clients associate with it.

It honours what a real AP does with the settings: nobody is associated while it is down, the MAC
allow and deny lists decide who may join, and no more than ``max_clients`` are associated.

Per-person keys (guest passes): when a new key is offered, a guest's phone joins with it (a new
simulated device, named by the key as hostapd names it) and stays; when the key is withdrawn
(revoked, ended) the phone is dropped, as hostapd deauthenticates the stations that used it.
"""

from __future__ import annotations

import datetime as dt

from simspot.hotspot.contract import Station
from simspot.hotspot.noneap import PassiveAp
from simspot.simulator.world import SimClient, World

GUEST_DEVICES = 40  # at most this many guests' phones (addresses .200 to .239)


class SimulatedAp(PassiveAp):
    kind = "simulated"
    mac_lists = True

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self._guest_devices: dict[str, SimClient] = {}  # key id -> the phone that joined with it

    async def stations(self) -> list[Station] | None:
        conf = self.config
        if conf is None:
            return []
        keys = self._guests_join({k.key_id for k in conf.person_keys})
        out: list[Station] = []
        for c in self.world.clients:
            if not c.present or c.mac in conf.mac_deny:
                continue
            if conf.mac_allow and c.mac not in conf.mac_allow:
                continue
            since = dt.datetime.fromtimestamp(c.joined_at, dt.UTC) if c.joined_at else None
            out.append(Station(c.mac, since, c.signal_dbm, key_id=keys.get(c.mac)))
        return out[: conf.max_clients]

    def _guests_join(self, offered: set[str]) -> dict[str, str]:
        """A phone per newly offered key joins with it; a withdrawn key's phone is dropped.

        Returns MAC -> key id of the guests' phones that are associated."""
        for key, phone in self._guest_devices.items():
            if key not in offered and phone.present:
                phone.present, phone.joined_at = False, None
        for key in sorted(offered - set(self._guest_devices)):
            n = len(self._guest_devices)
            if n >= GUEST_DEVICES:
                break
            rng = self.world.rng
            tail = ":".join(f"{rng.randrange(256):02x}" for _ in range(3))
            phone = SimClient(
                mac=f"06:9e:{n:02x}:{tail}",  # locally administered, as a randomised MAC is
                hostname=f"guest-phone-{n + 1}",
                ipv4=f"192.168.44.{200 + n}",
                ipv6=(f"2001:db8:44::{200 + n:x}",),
                rate_down_bps=rng.uniform(100e3, 400e3),
                rate_up_bps=rng.uniform(10e3, 60e3),
                present=True,
                joined_at=self.world.now,
                signal_dbm=rng.randint(-70, -45),
                pinned=True,
            )
            self.world.clients.append(phone)
            self._guest_devices[key] = phone
        return {p.mac: key for key, p in self._guest_devices.items() if p.present}
