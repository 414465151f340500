"""Pure rendering of the ``inet simspot`` nftables table, and pure parsing of what nft reads back.

The wanted state (a ``DataplaneSpec``) becomes one ``nft -f`` script that the kernel applies as a
single transaction. The script brings the table to the wanted state *in place*: it flushes every
rule and map of the table, deletes chains, maps and quotas that are no longer wanted, and re-adds
the rest. Named counters are never deleted while the table lives, and quota objects are updated in
place, so nothing the kernel counted is lost between reading and applying (deleting and recreating
the table would drop every byte counted in between).

Quotas: every client (and the uplink) always has its quota object, charged by every packet it
sends or receives, "unlimited" (2**62 bytes) when the spec sets no quota. The contract's limit is
against the cumulative counter; the kernel's against the quota's own ``used``, which also counts
packets the quotas dropped. So the kernel limit is ``limit + (used - counter)`` read from the
running table; updating it in place keeps ``used`` (no race with traffic). A depleted quota (which
drops everything, so the counter stands still) is recreated with ``used`` = the counter instead,
because the kernel reports ``used`` capped at the limit once it ran out.

Layout (one chain per client and direction; a client is its MAC, its addresses are bound to it)::

    forward (hook)    iif lan -> oif uplink: jump lan_out;  iif uplink -> oif lan: jump lan_in
    input (hook)      iif lan, IPv6 neighbour discovery: jump nd_lan (learn, or drop a spoof);
                      with a ``Firewall``: lo and replies accepted, then host_lan (DHCP, DNS,
                      ICMP, admin ports) / host_uplink (what the link needs), else drop, counted
    lan_out           ether saddr . ip saddr vmap @out4 (the lease: MAC . IPv4 -> c_<mac>_up)
                      IPv6: jump lan_out6; then drop, counted: drop_unknown (MAC not a
                      client) or drop_spoofed (a client's MAC with an address not bound to it)
    lan_out6          bound (spec: @bind6, learned: @seen6) -> refresh, ether saddr vmap @outmac;
                      someone else's (@in6 keys, @own6) -> return (spoofed); unknown MAC ->
                      return; else learn first-come, limited per MAC in the kernel (@learn6)
    lan_in            ip daddr vmap @in4,  ip6 daddr vmap @in6,  else drop
    c_<mac>_up/_down  [drop if blocked] [limit rate over ... drop] [quota name ... drop]
                      counter name c_<mac>_tx|_rx, counter name u_<uplink>_tx|_rx, accept
                      (a member of a group, e.g. a guest pass: also [meta time >= end drop]
                      [quota name qg_<group> drop] and counter name g_<group>_tx|_rx)
    postrouting (nat) iif lan, oif uplink, IPv4: masquerade

Uploads are billed by the sending MAC, only once its source address is bound to that MAC;
downloads by the destination address (bound addresses only). A packet with someone else's address
never reaches another client's counters.

IPv6 binding: SLAAC addresses have no lease, so the kernel learns them first-come from the
client's own packets (a forwarded packet's source, or a neighbour solicitation/advertisement it
sends): ``seen6`` (MAC . address) and ``own6`` (address) are dynamic sets refreshed by every
packet, with a timeout and a fixed size; ``learn6`` meters new addresses per MAC (``limit rate``)
so a client spraying sources learns a handful, whatever it sends. The daemon reads ``seen6``,
keeps at most a few addresses per MAC (oldest evicted: ``dnsmasq.LeaseStations``) and puts them
into the spec, which makes them ``bind6``/``in6`` elements (downloads need them).

Client counters are named after the MAC (``c_aabbccddeeff_rx``), uplink counters after the uplink
identity (``u_<iccid>_rx``, with the ICCID in the comment too), groups after their name
(``g_<name>_rx``); quotas ``q_<mac>``, ``qt_<uplink>`` and ``qg_<group>``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simspot.dataplane.contract import (
    ClientCounter,
    ClientSpec,
    Counters,
    DataplaneSpec,
    DropCounter,
    GroupCounter,
    GroupSpec,
    UplinkCounter,
)
from simspot.errors import DataplaneError
from simspot.i18n import part
from simspot.ident import normal_mac

FAMILY = "inet"
TABLE = "simspot"
OWNER_COUNTER = "simspot_owner"
OWNER_COMMENT = "simspot data plane v1: managed by simspot, do not edit"
# Verdict maps: out4 (MAC . IPv4 -> upload chain), outmac (MAC -> upload chain, for IPv6
# sources bound to it), in4/in6 (address -> download chain). Rewritten on every apply.
MAPS = ("out4", "outmac", "in4", "in6")
# Static sets rewritten on every apply: the IPv6 addresses the spec binds (MAC . address).
STATIC_SETS = ("bind6",)
# IPv6 sources learned on the LAN in the kernel, first-come (SLAAC addresses have no lease):
# MAC . address, and the address alone (its owner exists). Kept across applies.
SEEN6 = "seen6"
OWN6 = "own6"
# The per-MAC meter on learning new IPv6 sources (a limit per element).
LEARN6 = "learn6"
DYNAMIC_SETS = (SEEN6, OWN6, LEARN6)
# Drops, counted: a MAC that is not a client, an address not bound to the MAC that sent it, and
# new IPv6 sources over the learning rate.
DROP_UNKNOWN = "drop_unknown"
DROP_SPOOFED = "drop_spoofed"
DROP_LEARN6 = "drop_learn6"
DROP_COUNTERS = (DROP_UNKNOWN, DROP_SPOOFED, DROP_LEARN6)
_ID_RE = re.compile(r"^[0-9A-Za-z]{1,64}$")
_CLIENT_COUNTER_RE = re.compile(r"^c_([0-9a-f]{12})_(rx|tx)$")
_UPLINK_COUNTER_RE = re.compile(r"^u_([0-9A-Za-z]+)_(rx|tx)$")
_GROUP_COUNTER_RE = re.compile(r"^g_([0-9a-z]{1,16})_(rx|tx)$")
_GROUP_NAME_RE = re.compile(r"^[0-9a-z]{1,16}$")
# A counter whose name is the table's identity, made once when the table is created: when it
# changes, the counters restarted from zero (the plans ledger reconciles on it).
_EPOCH_RE = re.compile(r"^epoch_([0-9a-f]{16})$")


# -- names -------------------------------------------------------------------------------------
def norm_mac(mac: str) -> str:
    m = normal_mac(mac)
    if m is None:
        raise DataplaneError(msg_id="dataplane.not-mac", params={"value": repr(mac)})
    return m


def mac_key(mac: str) -> str:
    return norm_mac(mac).replace(":", "")


def mac_from_key(key: str) -> str:
    return ":".join(key[i : i + 2] for i in range(0, 12, 2))


def uplink_key(uplink_id: str) -> str:
    """A name-safe form of the uplink identity (ICCIDs are digits, sometimes with an F)."""
    if _ID_RE.match(uplink_id):
        return uplink_id
    return "x" + uplink_id.encode().hex()[:62]


def client_chain(mac: str, direction: str) -> str:
    return f"c_{mac_key(mac)}_{direction}"


def client_counter(mac: str, direction: str) -> str:
    return f"c_{mac_key(mac)}_{direction}"


def uplink_counter(uplink_id: str, direction: str) -> str:
    return f"u_{uplink_key(uplink_id)}_{direction}"


def client_quota(mac: str) -> str:
    return f"q_{mac_key(mac)}"


def total_quota(uplink_id: str) -> str:
    return f"qt_{uplink_key(uplink_id)}"


def group_counter(name: str, direction: str) -> str:
    return f"g_{name}_{direction}"


def group_quota(name: str) -> str:
    return f"qg_{name}"


def group_limit(name: str, direction: str) -> str:
    """The group's shared speed cap, one per direction ("up", "down")."""
    return f"lg_{name}_{direction}"


