"""Simulated hotspot: the access point's station list and the data plane's counters.

The simulated data plane enforces what the real one enforces (only the spec's clients forward;
block, per-client, group and total quota, a group's end time, speed caps) on the simulated traffic, so plans and the UI
behave as they do on hardware. Its clients cannot spoof addresses, so nothing is ever counted as
spoofed; a client left out of the spec counts as unknown. It runs no DHCP server: the spec's
lease classes (``known_macs``, ``refused_macs``) have nothing to act on here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import time
from collections.abc import AsyncIterator

from simspot.daemon.supervisor import Component
from simspot.dataplane.contract import (
    ClientCounter,
    ClientSpec,
    Counters,
    DataplaneEvent,
    DataplaneSpec,
    DropCounter,
    GroupCounter,
    GroupSpec,
    UplinkCounter,
)
from simspot.model import ClientInfo
from simspot.simulator.world import World
from simspot.uplink.probe import ProbeResult, Round
from simspot.uplink.settings import ProbeSettings

# Simulated L3 packets are 1400 bytes on average.
_PKT = 1400


class SimulatedStations:
    """StationSource over the simulated clients."""

    def __init__(self, world: World) -> None:
        self.world = world

    async def stations(self) -> list[ClientInfo]:
        return [
            ClientInfo(
                mac=c.mac,
                ipv4=c.ipv4,
                ipv6=c.ipv6,
                hostname=c.hostname,
                connected_since=dt.datetime.fromtimestamp(c.joined_at, dt.UTC)
                if c.joined_at
                else None,
                signal_dbm=c.signal_dbm,
            )
            for c in self.world.clients
            if c.present
        ]


class SimulatedDataPlane:
    """Counts the simulated clients' traffic per client and per uplink, enforcing the spec."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.spec: DataplaneSpec | None = None
        self._clients: dict[str, list[int]] = {}  # mac -> [rx, tx, rx_pkts, tx_pkts]
        self._uplinks: dict[str, list[int]] = {}
        self._groups: dict[str, list[int]] = {}  # group name -> [rx, tx]
        self._events: asyncio.Queue[DataplaneEvent] = asyncio.Queue()
        self._depleted: set[tuple[str, str]] = set()
        self._unknown = [0, 0]  # packets, bytes from clients the spec does not list
        self._epoch = f"simulated-{os.getpid()}-{secrets.token_hex(4)}"
        world.add_listener(self._tick)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.spec = None

    async def apply(self, spec: DataplaneSpec) -> None:
        self.spec = spec

    async def counters(self) -> Counters:
        return Counters(
            clients={
                mac: ClientCounter(mac, v[0], v[1], v[2], v[3]) for mac, v in self._clients.items()
            },
            uplinks={k: UplinkCounter(k, v[0], v[1]) for k, v in self._uplinks.items()},
            groups={k: GroupCounter(k, v[0], v[1]) for k, v in self._groups.items()},
            unknown=DropCounter(self._unknown[0], self._unknown[1]),
        )

    async def events(self) -> AsyncIterator[DataplaneEvent]:
        while True:
            yield await self._events.get()

    async def counters_epoch(self) -> str:
        # The simulated counters live and die with this object (this daemon process).
        return self._epoch

    # -- the simulated box's uplinks (simspot.uplink.links.ProbesLinks) --------------------------
    def link_up(self, interface: str) -> bool:
        return self.world.link_up(interface)

    async def probe(
        self, interface: str, probes: ProbeSettings, cache: dict[str, str] | None = None
    ) -> Round:
        """A probe round through a simulated link: answered in tens of milliseconds, or (an
        outage upstream, a link gone) nothing answers within the probes' timeout."""
        rng = self.world.rng
        kinds = [k for k, on in (("dns", probes.dns_server), ("http", probes.http_url),
                                 ("tcp", probes.tcp_target)) if on]  # fmt: skip
        if not self.world.link_answers(interface):
            await asyncio.sleep(probes.timeout_s)
            failed = tuple(ProbeResult(k, False, None, 80, "timed out") for k in kinds)
            return Round(False, 1.0, None, 80 * len(kinds), failed)
        latency = rng.uniform(25.0, 70.0)
        await asyncio.sleep(latency / 1000)
        done = tuple(ProbeResult(k, True, latency, 120) for k in kinds)
        return Round(True, 0.0, latency, 120 * len(kinds), done)

    def leases(self) -> SimulatedStations:
        return SimulatedStations(self.world)

    def components(self) -> list[Component]:
        return []

    def _spec_for(self, mac: str) -> ClientSpec | None:
        if self.spec is None:
            return None
        return next((c for c in self.spec.clients if c.mac == mac), None)

    def _group_for(self, mac: str) -> GroupSpec | None:
        if self.spec is None:
            return None
        return next((g for g in self.spec.groups if mac in g.macs), None)

    def _deplete(self, scope: str, key: str, depleted: bool) -> None:
        """Send one event when a quota runs out (as the kernel does), none while it stays out."""
        if depleted and (scope, key) not in self._depleted:
            self._depleted.add((scope, key))
            self._events.put_nowait(DataplaneEvent("quota-depleted", scope, key))  # type: ignore[arg-type]
        elif not depleted:
            self._depleted.discard((scope, key))

    def _tick(self, dt: float) -> None:
        spec = self.spec
        if spec is None:
            return
        rng = self.world.rng
        # A group's speed cap is shared by its MACs: what is left of it in this tick.
        shared: dict[tuple[str, str], float] = {}
        for g in spec.groups:
            for way, kbit in (("down", g.rate_down_kbit), ("up", g.rate_up_kbit)):
                if kbit is not None:
                    shared[(g.name, way)] = kbit * 1000 * dt / 8
        for c in self.world.clients:
            if not c.present:
                continue
            cs = self._spec_for(c.mac)
            if cs is None:  # not a client of the spec (not admitted, not approved): dropped
                sent = int(c.rate_up_bps * dt / 8)
                self._unknown[0] += -(-sent // _PKT)
                self._unknown[1] += sent
                continue
            group = self._group_for(c.mac)
            if cs.blocked or (
                group is not None
                and (group.blocked or (group.until is not None and time.time() >= group.until))
            ):
                continue
            down = c.rate_down_bps * rng.uniform(0.2, 1.8) * dt / 8
            up = c.rate_up_bps * rng.uniform(0.2, 1.8) * dt / 8
            if cs is not None and cs.rate_down_kbit is not None:
                down = min(down, cs.rate_down_kbit * 1000 * dt / 8)
            if cs is not None and cs.rate_up_kbit is not None:
                up = min(up, cs.rate_up_kbit * 1000 * dt / 8)
            if group is not None:
                if (group.name, "down") in shared:
                    down = min(down, shared[(group.name, "down")])
                    shared[(group.name, "down")] -= down
                if (group.name, "up") in shared:
                    up = min(up, shared[(group.name, "up")])
                    shared[(group.name, "up")] -= up
            want = int(down) + int(up)
            allowed = want
            row = self._clients.setdefault(c.mac, [0, 0, 0, 0])
            up_row = self._uplinks.setdefault(spec.uplink_id, [0, 0])
            # Quotas are limits on the cumulative counters (see ClientSpec.quota_bytes).
            client_used, total_used = row[0] + row[1], up_row[0] + up_row[1]
            if cs is not None and cs.quota_bytes is not None:
                allowed = min(allowed, max(0, cs.quota_bytes - client_used))
            if spec.total_quota_bytes is not None:
                allowed = min(allowed, max(0, spec.total_quota_bytes - total_used))
            g_row = self._groups.setdefault(group.name, [0, 0]) if group is not None else None
            if group is not None and g_row is not None and group.quota_bytes is not None:
                allowed = min(allowed, max(0, group.quota_bytes - g_row[0] - g_row[1]))
            if allowed < want:
                # Exactly ``allowed`` bytes, shared in proportion (whole bytes, so a quota is
                # reached to the byte, never missed by one: two rounded-down shares would stop
                # a counter one byte short of its quota, where it would stay for good).
                share_down = int(down) * allowed // want
                down, up = float(share_down), float(allowed - share_down)
                if cs is not None and cs.quota_bytes is not None:
                    self._deplete("client", c.mac, client_used + allowed >= cs.quota_bytes)
                if spec.total_quota_bytes is not None:
                    self._deplete(
                        "total", spec.uplink_id, total_used + allowed >= spec.total_quota_bytes
                    )
                if group is not None and g_row is not None and group.quota_bytes is not None:
                    g_used = g_row[0] + g_row[1]
                    self._deplete("group", group.name, g_used + allowed >= group.quota_bytes)
            d, u = int(down), int(up)
            row[0] += d
            row[1] += u
            row[2] += -(-d // _PKT)
            row[3] += -(-u // _PKT)
            up_row[0] += d
            up_row[1] += u
            if g_row is not None:
                g_row[0] += d
                g_row[1] += u
