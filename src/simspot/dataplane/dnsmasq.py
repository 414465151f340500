"""dnsmasq for the LAN side: its own config and lease file under simspot's state directory.

The system's dnsmasq (if any) is left alone: ours binds only to the LAN interface's addresses
(``bind-dynamic``, ``except-interface=lo``), reads only the config simspot renders, and writes its
leases where simspot reads them. ``LeaseStations`` turns those leases (plus the IPv6 sources the
kernel saw, see ``nftrender.SEEN6``) into the station list for wired sharing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import logging
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simspot.dataplane import nftrender as R
from simspot.dataplane.nft import Runner
from simspot.dataplane.settings import DataplaneSettings
from simspot.errors import DataplaneError
from simspot.fsutil import write_atomic
from simspot.model import ClientInfo

log = logging.getLogger(__name__)

CONF_NAME = "dnsmasq.conf"
LEASES_NAME = "dnsmasq.leases"
LOG_NAME = "dnsmasq.log"
NAMES_NAME = "hostnames.json"  # who claimed each hostname first
RESTART_MIN_S = 5.0  # dnsmasq is restarted for a new config at most this often


def render_config(
    settings: DataplaneSettings,
    state_dir: Path,
    ipv6_lan_address: str | None = None,
    known: Iterable[str] = (),
    refused: Iterable[str] = (),
) -> str:
    """dnsmasq's whole config: DHCP (+ option 43 ANDROID_METERED), DNS, RA when IPv6 is shared.

    ``ipv6_lan_address`` is the router's address in the shared /64 (RFC 7278); with it, dnsmasq
    sends router advertisements for that prefix (SLAAC) with itself as the DNS server.
    """
    lan = settings.lan_interface
    iface = ipaddress.IPv4Interface(settings.lan_address)
    lines = [
        "# written by simspot; changes are overwritten",
        f"port={settings.dns_port}",
        f"interface={lan}",
        "bind-dynamic",
        "except-interface=lo",
        "no-hosts",
        "log-facility=-",
        "pid-file=",
        f"dhcp-leasefile={state_dir / LEASES_NAME}",
        "dhcp-authoritative",
        # Devices seen before are tagged "known" (render_hosts) and get the full lease; a MAC
        # seen for the first time gets the short one.
        f"dhcp-range=set:lan,tag:known,{settings.dhcp_start},{settings.dhcp_end},"
        f"{iface.network.netmask},{settings.lease_time_s}s",
        f"dhcp-range=set:lan,tag:!known,{settings.dhcp_start},{settings.dhcp_end},"
        f"{iface.network.netmask},{min(settings.new_device_lease_s, settings.lease_time_s)}s",
        f"dhcp-option=tag:lan,option:router,{iface.ip}",
    ]
    if settings.dns_port == 53:
        lines.append(f"dhcp-option=tag:lan,option:dns-server,{iface.ip}")
    elif settings.dns_servers:
        v4 = [s for s in settings.dns_servers if ipaddress.ip_address(s).version == 4]
        if v4:
            lines.append("dhcp-option=tag:lan,option:dns-server," + ",".join(v4))
    if settings.dns_servers:
        lines.append("no-resolv")
        lines.extend(f"server={s}" for s in settings.dns_servers)
    if settings.domain:
        lines += [f"domain={settings.domain}", f"local=/{settings.domain}/", "expand-hosts"]
    if settings.metered:
        # Vendor-specific information, as Android's own hotspot sends it (clients treat the link
        # as metered). Forced: most clients do not ask for option 43.
        lines.append('dhcp-option-force=tag:lan,43,"ANDROID_METERED"')
    if ipv6_lan_address is not None:
        net = ipaddress.IPv6Interface(ipv6_lan_address).network
        lines += [
            "enable-ra",
            f"dhcp-range=tag:lan,{net.network_address},ra-only,{net.prefixlen},"
            f"{settings.lease_time_s}s",
        ]
    return "\n".join(lines) + "\n" + render_hosts(known, refused)


def render_hosts(known: Iterable[str], refused: Iterable[str]) -> str:
    """Per-MAC lines: known devices tagged (the full lease); refused MACs get no answer.

    In the main config, not a ``dhcp-hostsfile``: dnsmasq reads that after dropping root, and
    simspot's state directory is not readable by its user. A change restarts dnsmasq (leases
    are kept in its lease file); the registry changes these lists at most a few times a minute.
    """
    lines = [f"dhcp-host={R.norm_mac(m)},set:known" for m in sorted(set(known))]
    lines += [f"dhcp-host={R.norm_mac(m)},ignore" for m in sorted(set(refused) - set(known))]
    return "\n".join(lines) + ("\n" if lines else "")


class Dnsmasq:
    """dnsmasq as a supervised component; ``configure`` restarts it when its config changes."""

    name = "dnsmasq"

    def __init__(self, runner: Runner, state_dir: Path) -> None:
        self.runner = runner
        self.state_dir = state_dir
        self.conf_path = state_dir / CONF_NAME
        self.lease_path = state_dir / LEASES_NAME
        self._config: str | None = None
        self._changed = asyncio.Event()
        self._proc: asyncio.subprocess.Process | None = None
        self._started_at = 0.0
        self.started = asyncio.Event()

    def configure(self, config: str) -> None:
        if config != self._config:
            self._config = config
            self._changed.set()

    async def run(self) -> None:
        while self._config is None:  # nothing to serve until the data plane was applied once
            self._changed.clear()
            await self._changed.wait()
        while True:
            self._changed.clear()
            await self._start()
            proc = self._proc
            if proc is None:
                raise DataplaneError(msg_id="dataplane.dnsmasq.not-started")
            waiter = asyncio.create_task(proc.wait())
            changed = asyncio.create_task(self._changed.wait())
            done, _ = await asyncio.wait({waiter, changed}, return_when=asyncio.FIRST_COMPLETED)
            if waiter in done:
                changed.cancel()
                self.started.clear()
                raise DataplaneError(
                    msg_id="dataplane.dnsmasq.exited",
                    params={"status": proc.returncode, **self._log_tail()},
                )
            waiter.cancel()
            # Coalesce bursts of changes (a device registry churning): at most one restart per
            # RESTART_MIN_S; the newest config is what starts.
            await asyncio.sleep(max(0.0, self._started_at + RESTART_MIN_S - time.monotonic()))
            await self._terminate()

    @property
    def pid_path(self) -> Path:
        return self.state_dir / "dnsmasq.pid"

    def _stale_pid(self) -> int | None:
        """The pid of a dnsmasq still running on our config, left by a killed daemon."""
        try:
            pid = int(self.pid_path.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        # Only ours: the pid may have been reused by something else since.
        return pid if f"--conf-file={self.conf_path}".encode() in cmdline else None

    async def _reap_stale(self) -> None:
        """Stop a dnsmasq a killed daemon left running (it holds ports 53 and 67)."""
        pid = self._stale_pid()
        if pid is None:
            return
        log.info("stopping the dnsmasq a previous run left behind", extra={"pid": pid})
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            for _ in range(30):
                await asyncio.sleep(0.1)
                os.kill(pid, 0)
            os.kill(pid, signal.SIGKILL)

    async def _start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        await self._reap_stale()
        self.conf_path.write_text(self._config or "", encoding="utf-8")
        self.lease_path.touch(exist_ok=True)
        logf = (self.state_dir / LOG_NAME).open("ab")
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.runner.argv(
                    "dnsmasq", "--keep-in-foreground", f"--conf-file={self.conf_path}"
                ),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=logf,
                stderr=logf,
            )
        except OSError as exc:
            raise DataplaneError(
                msg_id="dataplane.dnsmasq.cannot-start", params={"error": str(exc)}
            ) from None
        finally:
            logf.close()
        self.pid_path.write_text(f"{self._proc.pid}\n", encoding="utf-8")
        self._started_at = time.monotonic()
        # dnsmasq checks its config at start and exits at once on an error.
        try:
            await asyncio.wait_for(self._proc.wait(), 0.5)
        except TimeoutError:
            self.started.set()
            return
        raise DataplaneError(msg_id="dataplane.dnsmasq.refused", params=self._log_tail())

    def _log_tail(self) -> dict[str, Any]:
        """The last lines of dnsmasq's log, as the ``log`` parameter of a message."""
        try:
            text = (self.state_dir / LOG_NAME).read_text(errors="replace")
        except OSError:
            return {"log": "(no log)", "log_said": {"id": "dataplane.dnsmasq.no-log", "params": {}}}
        return {"log": " | ".join(text.strip().splitlines()[-3:]), "log_said": None}

    async def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        self.started.clear()
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(FileNotFoundError):
            self.pid_path.unlink()
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 3)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    async def close(self) -> None:
        await self._terminate()