def uplink_links(spec: DataplaneSpec) -> list[tuple[str, str]]:
    """(interface, uplink id) of every uplink the table forwards through: the one in use first."""
    return [(spec.uplink_interface, spec.uplink_id)] + [
        (o.interface, o.uplink_id) for o in spec.other_uplinks
    ]


def _ifnames(names: Iterable[str]) -> str:
    """One interface name, or an anonymous set of them, for ``iifname``/``oifname``."""
    quoted = [f'"{n}"' for n in names]
    return quoted[0] if len(quoted) == 1 else "{ " + ", ".join(quoted) + " }"


def _quote(text: str) -> str:
    """A string for an nft comment: printable, no quotes or backslashes, at most 120 bytes."""
    clean = "".join(ch if ch.isprintable() and ch not in '"\\' else "?" for ch in text)
    return '"' + clean[:120] + '"'


# -- what is running ---------------------------------------------------------------------------
@dataclass
class RunningTable:
    """Our table as the kernel holds it (parsed from ``nft -j list table inet simspot``)."""

    owned: bool = False
    counters: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (packets, bytes)
    counter_comments: dict[str, str] = field(default_factory=dict)
    quotas: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (limit, used)
    # Named limits (a group's shared speed cap): name -> (bytes/second, burst bytes).
    limits: dict[str, tuple[int, int]] = field(default_factory=dict)
    chains: set[str] = field(default_factory=set)
    sets: dict[str, str] = field(default_factory=dict)  # name -> "set" or "map"
    # name -> its definition as nft lists it (type, flags, size, timeout): a set whose definition
    # changed (an older layout) is deleted and made again.
    set_defs: dict[str, str] = field(default_factory=dict)
    maps: dict[str, dict[str, str]] = field(default_factory=dict)  # vmap: key -> chain
    set_elems: dict[str, set[str]] = field(default_factory=dict)  # static sets: keys
    seen6: dict[str, set[str]] = field(default_factory=dict)  # MAC -> IPv6 sources learned
    # (MAC, IPv6 source) -> seconds until it expires (refreshed by every packet it sends).
    seen6_expires: dict[tuple[str, str], int] = field(default_factory=dict)
    rule_counts: dict[str, int] = field(default_factory=dict)

    @property
    def epoch(self) -> str | None:
        return next((m.group(1) for n in self.counters if (m := _EPOCH_RE.match(n))), None)

    def counter_bytes(self, name: str) -> int:
        return self.counters.get(name, (0, 0))[1]


def parse_table(doc: Mapping[str, Any]) -> RunningTable:
    """Parse nft's JSON listing of our table (or of its counters only)."""
    items = doc.get("nftables")
    if not isinstance(items, list):
        raise DataplaneError(msg_id="dataplane.nft.no-list")
    rt = RunningTable()
    for item in items:
        if not isinstance(item, dict):
            continue
        if (c := item.get("counter")) is not None:
            name = str(c["name"])
            rt.counters[name] = (int(c.get("packets", 0)), int(c.get("bytes", 0)))
            rt.counter_comments[name] = str(c.get("comment", ""))
            if name == OWNER_COUNTER and c.get("comment") == OWNER_COMMENT:
                rt.owned = True
        elif (q := item.get("quota")) is not None:
            rt.quotas[str(q["name"])] = (int(q.get("bytes", 0)), int(q.get("used", 0)))
        elif isinstance(lim := item.get("limit"), dict) and "name" in lim:
            rt.limits[str(lim["name"])] = _limit_values(lim)
        elif (ch := item.get("chain")) is not None:
            rt.chains.add(str(ch["name"]))
        elif (st := item.get("map") or item.get("set")) is not None:
            name = str(st["name"])
            rt.sets[name] = "map" if "map" in item else "set"
            rt.set_defs[name] = _set_def(st)
            if "map" in item:
                rt.maps[name] = _vmap_elements(st.get("elem", []))
            elif name == SEEN6:
                for (mac, addr), expires in _seen6_elements(st.get("elem", [])).items():
                    rt.seen6.setdefault(mac, set()).add(addr)
                    rt.seen6_expires[(mac, addr)] = expires
            else:
                rt.set_elems[name] = {_key(e) for e in st.get("elem", [])}
        elif (r := item.get("rule")) is not None:
            chain = str(r["chain"])
            rt.rule_counts[chain] = rt.rule_counts.get(chain, 0) + 1
    return rt


