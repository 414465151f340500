"""The Sharing component: live state -> the data plane's wanted state, applied when it changes.

Addresses come from the station list (DHCP leases, IPv6 sources the kernel learned first-come).
Two MACs claiming one address never stop sharing: the address stays with the MAC that had it in
the spec applied last (else with the one listed first), the other client keeps its other
addresses, and the conflict is published once as ``dataplane.address-conflict`` naming both.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simspot.dataplane.contract import ClientSpec, DataplaneSpec
from simspot.model import ClientInfo

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

log = logging.getLogger(__name__)

# Conflicts remembered so each is reported once (oldest forgotten first).
_REPORTED_MAX = 1024


@dataclass(frozen=True)
class Conflict:
    address: str
    owner: str  # the MAC that keeps it
    claimant: str  # the MAC that also claimed it


def bind_addresses(
    clients: Iterable[ClientInfo], owners: Mapping[str, str]
) -> tuple[list[ClientSpec], list[Conflict]]:
    """One ClientSpec per MAC with each address given to exactly one MAC; never raises.

    ``owners`` maps addresses to the MAC they were bound to in the spec applied last: that MAC
    keeps the address. Malformed addresses are left out (they cannot be bound in the kernel).
    """
    ordered = sorted(clients, key=lambda c: c.mac)
    claims: dict[str, list[str]] = {}
    wanted: dict[str, tuple[list[str], list[str]]] = {}
    for c in ordered:
        if c.mac in wanted:
            continue
        v4: list[str] = []
        v6: list[str] = []
        for raw in ((c.ipv4,) if c.ipv4 else ()) + tuple(c.ipv6):
            try:
                ip = ipaddress.ip_address(raw)
            except ValueError:
                continue
            (v4 if ip.version == 4 else v6).append(str(ip))
            claims.setdefault(str(ip), []).append(c.mac)
        wanted[c.mac] = (v4, v6)
    winner: dict[str, str] = {}
    conflicts: list[Conflict] = []
    for addr, macs in claims.items():
        unique = list(dict.fromkeys(macs))
        owner = owners.get(addr)
        keep = owner if owner in unique else unique[0]
        winner[addr] = keep
        conflicts.extend(Conflict(addr, keep, m) for m in unique if m != keep)
    specs = [
        ClientSpec(
            mac=mac,
            ipv4=tuple(a for a in dict.fromkeys(v4) if winner[a] == mac),
            ipv6=tuple(sorted(a for a in set(v6) if winner[a] == mac)),
        )
        for mac, (v4, v6) in wanted.items()
    ]
    return specs, sorted(conflicts, key=lambda c: (c.address, c.claimant))


class Sharing:
    name = "sharing"
    interval_s = 1.0

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self._applied: DataplaneSpec | None = None
        self._reported: OrderedDict[Conflict, None] = OrderedDict()

    def _owners(self) -> dict[str, str]:
        spec = self._applied
        if spec is None:
            return {}
        return {a: c.mac for c in spec.clients for a in (*c.ipv4, *c.ipv6)}

    def _report(self, conflicts: list[Conflict]) -> None:
        for c in conflicts:
            if c in self._reported:
                continue
            self._reported[c] = None
            if len(self._reported) > _REPORTED_MAX:
                self._reported.popitem(last=False)
            self.daemon.bus.publish(
                "dataplane.address-conflict",
                {"address": c.address, "owner": c.owner, "claimant": c.claimant},
            )

    def wanted(self) -> DataplaneSpec | None:
        d = self.daemon
        uplink = d.uplink()
        off = not d.sharing.enabled
        if uplink is None:
            last = self._applied
            if last is None:
                return None  # nothing applied yet: nothing is forwarded anyway
            # The way out is gone (the modem lost its bearer, the policy dropped the only
            # uplink): keep the last table but forward nothing, never the old spec's traffic.
            uplink = (last.uplink_interface, last.uplink_id, last.uplink_ipv6_prefix)
            off = True
        interface, uplink_id, ipv6_prefix = uplink
        bound, conflicts = bind_addresses(d.live.clients, self._owners())
        self._report(conflicts)
        clients = tuple(ClientSpec(mac=c.mac, ipv4=c.ipv4, ipv6=c.ipv6, blocked=off) for c in bound)
        settings = d.config.dataplane
        spec = DataplaneSpec(
            lan_interface=settings.lan_interface,
            uplink_interface=interface,
            uplink_id=uplink_id,
            clients=clients,
            uplink_ipv6_prefix=ipv6_prefix if settings.ipv6 else None,
        )
        for hook in d.spec_hooks:
            spec = hook(spec)
        return spec

    async def run(self) -> None:
        await self.daemon.backend_ready("dataplane")  # its start checks the host first
        while True:
            spec = self.wanted()
            if spec is not None and spec != self._applied:
                await self.daemon.backends.dataplane.apply(spec)
                self._applied = spec
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        self._applied = None