@dataclass(frozen=True)
class Lease:
    mac: str
    ipv4: str
    hostname: str | None
    expires: dt.datetime | None  # None: infinite lease


def parse_leases(text: str) -> list[Lease]:
    """dnsmasq's lease file: ``<expiry> <mac> <ip> <hostname|*> <client-id|*>`` per IPv4 lease.

    IPv6 leases follow a ``duid`` line and are skipped (the LAN uses SLAAC only).
    """
    out: list[Lease] = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "duid":
            break
        if len(parts) < 4:
            continue
        try:
            expiry = int(parts[0])
            mac = R.norm_mac(parts[1])
            ip = ipaddress.IPv4Address(parts[2])
            # a corrupt file's expiry can lie outside what a datetime holds (OSError, ValueError)
            expires = None if expiry == 0 else dt.datetime.fromtimestamp(expiry, dt.UTC)
        except (ValueError, OverflowError, OSError, DataplaneError):
            continue
        name = parts[3]
        # dnsmasq writes only legal host names; anything else (control characters that would
        # reach a terminal, an endless name) did not come from it and is not shown.
        hostname = None if name == "*" or len(name) > 255 or not name.isprintable() else name
        out.append(Lease(mac=mac, ipv4=str(ip), hostname=hostname, expires=expires))
    return out