_UNITS = {"bytes": 1, "kbytes": 1024, "mbytes": 1024**2, "gbytes": 1024**3}


def _limit_values(lim: Mapping[str, Any]) -> tuple[int, int]:
    """(bytes/second, burst bytes) of a listed limit (nft shows 1048576 bytes as 1 mbytes)."""
    rate = int(lim.get("rate", 0)) * _UNITS.get(str(lim.get("rate_unit", "bytes")), 1)
    burst = int(lim.get("burst", 0)) * _UNITS.get(str(lim.get("burst_unit", "bytes")), 1)
    return rate, burst


def _set_def(st: Mapping[str, Any]) -> str:
    """A set's definition as one comparable string (not its elements)."""
    kind = st.get("type")
    type_ = " . ".join(kind) if isinstance(kind, list) else str(kind)
    if "map" in st:
        type_ += f" : {st['map']}"
    flags = ",".join(sorted(f for f in st.get("flags", []) if f != "dynamic"))
    return f"{type_}|{flags}|{st.get('size', '')}|{st.get('timeout', '')}"


def _key(e: Any) -> str:
    """An element's key as text: an address, a MAC, or ``mac . address`` for concatenations."""
    if isinstance(e, dict) and "elem" in e:  # an element carrying a timeout, comment, counter
        e = e["elem"].get("val")
    if isinstance(e, dict) and isinstance(e.get("concat"), list):
        return " . ".join(_norm(str(x)) for x in e["concat"])
    return _norm(str(e))


