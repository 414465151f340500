"""The Sharing component: live state -> the data plane's wanted state, applied when it changes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from simspot.dataplane.contract import ClientSpec, DataplaneSpec

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon


class Sharing:
    name = "sharing"
    interval_s = 1.0

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._applied: DataplaneSpec | None = None

    def wanted(self) -> DataplaneSpec | None:
        d = self.daemon
        modem = d.live.modem
        iccid = d.uplink_iccid()
        if modem is None or modem.bearer is None or iccid is None:
            return None
        off = not d.sharing.enabled
        clients = tuple(
            ClientSpec(mac=c.mac, ipv4=(c.ipv4,) if c.ipv4 else (), ipv6=c.ipv6, blocked=off)
            for c in sorted(d.live.clients, key=lambda c: c.mac)
        )
        settings = d.config.dataplane
        spec = DataplaneSpec(
            lan_interface=settings.lan_interface,
            uplink_interface=settings.uplink_interface or modem.bearer.interface,
            uplink_id=iccid,
            clients=clients,
            uplink_ipv6_prefix=modem.bearer.ipv6_prefix if settings.ipv6 else None,
        )
        for hook in d.spec_hooks:
            spec = hook(spec)
        return spec

    async def run(self) -> None:
        while True:
            spec = self.wanted()
            if spec is not None and spec != self._applied:
                await self.daemon.backends.dataplane.apply(spec)
                self._applied = spec
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        self._applied = None