def eui64_mac(addr: str) -> str | None:
    """The MAC an IPv6 address's interface identifier was made from (modified EUI-64), if so."""
    b = ipaddress.IPv6Address(addr).packed
    if b[11] != 0xFF or b[12] != 0xFE:
        return None
    return ":".join(f"{x:02x}" for x in (b[8] ^ 0x02, b[9], b[10], b[13], b[14], b[15]))


def cap_learned(
    expires: dict[tuple[str, str], int], per_client: int, present: Iterable[str] = ()
) -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    """Per MAC, the ``per_client`` learned IPv6 sources used last; the rest to evict.

    ``expires`` is what the kernel lists for ``seen6``: seconds left per (MAC, address), which
    every packet from the address resets, so the smallest is the one used longest ago. Link-local
    sources never cross the router and are dropped here too. An address made (EUI-64) from the
    MAC of another client ``present`` is that client's: whoever claimed it first is evicted, so
    an address cannot be taken before its owner uses it.
    """
    others = set(present)
    by_mac: dict[str, list[tuple[int, str]]] = {}
    evict: list[tuple[str, str]] = []
    for (mac, addr), left in expires.items():
        owner = eui64_mac(addr)
        if owner is not None and owner != mac and owner in others:
            evict.append((mac, addr))
            continue
        by_mac.setdefault(mac, []).append((left, addr))
    keep: dict[str, set[str]] = {}
    for mac, entries in by_mac.items():
        entries.sort(key=lambda e: (-e[0], e[1]))
        kept = 0
        for _, addr in entries:
            if kept < per_client and not ipaddress.IPv6Address(addr).is_link_local:
                keep.setdefault(mac, set()).add(addr)
                kept += 1
            else:
                evict.append((mac, addr))
    return keep, sorted(evict)


def eviction_script(evict: list[tuple[str, str]]) -> str:
    """Forget learned IPv6 sources (MAC . address, and the address's owner mark) at once."""
    t = f"{R.FAMILY} {R.TABLE}"
    pairs = ", ".join(f"{mac} . {addr}" for mac, addr in evict)
    addrs = ", ".join(sorted({addr for _, addr in evict}))
    return (
        f"delete element {t} {R.SEEN6} {{ {pairs} }}\ndelete element {t} {R.OWN6} {{ {addrs} }}\n"
    )


