"""The "none" backend: Ethernet or USB sharing, no radio. Clients are whoever holds a lease."""

from __future__ import annotations

from simspot.hotspot.contract import ApConfig, Station


class NoAp:
    kind = "none"

    def __init__(self) -> None:
        self.config: ApConfig | None = None

    async def up(self, config: ApConfig) -> None:
        self.config = config

    async def down(self) -> None:
        self.config = None

    async def check(self) -> None:
        return None

    async def stations(self) -> list[Station] | None:
        return None  # no station table: the DHCP leases decide who is on the LAN
