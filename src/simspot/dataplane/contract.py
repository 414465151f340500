"""The data-plane contract: wanted state in, kernel counters and events out.

The real implementation renders one nftables table (``inet simspot``) and runs dnsmasq; the
simulated one (``simspot.simulator.clients.SimulatedDataPlane``) counts the simulated clients' traffic the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from simspot.contracts import Lifecycle, StationSource

if TYPE_CHECKING:
    from simspot.daemon.supervisor import Component


@dataclass(frozen=True)
class ClientSpec:
    mac: str
    ipv4: tuple[str, ...] = ()
    ipv6: tuple[str, ...] = ()
    blocked: bool = False
    # Cut the client off once its cumulative counter (rx + tx bytes, as ``counters()`` reports
    # them, which only grow) exceeds this value; None = no per-client quota. Expressing the limit
    # against the cumulative counter keeps the spec stable between polls: the plans layer computes
    # it as counter_now + remaining allowance and only changes it on a correction or a new cycle.
    quota_bytes: int | None = None
    rate_down_kbit: int | None = None
    rate_up_kbit: int | None = None


@dataclass(frozen=True)
class GroupSpec:
    """Several clients limited as one (a guest pass and every MAC that joined with its key).

    Every packet of a member MAC is charged to the group's own counter and quota as well as to
    the client's: the group's allowance is shared by its MACs, whatever the client's own limits.
    """

    name: str  # 1-16 of a-z0-9 (kernel object names are built from it)
    macs: tuple[str, ...] = ()
    # Against the group's cumulative counter (rx + tx of all its MACs, as ``counters()`` reports
    # it in ``groups``), like ``ClientSpec.quota_bytes``; None = no group quota.
    quota_bytes: int | None = None
    # Unix time from which the group's clients forward nothing (checked by the kernel's clock,
    # so the group ends on time without the daemon); None = no end.
    until: int | None = None
    blocked: bool = False
    # Speed caps shared by the group's MACs together (one token bucket per direction in the
    # kernel), in kbit/s; None = no group cap. A member's own caps apply as well.
    rate_down_kbit: int | None = None
    rate_up_kbit: int | None = None


@dataclass(frozen=True)
class OtherUplink:
    """A hot uplink besides the one in use: its traffic is NAT'd, filtered and billed to its own
    identity whenever the kernel routes through it (a switch in progress, a route moved by the
    uplink executor or by the kernel itself), so no byte goes unbilled or to the wrong uplink."""

    interface: str
    uplink_id: str


@dataclass(frozen=True)
class DataplaneSpec:
    """Everything the data plane should be, as plain data (rendered, applied, verified)."""

    lan_interface: str
    uplink_interface: str
    uplink_id: str  # identity billed for uplink traffic: the ICCID in use
    clients: tuple[ClientSpec, ...] = ()
    # The same for the whole hotspot against this uplink's cumulative counter (rx + tx).
    total_quota_bytes: int | None = None
    # The uplink's IPv6 /64 (e.g. "2001:db8:1:2::/64"), shared to the LAN by RFC 7278; None: the
    # real data plane looks for a /64 on the uplink interface itself.
    uplink_ipv6_prefix: str | None = None
    # DHCP: devices seen before get the full lease, any other MAC a short one (first seen); the
    # refused ones get no lease at all (over the new-device rate). A data plane without a DHCP
    # server of its own (the simulated one) has nothing to apply these to.
    known_macs: tuple[str, ...] = ()
    refused_macs: tuple[str, ...] = ()
    # Clients limited together (guest passes); a MAC is in at most one group.
    groups: tuple[GroupSpec, ...] = ()
    # Every other hot uplink (the uplink layer adds them): each byte is billed by the interface
    # it went through. The total quota applies to ``uplink_id``'s traffic only.
    other_uplinks: tuple[OtherUplink, ...] = ()


@dataclass(frozen=True)
class ClientCounter:
    mac: str
    rx_bytes: int = 0  # to the client (download)
    tx_bytes: int = 0  # from the client (upload)
    rx_packets: int = 0
    tx_packets: int = 0


@dataclass(frozen=True)
class UplinkCounter:
    uplink_id: str
    rx_bytes: int = 0
    tx_bytes: int = 0


@dataclass(frozen=True)
class GroupCounter:
    name: str
    rx_bytes: int = 0
    tx_bytes: int = 0


@dataclass(frozen=True)
class DropCounter:
    packets: int = 0
    bytes: int = 0


@dataclass(frozen=True)
class Counters:
    clients: dict[str, ClientCounter] = field(default_factory=dict)
    uplinks: dict[str, UplinkCounter] = field(default_factory=dict)
    groups: dict[str, GroupCounter] = field(default_factory=dict)
    # Packets from the LAN the data plane dropped and billed to nobody (cumulative, like the rest):
    # from a MAC that is not a client (no lease, not approved), ...
    unknown: DropCounter = DropCounter()
    # ... from a client's MAC with an address not bound to it (someone else's, or made up), ...
    spoofed: DropCounter = DropCounter()
    # ... and with a new IPv6 source while the client was over its learning rate.
    learn_limited: DropCounter = DropCounter()


@dataclass(frozen=True)
class DataplaneEvent:
    kind: Literal["quota-depleted"]
    scope: Literal["client", "total", "group"]
    key: str  # client MAC, uplink id for the total, group name for a group


class DataPlane(Lifecycle, Protocol):
    async def apply(self, spec: DataplaneSpec) -> None:
        """Make the data plane match ``spec`` atomically, or raise and leave it as it was."""

    async def counters(self) -> Counters:
        """Cumulative counters since the table was created (they survive daemon restarts)."""

    def events(self) -> AsyncIterator[DataplaneEvent]:
        """Kernel events (quota depletion), as they happen."""

    async def counters_epoch(self) -> str:
        """Which set of counters this is: a new value means they restarted from zero."""

    def leases(self) -> StationSource:
        """Who holds an address on the LAN (DHCP leases): addresses and hostnames of clients."""

    def components(self) -> list[Component]:
        """Processes the daemon supervises for this data plane (dnsmasq, the quota monitor)."""