class HostnameBook:
    """Hostnames per MAC: the first MAC to claim a name keeps it, a later claimant is marked.

    dnsmasq gives a name to the lease that claimed it last (and takes it off the other), so a
    client could take another's name in the client list. Here the first claim wins and is
    remembered (in a small JSON file, bounded, oldest claims of absent MACs forgotten first).
    """

    MAX = 2048

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._claims: dict[str, tuple[str, float]] | None = None

    def _load(self) -> dict[str, tuple[str, float]]:
        if self._claims is None:
            self._claims = {}
            try:
                raw = json.loads(self.path.read_text(encoding="utf-8")) if self.path else {}
            except (OSError, ValueError):
                raw = {}
            if isinstance(raw, dict):
                for mac, v in raw.items():
                    if (
                        isinstance(v, list)
                        and len(v) == 2
                        and isinstance(v[0], str)
                        and isinstance(v[1], int | float)
                    ):
                        self._claims[str(mac)] = (v[0], float(v[1]))
        return self._claims

    def _save(self) -> None:
        if self.path is None or self._claims is None:
            return
        try:
            write_atomic(self.path, json.dumps({m: list(v) for m, v in self._claims.items()}))
        except OSError as exc:
            log.warning("cannot keep hostname claims", extra={"error": str(exc)})

    def names(self, claimed: dict[str, str | None], now: float) -> dict[str, str | None]:
        """MAC -> the name to show, for the MACs present now (``claimed``: their leases' names)."""
        claims = self._load()
        changed = False
        for mac, name in sorted(claimed.items()):
            if name and claims.get(mac, ("", 0.0))[0] != name:
                claims[mac] = (name, now)
                changed = True
        if len(claims) > self.MAX:
            absent = sorted((v[1], m) for m, v in claims.items() if m not in claimed)
            for _, m in absent[: len(claims) - self.MAX]:
                del claims[m]
            changed = True
        if changed:
            self._save()
        owner: dict[str, tuple[float, str]] = {}
        for mac, (name, since) in claims.items():
            key = name.lower()
            owner[key] = min(owner.get(key, (since, mac)), (since, mac))
        out: dict[str, str | None] = {}
        for mac in claimed:
            if mac not in claims:
                out[mac] = None
                continue
            name = claims[mac][0]
            first = owner[name.lower()][1]
            out[mac] = name if first == mac else f"{name} (claimed; in use by {first})"
        return out


class LeaseStations:
    """StationSource for wired sharing: dnsmasq's live leases plus the IPv6 sources seen per MAC.

    The kernel learns IPv6 sources first-come and at a limited rate per MAC (see
    ``nftrender``); here each client keeps at most ``ipv6_per_client`` of them, the ones used
    last, and the others are forgotten in the kernel too.
    """

    def __init__(
        self, lease_file: Path, runner: Runner | None = None, ipv6_per_client: int = 8
    ) -> None:
        self.lease_file = lease_file
        self.runner = runner
        self.ipv6_per_client = ipv6_per_client
        self.evicted = 0  # learned sources forgotten for the per-client cap (since start)
        self.hostnames = HostnameBook(lease_file.with_name(NAMES_NAME))

    async def stations(self) -> list[ClientInfo]:
        try:
            text = self.lease_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise DataplaneError(
                msg_id="dataplane.leases.unreadable",
                params={"path": str(self.lease_file), "error": str(exc)},
            ) from None
        t = time.time()
        now = dt.datetime.fromtimestamp(t, dt.UTC)
        live = {
            lease.mac: lease
            for lease in parse_leases(text)
            if lease.expires is None or lease.expires > now
        }
        seen6 = await self._seen6(set(live))
        names = self.hostnames.names({m: lease.hostname for m, lease in live.items()}, t)
        return [
            ClientInfo(
                mac=mac,
                ipv4=live[mac].ipv4,
                ipv6=tuple(sorted(seen6.get(mac, ()))),
                hostname=names.get(mac),
            )
            for mac in sorted(live)
        ]

    async def _seen6(self, present: set[str]) -> dict[str, set[str]]:
        if self.runner is None:
            return {}
        r = await self.runner.run("nft", "-j", "list", "set", R.FAMILY, R.TABLE, R.SEEN6)
        if r.rc != 0:
            return {}
        keep, evict = cap_learned(
            R.parse_table(json.loads(r.out)).seen6_expires, self.ipv6_per_client, present
        )
        if evict:
            # An element may expire in between, which fails the whole batch: the next poll retries.
            done = await self.runner.run("nft", "-f", "-", stdin=eviction_script(evict))
            if done.rc == 0:
                self.evicted += len(evict)
            else:
                log.debug("evicting learned IPv6 sources failed", extra={"error": done.err[:200]})
        return keep
