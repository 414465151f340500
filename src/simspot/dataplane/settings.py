"""The data plane (nftables + dnsmasq) section."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator, model_validator

from simspot import registry
from simspot.configbase import Section

_IFNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@")


def check_ifname(name: str) -> str:
    """A Linux interface name: 1-15 characters, no spaces, quotes or slashes."""
    if not 1 <= len(name) <= 15 or not set(name) <= _IFNAME_CHARS or name in (".", ".."):
        raise ValueError(f"not a valid interface name: {name!r}")
    return name


class DataplaneSettings(Section):
    """How clients on the LAN side share the uplink.

    backend "simulated" counts the simulated world's traffic (demo, tests); "nft" renders the real
    ``inet simspot`` nftables table and runs dnsmasq on ``lan_interface``.
    """

    backend: str | None = None  # unset: "nft", or "simulated" with the simulator

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        return registry.check_name("dataplane", value)

    # The hotspot side: the AP interface, an Ethernet/USB port or a bridge.
    lan_interface: str = "sim-lan"
    # The uplink interface; None means the modem bearer's interface.
    uplink_interface: str | None = None
    # The router's address on the LAN with the LAN's prefix; added to lan_interface if missing.
    lan_address: str = "192.168.44.1/24"
    dhcp_start: str = "192.168.44.10"
    dhcp_end: str = "192.168.44.250"
    lease_time_s: int = Field(default=3600, ge=120, le=7 * 86400)
    # Upstream DNS servers for dnsmasq; empty means the system's resolv.conf.
    dns_servers: tuple[str, ...] = Field(default=(), max_length=8)
    dns_port: int = Field(default=53, ge=0, le=65535)  # 0: no DNS, DHCP only
    domain: str | None = "hotspot.lan"
    # DHCP option 43 "ANDROID_METERED": Android and NetworkManager treat the link as metered.
    metered: bool = True
    # Share the uplink's /64 to the LAN (RFC 7278) when it has one.
    ipv6: bool = True
    # Run dnsmasq for DHCP/DNS/RA (off when something else serves the LAN).
    dhcp: bool = True
    # Remove the table on a clean stop (a crash leaves it counting; the next start adopts it).
    remove_on_stop: bool = True
    # Run nft, ip and dnsmasq inside this network namespace (the lab's router).
    netns: str | None = None
    # Token bucket depth of a speed cap, in milliseconds of traffic at the capped rate.
    rate_burst_ms: int = Field(default=100, ge=1, le=5000)
    # IPv6 addresses (SLAAC has no lease) are bound to a MAC first-come, learned in the kernel:
    # a burst of new ones, then a steady rate per MAC; each client keeps the ones it used last.
    ipv6_learn_burst: int = Field(default=8, ge=1, le=64)
    ipv6_learn_per_minute: int = Field(default=6, ge=1, le=600)
    ipv6_per_client: int = Field(default=8, ge=1, le=64)
    # New devices: with approval on, a MAC never approved gets DHCP but no traffic until the
    # owner approves it (CLI, API, web UI). A MAC seen for the first time gets a short lease
    # (so MAC churn cannot hold the pool), and at most new_devices_per_minute new MACs are let in.
    approve_new_devices: bool = False
    new_device_lease_s: int = Field(default=600, ge=120, le=7 * 86400)
    new_devices_per_minute: int = Field(default=10, ge=1, le=1000)
    # TCP ports on the box reachable from the uplink side (every uplink, in use or on standby),
    # e.g. [22] for SSH over a wired WAN; by default nothing from an uplink reaches the box. The
    # admin page's ports cannot be opened this way.
    uplink_allow_tcp: tuple[int, ...] = Field(default=(), max_length=16)

    @field_validator("uplink_allow_tcp")
    @classmethod
    def _uplink_ports(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        for port in v:
            if not 1 <= port <= 65535:
                raise ValueError(f"{port} is not a TCP port (1-65535)")
        if len(set(v)) != len(v):
            raise ValueError("a port is listed twice")
        return v

    @field_validator("lan_interface")
    @classmethod
    def _lan(cls, v: str) -> str:
        return check_ifname(v)

    @field_validator("uplink_interface")
    @classmethod
    def _uplink(cls, v: str | None) -> str | None:
        return None if v is None else check_ifname(v)

    @field_validator("lan_address")
    @classmethod
    def _lan_address(cls, v: str) -> str:
        iface = ipaddress.IPv4Interface(v)
        if iface.network.prefixlen > 30:
            raise ValueError("the LAN needs at least a /30")
        if iface.ip in (iface.network.network_address, iface.network.broadcast_address):
            raise ValueError(f"{v} is the network or broadcast address")
        return str(iface)

    @field_validator("dhcp_start", "dhcp_end")
    @classmethod
    def _ipv4(cls, v: str) -> str:
        return str(ipaddress.IPv4Address(v))

    @field_validator("dns_servers")
    @classmethod
    def _dns(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(str(ipaddress.ip_address(s)) for s in v)

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str | None) -> str | None:
        if v is None:
            return None
        labels = v.split(".")
        if not all(lb and len(lb) <= 63 and lb.replace("-", "").isalnum() for lb in labels):
            raise ValueError(f"not a valid domain name: {v!r}")
        return v.lower()

    @field_validator("netns")
    @classmethod
    def _netns(cls, v: str | None) -> str | None:
        if v is not None and (not v or "/" in v or not set(v) <= _IFNAME_CHARS):
            raise ValueError(f"not a valid namespace name: {v!r}")
        return v

    @model_validator(mode="after")
    def _range(self) -> DataplaneSettings:
        net = ipaddress.IPv4Interface(self.lan_address).network
        start, end = ipaddress.IPv4Address(self.dhcp_start), ipaddress.IPv4Address(self.dhcp_end)
        if start not in net or end not in net:
            raise ValueError(f"dhcp_start and dhcp_end must lie in the LAN {net}")
        if start > end:
            raise ValueError("dhcp_start is after dhcp_end")
        return self