def _norm(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text.lower()


def _vmap_elements(elems: Iterable[Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in elems:
        if not isinstance(e, list) or len(e) != 2:
            continue
        key, verdict = e
        target = verdict.get("jump", {}).get("target") if isinstance(verdict, dict) else None
        if isinstance(target, str):
            out[_key(key)] = target
    return out


def _seen6_elements(elems: Iterable[Any]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for e in elems:
        expires = 0
        if isinstance(e, dict) and "elem" in e:  # with timeout/expires
            expires = int(e["elem"].get("expires", 0))
            e = e["elem"].get("val")
        concat = e.get("concat") if isinstance(e, dict) else None
        if isinstance(concat, list) and len(concat) == 2:
            mac, addr = concat
            out[(str(mac).lower(), str(ipaddress.ip_address(addr)))] = expires
    return out


def counters_from(rt: RunningTable) -> Counters:
    """Per-client and per-uplink counters out of the running table."""
    clients: dict[str, list[int]] = {}
    uplinks: dict[str, list[int]] = {}
    groups: dict[str, list[int]] = {}
    for name, (packets, nbytes) in rt.counters.items():
        if m := _CLIENT_COUNTER_RE.match(name):
            row = clients.setdefault(mac_from_key(m.group(1)), [0, 0, 0, 0])
            i = 0 if m.group(2) == "rx" else 1
            row[i] += nbytes
            row[i + 2] += packets
        elif m := _UPLINK_COUNTER_RE.match(name):
            comment = rt.counter_comments.get(name, "")
            uid = comment.split("uplink=", 1)[1].split()[0] if "uplink=" in comment else m.group(1)
            row = uplinks.setdefault(uid, [0, 0])
            row[0 if m.group(2) == "rx" else 1] += nbytes
        elif m := _GROUP_COUNTER_RE.match(name):
            row = groups.setdefault(m.group(1), [0, 0])
            row[0 if m.group(2) == "rx" else 1] += nbytes
    drops = {
        name: DropCounter(*rt.counters[name]) if name in rt.counters else DropCounter()
        for name in DROP_COUNTERS
    }
    return Counters(
        clients={mac: ClientCounter(mac, v[0], v[1], v[2], v[3]) for mac, v in clients.items()},
        uplinks={uid: UplinkCounter(uid, v[0], v[1]) for uid, v in uplinks.items()},
        groups={g: GroupCounter(g, v[0], v[1]) for g, v in groups.items()},
        unknown=drops[DROP_UNKNOWN],
        spoofed=drops[DROP_SPOOFED],
        learn_limited=drops[DROP_LEARN6],
    )


# -- what we want ------------------------------------------------------------------------------
# Packets to the box itself (the input hook) dropped by the firewall, counted per side.
DROP_IN_LAN = "drop_in_lan"
DROP_IN_UPLINK = "drop_in_uplink"


@dataclass(frozen=True)
class Firewall:
    """What may reach the box itself (the input hook) besides replies and loopback.

    From the LAN: DHCP (when ``dhcp``), DNS on ``dns_port`` (0: none), ICMP/ICMPv6 and the admin
    page's TCP ports. From the uplink: only established/related traffic and what the link needs
    (DHCPv4 client replies, DHCPv6 replies, router advertisements, neighbour discovery, MLD
    queries, ICMP errors). Everything else from either side is dropped and counted.
    """

    admin_ports: tuple[int, ...] = ()
    dns_port: int = 53
    dhcp: bool = True
    # Every interface an uplink may come through (the configured wired and Wi-Fi uplinks, the
    # wired WAN), treated as the uplink side whether in use, on standby or down: a standby link
    # is firewalled before it carries traffic, not from the next apply on.
    wan_interfaces: tuple[str, ...] = ()
    # TCP ports on the box the owner opens from the uplink side (SSH over a wired WAN); never
    # the admin page's.
    uplink_tcp_ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class RenderOptions:
    rate_burst_ms: int = 100
    # The identity a new table gets (16 hex digits); a running table keeps its own.
    epoch: str = "0000000000000000"
    # New IPv6 sources a client's MAC may bind, in the kernel: a burst, then a steady rate.
    learn6_burst: int = 8
    learn6_per_minute: int = 6
    # A learned IPv6 source is forgotten after this long without a packet from it.
    seen6_timeout_s: int = 7200
    # Room for learned IPv6 sources in the whole table (the kernel refuses new ones when full).
    seen6_size: int = 8192
    # Input rules (None: the input hook only filters neighbour discovery; the pure renderer's
    # default, the real backend always sets one).
    firewall: Firewall | None = None


UNLIMITED = 2**62


@dataclass(frozen=True)
class QuotaPlan:
    limit: int  # the kernel limit (against the quota's own used)
    used: int  # used to create it with (only for "create")
    action: str  # "keep", "update" (limit in place) or "create" (delete if present, add)


def plan_quota(want: int | None, running: tuple[int, int] | None, counted: int) -> QuotaPlan:
    """The kernel quota for a limit ``want`` on a cumulative counter now at ``counted``."""
    if running is None or running[1] >= running[0]:  # new, or depleted (used reported capped)
        return QuotaPlan(UNLIMITED if want is None else want, counted, "create")
    old_limit, used = running
    offset = max(0, used - counted)  # bytes the quotas dropped (charged, never counted)
    limit = UNLIMITED if want is None else want + offset
    return QuotaPlan(limit, used, "keep" if limit == old_limit else "update")


@dataclass
class Expected:
    """What the read-back must show after applying: the verifiable shape of the table."""

    chains: set[str]
    maps: dict[str, dict[str, str]]
    sets: dict[str, set[str]]  # static sets: keys
    set_defs: dict[str, str]  # every set and map: its definition
    quotas: dict[str, int]  # name -> limit
    counters: set[str]
    rule_counts: dict[str, int]
    limits: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (rate, burst)


@dataclass
class _Plan:
    counters: dict[str, str] = field(default_factory=dict)  # name -> comment
    quotas: dict[str, QuotaPlan] = field(default_factory=dict)
    limits: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (rate, burst)
    chains: dict[str, list[str]] = field(default_factory=dict)  # name -> rule lines
    maps: dict[str, dict[str, str]] = field(default_factory=dict)
    sets: dict[str, set[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _SetDef:
    type: tuple[str, ...]
    verdict_map: bool = False
    dynamic: bool = False
    size: int | None = None
    timeout_s: int | None = None

    def nft(self) -> str:
        body = f"type {' . '.join(self.type)}" + (" : verdict" if self.verdict_map else "") + ";"
        if self.dynamic:
            body += f" flags dynamic,timeout; timeout {self.timeout_s}s; size {self.size};"
        return body

    def signature(self) -> str:
        """The same text ``_set_def`` makes of nft's listing."""
        type_ = " . ".join(self.type) + (" : verdict" if self.verdict_map else "")
        flags = "timeout" if self.dynamic else ""
        size = "" if self.size is None else self.size
        timeout = "" if self.timeout_s is None else self.timeout_s
        return f"{type_}|{flags}|{size}|{timeout}"


def _set_defs(opts: RenderOptions) -> dict[str, _SetDef]:
    timeout, size = opts.seen6_timeout_s, opts.seen6_size
    return {
        "out4": _SetDef(("ether_addr", "ipv4_addr"), verdict_map=True),
        "outmac": _SetDef(("ether_addr",), verdict_map=True),
        "in4": _SetDef(("ipv4_addr",), verdict_map=True),
        "in6": _SetDef(("ipv6_addr",), verdict_map=True),
        "bind6": _SetDef(("ether_addr", "ipv6_addr")),
        SEEN6: _SetDef(("ether_addr", "ipv6_addr"), dynamic=True, size=size, timeout_s=timeout),
        OWN6: _SetDef(("ipv6_addr",), dynamic=True, size=size, timeout_s=timeout),
        # A meter: one element per MAC learning, each with its own limit; idle ones expire.
        LEARN6: _SetDef(("ether_addr",), dynamic=True, size=size, timeout_s=600),
    }


def _bytes_per_s(kbit: int) -> int:
    return max(1, kbit * 1000 // 8)


def _bucket(kbit: int, opts: RenderOptions) -> tuple[int, int]:
    """(bytes/second, burst bytes) of a speed cap: at least four full frames of burst."""
    bps = _bytes_per_s(kbit)
    return bps, max(4 * 1514, bps * opts.rate_burst_ms // 1000)


def _check_spec(spec: DataplaneSpec) -> None:
    from simspot.dataplane.settings import check_ifname

    for msg_id, name in (
        ("dataplane.spec.lan-ifname", spec.lan_interface),
        ("dataplane.spec.uplink-ifname", spec.uplink_interface),
    ):
        try:
            check_ifname(name)
        except ValueError:
            raise DataplaneError(msg_id=msg_id, params={"name": repr(name)}) from None
    if spec.lan_interface == spec.uplink_interface:
        raise DataplaneError(
            msg_id="dataplane.spec.same-interface", params={"name": spec.lan_interface}
        )
    if not spec.uplink_id:
        raise DataplaneError(msg_id="dataplane.spec.no-uplink-id")
    seen_if = {spec.uplink_interface: spec.uplink_id}
    seen_id = {uplink_key(spec.uplink_id)}
    for o in spec.other_uplinks:
        try:
            check_ifname(o.interface)
        except ValueError:
            raise DataplaneError(
                msg_id="dataplane.spec.other-uplink-ifname", params={"name": repr(o.interface)}
            ) from None
        if not o.uplink_id:
            raise DataplaneError(
                msg_id="dataplane.spec.other-no-id", params={"interface": o.interface}
            )
        if o.interface == spec.lan_interface:
            raise DataplaneError(
                msg_id="dataplane.spec.other-is-lan", params={"interface": o.interface}
            )
        if o.interface in seen_if:
            raise DataplaneError(
                msg_id="dataplane.spec.interface-twice", params={"interface": o.interface}
            )
        if uplink_key(o.uplink_id) in seen_id:
            raise DataplaneError(
                msg_id="dataplane.spec.uplink-twice", params={"uplink": o.uplink_id}
            )
        seen_if[o.interface] = o.uplink_id
        seen_id.add(uplink_key(o.uplink_id))
    seen_mac: set[str] = set()
    seen_addr: dict[str, str] = {}
    for c in spec.clients:
        mac = norm_mac(c.mac)
        if mac in seen_mac:
            raise DataplaneError(msg_id="dataplane.spec.client-twice", params={"mac": mac})
        seen_mac.add(mac)
        for addr in (*c.ipv4, *c.ipv6):
            try:
                ip = ipaddress.ip_address(addr)
            except ValueError:
                raise DataplaneError(
                    msg_id="dataplane.spec.not-ip", params={"mac": mac, "value": repr(addr)}
                ) from None
            if (ip.version == 4) != (addr in c.ipv4):
                raise DataplaneError(
                    msg_id="dataplane.spec.wrong-family", params={"mac": mac, "address": addr}
                )
            if str(ip) in seen_addr:
                raise DataplaneError(
                    msg_id="dataplane.spec.address-twice",
                    params={"address": str(ip), "owner": seen_addr[str(ip)], "mac": mac},
                )
            seen_addr[str(ip)] = mac
        for label, value in (
            ("quota_bytes", c.quota_bytes),
            ("rate_down_kbit", c.rate_down_kbit),
            ("rate_up_kbit", c.rate_up_kbit),
        ):
            if value is not None and value < 0:
                raise DataplaneError(
                    msg_id="dataplane.spec.client-negative",
                    params={"mac": mac, "field": label, "value": str(value)},
                )
    for label, macs in (("known_macs", spec.known_macs), ("refused_macs", spec.refused_macs)):
        for mac in macs:
            if normal_mac(mac) is None:
                raise DataplaneError(
                    msg_id="dataplane.spec.list-mac", params={"field": label, "value": repr(mac)}
                )
    if spec.total_quota_bytes is not None and spec.total_quota_bytes < 0:
        raise DataplaneError(
            msg_id="dataplane.spec.negative",
            params={"field": "total_quota_bytes", "value": str(spec.total_quota_bytes)},
        )
    member: dict[str, str] = {}
    names: set[str] = set()
    for g in spec.groups:
        if not _GROUP_NAME_RE.match(g.name):
            raise DataplaneError(msg_id="dataplane.spec.group-name", params={"name": repr(g.name)})
        if g.name in names:
            raise DataplaneError(msg_id="dataplane.spec.group-twice", params={"group": g.name})
        names.add(g.name)
        for label, value in (
            ("quota_bytes", g.quota_bytes),
            ("rate_down_kbit", g.rate_down_kbit),
            ("rate_up_kbit", g.rate_up_kbit),
        ):
            if value is not None and value < 0:
                raise DataplaneError(
                    msg_id="dataplane.spec.group-negative",
                    params={"group": g.name, "field": label, "value": str(value)},
                )
        if g.until is not None and not 0 <= g.until < 2**40:
            raise DataplaneError(
                msg_id="dataplane.spec.group-until", params={"group": g.name, "value": str(g.until)}
            )
        for mac in g.macs:
            m = norm_mac(mac)
            if m in member:
                raise DataplaneError(
                    msg_id="dataplane.spec.two-groups",
                    params={"mac": m, "first": member[m], "second": g.name},
                )
            member[m] = g.name


def _learn6_rules(opts: RenderOptions, *, bound: str, foreign: str, over: str) -> list[str]:
    """IPv6 source binding, first-come, shared by the forward path and neighbour discovery.

    ``bound``: the verdict for a source bound to the sending MAC; ``foreign``: for someone else's;
    ``over``: for a new source while the MAC is over its learning rate. A source of a MAC that is
    not a client falls through (the caller decides).
    """
    pair = "ether saddr . ip6 saddr"
    refresh = f"update @{SEEN6} {{ {pair} }} update @{OWN6} {{ ip6 saddr }}"
    rate = f"limit rate over {opts.learn6_per_minute}/minute burst {opts.learn6_burst} packets"
    return [
        f"{pair} @bind6 {refresh} {bound}",
        f"{pair} @bind6 {bound}",  # reached only when the refresh failed (learned set full)
        f"ip6 saddr @in6 {foreign}",
        f"{pair} @{SEEN6} {refresh} {bound}",
        f"{pair} @{SEEN6} {bound}",
        f"ip6 saddr @{OWN6} {foreign}",
        "ether saddr != @outmac return",
        f"update @{LEARN6} {{ ether saddr {rate} }} {over}",
        f"add @{OWN6} {{ ip6 saddr }} add @{SEEN6} {{ {pair} }} {bound}",
    ]


def _plan(spec: DataplaneSpec, opts: RenderOptions, running: RunningTable | None) -> _Plan:
    _check_spec(spec)
    rt = running or RunningTable()
    p = _Plan()
    lan, uid = spec.lan_interface, spec.uplink_id
    p.counters[OWNER_COUNTER] = OWNER_COMMENT
    for name in DROP_COUNTERS:
        p.counters[name] = "dropped on the LAN side, billed to nobody"
    links = uplink_links(spec)
    ups = _ifnames(name for name, _ in links)
    for _, link_id in links:
        for d in ("rx", "tx"):
            p.counters[uplink_counter(link_id, d)] = f"uplink={link_id} dir={d}"
    # Counters of clients and uplinks seen before stay: they are cumulative for the table's life.
    # A client's that never counted a byte goes when the client does (MAC churn leaves nothing).
    for name, comment in rt.counter_comments.items():
        if _UPLINK_COUNTER_RE.match(name):
            p.counters.setdefault(name, comment)
        elif (m := _CLIENT_COUNTER_RE.match(name)) and any(
            rt.counter_bytes(f"c_{m.group(1)}_{d}") for d in ("rx", "tx")
        ):
            p.counters.setdefault(name, comment)
    epoch = rt.epoch or opts.epoch
    if not re.fullmatch(r"[0-9a-f]{16}", epoch):
        raise DataplaneError(msg_id="dataplane.spec.epoch", params={"value": repr(epoch)})
    p.counters[f"epoch_{epoch}"] = "table identity"
    tq = total_quota(uid)
    counted = rt.counter_bytes(uplink_counter(uid, "rx")) + rt.counter_bytes(
        uplink_counter(uid, "tx")
    )
    p.quotas[tq] = plan_quota(spec.total_quota_bytes, rt.quotas.get(tq), counted)
    p.chains["forward"] = [
        f'iifname "{lan}" oifname {ups} jump lan_out',
        f'iifname {ups} oifname "{lan}" jump lan_in',
    ]
    # Neighbour discovery from the LAN binds (or is refused) like a forwarded source: a client
    # cannot poison the router's neighbour cache with another client's address.
    p.chains["input"] = [
        f'iifname "{lan}" icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} '
        "ip6 saddr != { ::, fe80::/10 } jump nd_lan",
    ]
    if opts.firewall is not None:
        _plan_firewall(p, opts.firewall, lan, ups)
    p.chains["nd_lan"] = _learn6_rules(
        opts, bound="return", foreign=f'counter name "{DROP_SPOOFED}" drop', over="return"
    )
    p.chains["lan_out"] = [
        "ether saddr . ip saddr vmap @out4",
        "meta nfproto ipv6 jump lan_out6",
        f'ether saddr != @outmac counter name "{DROP_UNKNOWN}" drop',
        f'counter name "{DROP_SPOOFED}" drop',
    ]
    p.chains["lan_out6"] = _learn6_rules(
        opts,
        bound="ether saddr vmap @outmac",
        foreign="return",
        over=f'counter name "{DROP_LEARN6}" drop',
    )
    p.chains["lan_in"] = [
        "ip daddr vmap @in4",
        "ip6 daddr vmap @in6",
        "drop",
    ]
    p.chains["postrouting"] = [f'iifname "{lan}" oifname {ups} meta nfproto ipv4 masquerade']
    if spec.other_uplinks:
        # Uploads are billed to an uplink after NAT: the kernel drops the first packet of a
        # masqueraded flow whose route moved to another link (and forgets the flow), and that
        # packet went through no uplink. Everything from the LAN that gets here was accepted
        # by its client's chain.
        p.chains[UPLINK_TX] = [
            f'iifname "{lan}" oifname "{name}" counter name "{uplink_counter(link_id, "tx")}"'
            for name, link_id in links
        ]
    for name in MAPS:
        p.maps[name] = {}
    for name in STATIC_SETS:
        p.sets[name] = set()
    groups: dict[str, GroupSpec] = {}
    for g in spec.groups:
        groups.update({norm_mac(m): g for m in g.macs})
        for d in ("rx", "tx"):
            p.counters[group_counter(g.name, d)] = f"group={g.name} dir={d}"
        gq = group_quota(g.name)
        counted_g = rt.counter_bytes(group_counter(g.name, "rx")) + rt.counter_bytes(
            group_counter(g.name, "tx")
        )
        p.quotas[gq] = plan_quota(g.quota_bytes, rt.quotas.get(gq), counted_g)
        for direction, kbit in (("up", g.rate_up_kbit), ("down", g.rate_down_kbit)):
            if kbit is not None:
                p.limits[group_limit(g.name, direction)] = _bucket(kbit, opts)
    for name, comment in rt.counter_comments.items():  # kept while they counted, like clients'
        if (m := _GROUP_COUNTER_RE.match(name)) and any(
            rt.counter_bytes(group_counter(m.group(1), d)) for d in ("rx", "tx")
        ):
            p.counters.setdefault(name, comment)
    for c in sorted(spec.clients, key=lambda c: norm_mac(c.mac)):
        _plan_client(p, c, spec, opts, rt, tq, groups.get(norm_mac(c.mac)))
    return p


def _plan_firewall(p: _Plan, fw: Firewall, lan: str, ups: str) -> None:
    """Input rules: loopback untouched, replies accepted, each side to its own chain (``ups``:
    every uplink interface, as ``_ifnames`` writes them)."""
    for port in fw.admin_ports:
        if not 1 <= port <= 65535:
            raise DataplaneError(msg_id="dataplane.spec.admin-port", params={"port": str(port)})
    for port in fw.uplink_tcp_ports:
        if not 1 <= port <= 65535:
            raise DataplaneError(msg_id="dataplane.spec.uplink-port", params={"port": str(port)})
        if port in fw.admin_ports:
            raise DataplaneError(
                msg_id="dataplane.spec.admin-port-on-uplink", params={"port": str(port)}
            )
    from simspot.dataplane.settings import check_ifname

    wan = []
    for name in dict.fromkeys(fw.wan_interfaces):
        try:
            check_ifname(name)
        except ValueError:
            raise DataplaneError(
                msg_id="dataplane.spec.uplink-ifname", params={"name": repr(name)}
            ) from None
        if name != lan:
            wan.append(name)
    if not 0 <= fw.dns_port <= 65535:
        raise DataplaneError(msg_id="dataplane.spec.dns-port", params={"port": str(fw.dns_port)})
    p.counters[DROP_IN_LAN] = "to the box from the LAN, refused by the firewall"
    p.counters[DROP_IN_UPLINK] = "to the box from the uplink, refused by the firewall"
    nd = p.chains["input"]  # neighbour discovery from the LAN is bound first
    p.chains["input"] = [
        'iif "lo" accept',
        *nd,
        "ct state established,related accept",
        f'iifname "{lan}" jump host_lan',
        f"iifname {ups} jump host_uplink",
    ]
    if wan:  # standby and configured uplinks, whether up or not
        p.chains["input"].append(f"iifname {_ifnames(wan)} jump host_uplink")
    # From any other interface (a management port): none of the hotspot's own services.
    services = {*fw.admin_ports, *((fw.dns_port,) if fw.dns_port else ()), 67, 547}
    listed = ", ".join(str(x) for x in sorted(services))
    p.chains["input"].append(
        f'meta l4proto {{ tcp, udp }} th dport {{ {listed} }} counter name "{DROP_IN_UPLINK}" drop'
    )
    lan_rules = ["meta l4proto { icmp, ipv6-icmp } accept"]
    if fw.dhcp:
        lan_rules.append("udp dport { 67, 547 } accept")
    if fw.dns_port:
        lan_rules.append(f"meta l4proto {{ tcp, udp }} th dport {fw.dns_port} accept")
    if fw.admin_ports:
        ports = ", ".join(str(x) for x in sorted(set(fw.admin_ports)))
        lan_rules.append(f"tcp dport {{ {ports} }} accept")
    lan_rules.append(f'counter name "{DROP_IN_LAN}" drop')
    p.chains["host_lan"] = lan_rules
    p.chains["host_uplink"] = [
        "udp sport 67 udp dport 68 accept",  # DHCPv4 client replies
        "udp sport 547 udp dport 546 accept",  # DHCPv6 replies
        "icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, "
        "parameter-problem, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, "
        "mld-listener-query } accept",
        "icmp type { destination-unreachable, time-exceeded, parameter-problem } accept",
        *(
            [
                f"tcp dport {{ {', '.join(str(x) for x in sorted(set(fw.uplink_tcp_ports)))} }} accept"
            ]
            if fw.uplink_tcp_ports
            else []
        ),
        f'counter name "{DROP_IN_UPLINK}" drop',
    ]


def _plan_client(
    p: _Plan,
    c: ClientSpec,
    spec: DataplaneSpec,
    opts: RenderOptions,
    rt: RunningTable,
    tq: str,
    group: GroupSpec | None = None,
) -> None:
    mac = norm_mac(c.mac)
    for d in ("rx", "tx"):
        p.counters[client_counter(mac, d)] = f"mac={mac} dir={d}"
    q = client_quota(mac)
    counted = rt.counter_bytes(client_counter(mac, "rx")) + rt.counter_bytes(
        client_counter(mac, "tx")
    )
    p.quotas[q] = plan_quota(c.quota_bytes, rt.quotas.get(q), counted)
    for direction, cdir, rate in (("up", "tx", c.rate_up_kbit), ("down", "rx", c.rate_down_kbit)):
        chain = client_chain(mac, direction)
        rules: list[str] = []
        if c.blocked or (group is not None and group.blocked):
            rules.append("drop")
        else:
            if group is not None and group.until is not None:
                rules.append(f"meta time >= {group.until} drop")  # the kernel's clock ends it
            if rate is not None:
                bps, burst = _bucket(rate, opts)
                rules.append(f"limit rate over {bps} bytes/second burst {burst} bytes drop")
            shared = None if group is None else group_limit(group.name, direction)
            if shared is not None and shared in p.limits:  # the group's cap, one for its MACs
                rules.append(f'limit name "{shared}" drop')
            rules.append(f'quota name "{q}" drop')
            if group is not None:
                rules.append(f'quota name "{group_quota(group.name)}" drop')
            rules.extend(_per_uplink(spec, direction, 'quota name "{q}" drop', tq))
            rules.append(f'counter name "{client_counter(mac, cdir)}"')
            if group is not None:
                rules.append(f'counter name "{group_counter(group.name, cdir)}"')
            rules.extend(_per_uplink(spec, direction, 'counter name "{c}"', cdir=cdir))
            rules.append("accept")
        p.chains[chain] = rules
    up_chain, down_chain = client_chain(mac, "up"), client_chain(mac, "down")
    p.maps["outmac"][mac] = up_chain
    for addr in c.ipv4:
        ip = str(ipaddress.ip_address(addr))
        p.maps["out4"][f"{mac} . {ip}"] = up_chain
        p.maps["in4"][ip] = down_chain
    for addr in c.ipv6:
        ip = str(ipaddress.ip_address(addr))
        p.sets["bind6"].add(f"{mac} . {ip}")
        p.maps["in6"][ip] = down_chain


def _per_uplink(
    spec: DataplaneSpec, direction: str, rule: str, tq: str = "", cdir: str = ""
) -> list[str]:
    """A client chain's rule for the uplink its packet goes through (upload: the output
    interface, download: the input interface), each with that uplink's counter ``{c}``; the total
    quota ``{q}`` is the uplink in use's only. One uplink: the rule as is, unconditional. Several:
    uploads are counted per uplink in ``UPLINK_TX`` instead (after NAT)."""
    if not spec.other_uplinks:
        return [rule.format(q=tq, c=uplink_counter(spec.uplink_id, cdir))]
    match = "oifname" if direction == "up" else "iifname"
    if "{q}" in rule:
        return [f'{match} "{spec.uplink_interface}" ' + rule.format(q=tq)]
    if direction == "up":
        return []
    return [
        f'{match} "{name}" ' + rule.format(c=uplink_counter(link_id, cdir))
        for name, link_id in uplink_links(spec)
    ]


# With several uplinks: uploads billed per uplink after source NAT (see ``_plan``).
UPLINK_TX = "uplink_tx"
_HOOKS = {
    UPLINK_TX: "type filter hook postrouting priority srcnat + 1; policy accept;",
    "forward": "type filter hook forward priority filter; policy accept;",
    "input": "type filter hook input priority filter; policy accept;",
    "postrouting": "type nat hook postrouting priority srcnat; policy accept;",
}


def render(
    spec: DataplaneSpec, opts: RenderOptions | None = None, running: RunningTable | None = None
) -> str:
    """The ``nft -f`` script that makes our table exactly ``spec`` in one transaction.

    ``running`` is our table as read back now (None when there is none): its counters are kept,
    its unchanged quotas kept with their ``used``, the learned IPv6 sources kept, everything
    else replaced.
    """
    opts = opts or RenderOptions()
    p = _plan(spec, opts, running)
    rt = running or RunningTable()
    defs = _set_defs(opts)
    t = f"{FAMILY} {TABLE}"
    out = [f"# simspot data plane: LAN {spec.lan_interface}, uplink {spec.uplink_interface}"]
    out.append(f"add table {t} {{ comment {_quote(OWNER_COMMENT)}; }}")
    if running is not None:
        out.append(f"flush table {t}")  # rules only: set elements stay
        for s, kind in sorted(rt.sets.items()):
            want = defs.get(s)
            if want is None or rt.set_defs.get(s) != want.signature():
                out.append(f"delete {kind} {t} {s}")  # not ours any more, or an older layout
            elif not want.dynamic:
                out.append(f"flush {kind} {t} {s}")
        out.extend(f"delete chain {t} {ch}" for ch in sorted(rt.chains - set(p.chains)))
        for name in sorted(rt.quotas):
            if name not in p.quotas or p.quotas[name].action == "create":
                out.append(f"delete quota {t} {name}")
        for name in sorted(rt.limits):  # a changed limit is made again (add keeps the old one)
            if p.limits.get(name) != rt.limits[name]:
                out.append(f"delete limit {t} {name}")
        out.extend(f"delete counter {t} {n}" for n in sorted(set(rt.counters) - set(p.counters)))
    for name, comment in sorted(p.counters.items()):
        if name not in rt.counters:
            out.append(f"add counter {t} {name} {{ comment {_quote(comment)}; }}")
    for name, qp in sorted(p.quotas.items()):
        if qp.action == "create":
            out.append(f"add quota {t} {name} {{ over {qp.limit} bytes used {qp.used} bytes; }}")
        elif qp.action == "update":  # in place: the kernel keeps used
            out.append(f"add quota {t} {name} {{ over {qp.limit} bytes; }}")
    for name, (bps, burst) in sorted(p.limits.items()):
        if rt.limits.get(name) != (bps, burst):
            out.append(
                f"add limit {t} {name} {{ rate over {bps} bytes/second burst {burst} bytes; }}"
            )
    for name, d in defs.items():
        out.append(f"add {'map' if d.verdict_map else 'set'} {t} {name} {{ {d.nft()} }}")
    for name in sorted(p.chains):
        hook = _HOOKS.get(name)
        out.append(f"add chain {t} {name}" + (f" {{ {hook} }}" if hook else ""))
    # Elements and rules after every chain exists (jumps need their target).
    for name in MAPS:
        for chunk in _chunks(sorted(p.maps[name].items()), 200):
            body = ", ".join(f"{key} : jump {chain}" for key, chain in chunk)
            out.append(f"add element {t} {name} {{ {body} }}")
    for name in STATIC_SETS:
        for chunk in _chunks(sorted((k, "") for k in p.sets[name]), 200):
            out.append(f"add element {t} {name} {{ {', '.join(k for k, _ in chunk)} }}")
    for name in sorted(p.chains):
        out.extend(f"add rule {t} {name} {rule}" for rule in p.chains[name])
    return "\n".join(out) + "\n"


def _chunks(items: list[tuple[str, str]], n: int) -> Iterable[list[tuple[str, str]]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def expected(
    spec: DataplaneSpec, opts: RenderOptions | None = None, running: RunningTable | None = None
) -> Expected:
    """The shape the read-back must have after ``render(spec, opts, running)`` was applied."""
    opts = opts or RenderOptions()
    p = _plan(spec, opts, running)
    return Expected(
        chains=set(p.chains),
        maps={k: dict(v) for k, v in p.maps.items()},
        sets={k: set(v) for k, v in p.sets.items()},
        set_defs={k: d.signature() for k, d in _set_defs(opts).items()},
        quotas={k: v.limit for k, v in p.quotas.items()},
        counters={c for c in p.counters if not _EPOCH_RE.match(c)},
        rule_counts={k: len(v) for k, v in p.chains.items()},
        limits=dict(p.limits),
    )


def mismatches(want: Expected, got: RunningTable) -> list[dict[str, Any]]:
    """Differences between the wanted shape and the read-back (empty: verified), each a message
    (``{"id", "params"}``, ``simspot.i18n.part``)."""
    problems: list[dict[str, Any]] = []
    if not got.owned:
        problems.append(part("dataplane.mismatch.owner"))
    if want.chains != got.chains:
        names = str(sorted(want.chains ^ got.chains)[:5])
        problems.append(part("dataplane.mismatch.chains", names=names))
    for name, elems in want.maps.items():
        if got.maps.get(name) != elems:
            problems.append(part("dataplane.mismatch.map", name=name))
    for name, keys in want.sets.items():
        if got.set_elems.get(name) != keys:
            problems.append(part("dataplane.mismatch.set", name=name))
    if got.set_defs != want.set_defs:
        diff = sorted(set(got.set_defs.items()) ^ set(want.set_defs.items()))
        problems.append(part("dataplane.mismatch.set-defs", diff=str(diff[:4])))
    got_quotas = {k: v[0] for k, v in got.quotas.items()}
    if got_quotas != want.quotas:
        problems.append(
            part("dataplane.mismatch.quotas", want=str(want.quotas), got=str(got_quotas))
        )
    if got.limits != want.limits:
        problems.append(
            part("dataplane.mismatch.limits", want=str(want.limits), got=str(got.limits))
        )
    missing = want.counters - set(got.counters)
    if missing:
        problems.append(part("dataplane.mismatch.counters", names=str(sorted(missing)[:5])))
    if got.epoch is None:
        problems.append(part("dataplane.mismatch.identity"))
    for chain, n in want.rule_counts.items():
        if got.rule_counts.get(chain, 0) != n:
            have = got.rule_counts.get(chain, 0)
            problems.append(part("dataplane.mismatch.rules", chain=chain, got=have, want=n))
    return problems


def removal() -> str:
    return f"delete table {FAMILY} {TABLE}\n"
