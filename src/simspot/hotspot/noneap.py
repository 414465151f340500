"""Access points with no radio to drive: ``up`` and ``down`` only keep the settings.

``NoAp`` is the "none" backend (Ethernet or USB sharing: clients are whoever holds a lease); the
simulator's AP builds on ``PassiveAp`` too and adds its simulated stations.
"""

from __future__ import annotations

from simspot.hotspot.contract import ApConfig, Station


class PassiveAp:
    """An AP with nothing to start or stop: it is "up" with the settings it was given."""

    kind: str  # set by each backend (its name in simspot.registry)

    def __init__(self) -> None:
        self.config: ApConfig | None = None

    async def up(self, config: ApConfig) -> None:
        self.config = config

    async def down(self) -> None:
        self.config = None

    async def check(self) -> None:
        return None  # nothing that could have crashed


class NoAp(PassiveAp):
    kind = "none"
    mac_lists = False  # no radio: the data plane blocks listed clients

    async def stations(self) -> list[Station] | None:
        return None  # no station table: the DHCP leases decide who is on the LAN
