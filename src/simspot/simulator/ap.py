"""The simulated AP of the demo: the simulated world's clients associate with it.

It honours what a real AP does with the settings: nobody is associated while it is down, the MAC
allow and deny lists decide who may join, and no more than ``max_clients`` are associated.
"""

from __future__ import annotations

import datetime as dt

from simspot.hotspot.contract import Station
from simspot.hotspot.noneap import PassiveAp
from simspot.simulator.world import World


class SimulatedAp(PassiveAp):
    kind = "simulated"
    mac_lists = True

    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world

    async def stations(self) -> list[Station] | None:
        conf = self.config
        if conf is None:
            return []
        out: list[Station] = []
        for c in self.world.clients:
            if not c.present or c.mac in conf.mac_deny:
                continue
            if conf.mac_allow and c.mac not in conf.mac_allow:
                continue
            since = dt.datetime.fromtimestamp(c.joined_at, dt.UTC) if c.joined_at else None
            out.append(Station(c.mac, since, c.signal_dbm))
        return out[: conf.max_clients]
