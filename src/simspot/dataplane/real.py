"""The real data plane: the ``inet simspot`` nftables table, dnsmasq, RFC 7278 IPv6 sharing.

``NftDataPlane`` implements ``simspot.dataplane.contract.DataPlane``. Every ``apply`` first checks
the inputs against the real system (interfaces exist, the LAN does not overlap the uplink, no
foreign table named like ours) and only then changes anything; the table itself is applied in one
transaction, read back, verified and rolled back on mismatch (see ``nft.NftTable``).

Its long-running parts (``nft monitor`` for quota depletion, dnsmasq) are components for the
daemon's supervisor (``components()``; ``simspot.dataplane.capability`` adds them).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import secrets
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from simspot.dataplane import nftrender as R
from simspot.dataplane.contract import Counters, DataplaneEvent, DataplaneSpec
from simspot.dataplane.dnsmasq import Dnsmasq, LeaseStations, render_config
from simspot.dataplane.nft import NftTable, QuotaMonitor, Runner, find_tool
from simspot.dataplane.settings import DataplaneSettings
from simspot.errors import DataplaneError
from simspot.fsutil import write_atomic

log = logging.getLogger(__name__)


class NftDataPlane:
    """DataPlane over nftables and dnsmasq, optionally inside a network namespace."""

    def __init__(
        self,
        settings: DataplaneSettings,
        state_dir: Path,
        admin_ports: Sequence[int] = (),
        wan_interfaces: Sequence[str] = (),
    ) -> None:
        self.settings = settings
        self.state_dir = state_dir / "dataplane"
        self.runner = Runner(settings.netns)
        self.table = NftTable(
            self.runner,
            R.RenderOptions(
                rate_burst_ms=settings.rate_burst_ms,
                epoch=secrets.token_hex(8),
                learn6_burst=settings.ipv6_learn_burst,
                learn6_per_minute=settings.ipv6_learn_per_minute,
                firewall=R.Firewall(
                    admin_ports=tuple(admin_ports),
                    dns_port=settings.dns_port,
                    dhcp=settings.dhcp,
                    wan_interfaces=tuple(wan_interfaces),
                    uplink_tcp_ports=settings.uplink_allow_tcp,
                ),
            ),
        )
        self.monitor = QuotaMonitor(self.runner)
        self.dnsmasq = Dnsmasq(self.runner, self.state_dir)
        self.spec: DataplaneSpec | None = None
        self._lan_v6: tuple[str, str] | None = None  # (address/64, interface) we added
        self._lan_v4_added: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def components(self) -> list[Any]:
        return [self.monitor, self.dnsmasq] if self.settings.dhcp else [self.monitor]

    def leases(self) -> LeaseStations:
        return LeaseStations(self.dnsmasq.lease_path, self.runner, self.settings.ipv6_per_client)

    async def start(self) -> None:
        """Check the tools and that the table is ours (a crashed run's table is adopted)."""
        for tool in ("nft", "ip", "sysctl", *(("dnsmasq",) if self.settings.dhcp else ())):
            find_tool(tool)
        running = await self.table.check_no_foreign()
        if running is not None:
            log.info("adopting the running simspot table; its counters are kept")
        # A run that crashed left its changes recorded: they are still ours to undo.
        before = self._before()
        if self._lan_v4_added is None and isinstance(before.get("lan_v4"), str):
            self._lan_v4_added = before["lan_v4"]
        v6 = before.get("lan_v6")
        if self._lan_v6 is None and isinstance(v6, list) and len(v6) == 2:
            self._lan_v6 = (str(v6[0]), str(v6[1]))

    async def stop(self) -> None:
        if self.settings.remove_on_stop:
            await self.table.remove()
            await self._pin_neighbours(None)
            await self._unshare_ipv6()
            if self._lan_v4_added is not None:
                await self.runner.run(
                    "ip", "addr", "del", self._lan_v4_added, "dev", self.settings.lan_interface
                )
                self._lan_v4_added = None
            await self._restore_sysctls()
        self.table.close()
        self.spec = None

    # -- the contract ------------------------------------------------------------------------
    async def apply(self, spec: DataplaneSpec) -> None:
        lan, up = spec.lan_interface, spec.uplink_interface
        R.render(spec)  # a bad spec is refused before anything is looked at or changed
        links = await self._links()
        for msg_id, name in (
            ("dataplane.unknown-lan-interface", lan),
            ("dataplane.unknown-uplink-interface", up),
        ):
            if name not in links:
                raise DataplaneError(msg_id=msg_id, params={"name": repr(name)})
        addrs = await self._addresses(up)
        lan_net = ipaddress.IPv4Interface(self.settings.lan_address).network
        for a in addrs:
            if a.version == 4 and a.network.overlaps(lan_net):
                raise DataplaneError(
                    msg_id="dataplane.subnet-overlap",
                    params={"lan": str(lan_net), "uplink": up, "network": str(a.network)},
                )
        v6_net = self._uplink_prefix(spec, addrs)
        # Checks passed: now change things, the table first (it refuses foreign tables itself).
        await self.table.apply(spec)
        self.monitor.uplink_ids[R.uplink_key(spec.uplink_id)] = spec.uplink_id
        await self._sysctl("net.ipv4.ip_forward", "1")
        await self._ensure_lan_v4(lan)
        lan_v6 = await self._share_ipv6(lan, up, v6_net, addrs)
        await self._pin_neighbours(spec)
        if self.settings.dhcp:
            self.dnsmasq.configure(
                render_config(
                    self.settings, self.state_dir, lan_v6, spec.known_macs, spec.refused_macs
                )
            )
        self.spec = spec

    async def counters(self) -> Counters:
        return await self.table.counters()

    def events(self) -> AsyncIterator[DataplaneEvent]:
        return self.monitor.events()

    async def counters_epoch(self) -> str:
        """The running table's identity: it changes exactly when the counters restart from zero."""
        running = await self.table.read()
        return (running.epoch if running else None) or "no-table"

    # -- helpers -----------------------------------------------------------------------------
    @property
    def _pinned_path(self) -> Path:
        return self.state_dir / "neighbours.json"

    async def _pin_neighbours(self, spec: DataplaneSpec | None) -> None:
        """The router's neighbour entries follow the binding: each bound address is a permanent
        entry for its MAC on the LAN, so no ARP or neighbour advertisement from another client can
        divert a client's downloads (the table filters IPv6 neighbour discovery too; ARP it cannot
        see). Entries of addresses no longer bound are deleted; what was pinned is kept in a file,
        so a restarted daemon cleans up after the one before.
        """
        lan = self.settings.lan_interface if spec is None else spec.lan_interface
        want: dict[str, str] = {}
        for c in spec.clients if spec is not None else ():
            for addr in (*c.ipv4, *c.ipv6):
                want[str(ipaddress.ip_address(addr))] = R.norm_mac(c.mac)
        try:
            had: dict[str, str] = json.loads(self._pinned_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            had = {}
        if not isinstance(had, dict):
            had = {}
        lines = [f"neigh del {a} dev {lan}" for a in sorted(set(had) - set(want))]
        lines += [
            f"neigh replace {a} lladdr {m} nud permanent dev {lan}"
            for a, m in sorted(want.items())
            if had.get(a) != m
        ]
        if not lines:
            return
        # -force: go on past a line that fails (an entry someone else removed already).
        r = await self.runner.run("ip", "-force", "-batch", "-", stdin="\n".join(lines) + "\n")
        if r.rc != 0:
            log.warning("some neighbour entries could not be set", extra={"error": r.err[:200]})
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self._pinned_path, json.dumps(want))

    async def _links(self) -> set[str]:
        out = await self.runner.check("ip", "-j", "link", "show")
        return {str(link.get("ifname")) for link in json.loads(out or "[]")}

    async def _addresses(
        self, ifname: str
    ) -> list[ipaddress.IPv4Interface | ipaddress.IPv6Interface]:
        out = await self.runner.check("ip", "-j", "addr", "show", "dev", ifname)
        result: list[ipaddress.IPv4Interface | ipaddress.IPv6Interface] = []
        for link in json.loads(out or "[]"):
            for a in link.get("addr_info", []):
                result.append(ipaddress.ip_interface(f"{a['local']}/{a['prefixlen']}"))
        return result

    def _uplink_prefix(
        self,
        spec: DataplaneSpec,
        addrs: list[ipaddress.IPv4Interface | ipaddress.IPv6Interface],
    ) -> ipaddress.IPv6Network | None:
        if not self.settings.ipv6:
            return None
        if spec.uplink_ipv6_prefix:
            try:
                net = ipaddress.IPv6Network(spec.uplink_ipv6_prefix)
            except ValueError:
                raise DataplaneError(
                    msg_id="dataplane.ipv6-prefix",
                    params={"prefix": repr(spec.uplink_ipv6_prefix)},
                ) from None
            return net if net.prefixlen == 64 else None
        for a in addrs:
            if a.version == 6 and a.network.prefixlen == 64 and _routable(a.ip):
                return ipaddress.IPv6Network(a.network)
        return None

    # -- leaving the host as found ------------------------------------------------------------
    @property
    def _before_path(self) -> Path:
        return self.state_dir / "host-before.json"

    def _before(self) -> dict[str, Any]:
        """What the data plane changed on the host and the values before (kept across crashes,
        so a restarted daemon never records its own values as the host's)."""
        try:
            doc = json.loads(self._before_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def _record(self, **changes: Any) -> None:
        doc = self._before() | changes
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(self._before_path, json.dumps(doc, sort_keys=True))

    async def _sysctl(self, key: str, value: str) -> None:
        sysctls: dict[str, str] = dict(self._before().get("sysctl") or {})
        if key not in sysctls:
            now = (await self.runner.check("sysctl", "-n", key)).strip()
            if now == value:
                return  # already so: nothing of ours to undo
            sysctls[key] = now
            self._record(sysctl=sysctls)  # before changing it: a crash cannot lose it
        await self.runner.check("sysctl", "-q", "-w", f"{key}={value}")

    async def _restore_sysctls(self) -> None:
        """Every sysctl the data plane changed back to its value before; the record goes."""
        before = self._before()
        failed: dict[str, str] = {}
        for key, value in sorted(dict(before.get("sysctl") or {}).items()):
            r = await self.runner.run("sysctl", "-q", "-w", f"{key}={value}")
            if r.rc != 0 and "cannot stat" not in r.err and "No such file" not in r.err:
                failed[key] = str(value)  # an uplink that went away took its setting along
                log.warning("cannot restore a sysctl", extra={"key": key, "error": r.err[:200]})
        if failed:
            self._record(sysctl=failed, lan_v4=None, lan_v6=None)
        else:
            self._before_path.unlink(missing_ok=True)

    async def _ensure_lan_v4(self, lan: str) -> None:
        want = ipaddress.IPv4Interface(self.settings.lan_address)
        have = await self._addresses(lan)
        if want not in have:
            self._record(lan_v4=str(want))
            await self.runner.check("ip", "addr", "add", str(want), "dev", lan)
            self._lan_v4_added = str(want)

    async def _share_ipv6(
        self,
        lan: str,
        up: str,
        net: ipaddress.IPv6Network | None,
        up_addrs: list[ipaddress.IPv4Interface | ipaddress.IPv6Interface],
    ) -> str | None:
        """RFC 7278: the uplink's /64 goes on the LAN (route + router address); RA via dnsmasq.

        The uplink keeps its own address; a LAN route with a better metric than the uplink's
        connected route sends the prefix to the clients. The uplink keeps accepting router
        advertisements although the box now forwards (accept_ra=2).
        """
        if net is None:
            await self._unshare_ipv6()
            return None
        taken = {a.ip for a in up_addrs if a.version == 6}
        router = next(
            net.network_address + i for i in range(1, 16) if net.network_address + i not in taken
        )
        lan_addr = f"{router}/64"
        if self._lan_v6 is not None and self._lan_v6 != (lan_addr, lan):
            await self._unshare_ipv6()
        await self._sysctl(f"net.ipv6.conf.{up}.accept_ra", "2")
        await self._sysctl("net.ipv6.conf.all.forwarding", "1")
        if ipaddress.IPv6Interface(lan_addr) not in await self._addresses(lan):
            # Only when missing: re-adding makes the kernel send fresh MLD reports on the LAN.
            await self.runner.check(
                "ip", "-6", "addr", "add", lan_addr, "dev", lan, "noprefixroute", "nodad"
            )
        await self.runner.check(
            "ip", "-6", "route", "replace", str(net), "dev", lan, "metric", "64"
        )
        self._lan_v6 = (lan_addr, lan)
        self._record(lan_v6=[lan_addr, lan])
        return lan_addr

    async def _unshare_ipv6(self) -> None:
        if self._lan_v6 is None:
            return
        addr, lan = self._lan_v6
        net = ipaddress.IPv6Interface(addr).network
        await self.runner.run("ip", "-6", "route", "del", str(net), "dev", lan, "metric", "64")
        await self.runner.run("ip", "-6", "addr", "del", addr, "dev", lan)
        self._lan_v6 = None
        if self._before().get("lan_v6") is not None:
            self._record(lan_v6=None)


def _routable(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not link-local, loopback, multicast or unspecified (documentation prefixes count: labs)."""
    return not (ip.is_link_local or ip.is_loopback or ip.is_multicast or ip.is_unspecified)
