"""The real data plane in a namespace lab: real DHCP (dnsmasq + dhclient), real traffic (iperf3).

One lab per module (namespaces named after this process's pid); each test runs its own
NftDataPlane in the router namespace with the daemon's own Supervisor for nft monitor and dnsmasq.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

from simspot.daemon.events import EventBus
from simspot.daemon.supervisor import Supervisor
from simspot.dataplane.contract import ClientSpec, DataplaneEvent, DataplaneSpec
from simspot.dataplane.dnsmasq import eui64_mac, parse_leases
from simspot.dataplane.lab import HTTP_PORT, LAN, SERVER_V4, SERVER_V6, UPLINK, Lab, client_mac
from simspot.dataplane.nftrender import parse_table
from simspot.dataplane.real import NftDataPlane
from simspot.dataplane.settings import DataplaneSettings
from simspot.errors import DataplaneError, ToolMissing
from tests.dataplane.conftest import sh, unique

ICCID = "89445006012000000017"
CLIENTS = 3


@dataclass
class Client:
    i: int
    ns: str
    mac: str
    ipv4: str
    ipv6: str

    def spec(self, **kw: object) -> ClientSpec:
        return ClientSpec(self.mac, (self.ipv4,), (self.ipv6,), **kw)  # type: ignore[arg-type]


@dataclass
class LabEnv:
    lab: Lab
    clients: list[Client]
    state: Path

    def settings(self, **kw: object) -> DataplaneSettings:
        base: dict[str, object] = {
            "backend": "nft",
            "lan_interface": LAN,
            "uplink_interface": UPLINK,
            "netns": self.lab.router,
            "dns_port": 0,
        }
        return DataplaneSettings.model_validate(base | kw)

    def spec(self, *clients: ClientSpec, **kw: object) -> DataplaneSpec:
        return DataplaneSpec(LAN, UPLINK, ICCID, tuple(clients), **kw)  # type: ignore[arg-type]

    def ruleset(self) -> str:
        return sh("nft", "list", "ruleset", ns=self.lab.router)

    def lan_addresses(self) -> str:
        return sh("ip", "-o", "addr", "show", "dev", LAN, ns=self.lab.router)


@pytest.fixture(scope="module")
def lab() -> Iterator[LabEnv]:
    lab = Lab(unique("sl"), CLIENTS)
    lab.up()
    try:
        state = lab.dir / "dp"
        env = LabEnv(lab, [], state)

        async def first_leases() -> list[Client]:
            async with running(env) as dp:
                await dp.apply(env.spec())
                out = []
                for i in range(1, CLIENTS + 1):
                    v4 = await asyncio.to_thread(lab.wait_for_lease, i, 60)
                    v6 = await asyncio.to_thread(lab.wait_for_ipv6, i, 60)
                    out.append(Client(i, lab.client(i), client_mac(i), v4, v6[0]))
                return out

        env.clients = asyncio.run(first_leases())
        yield env
    finally:
        lab.down()


class running:
    """An NftDataPlane started with its components under the daemon's supervisor."""

    def __init__(self, env: LabEnv, **settings: object) -> None:
        self.dp = NftDataPlane(env.settings(**settings), env.state)
        self.sup = Supervisor(EventBus(), 0.2, 1.0)

    async def __aenter__(self) -> NftDataPlane:
        await self.dp.start()
        for c in self.dp.components():
            self.sup.add(c)
        self.sup.start()
        await asyncio.wait_for(self.dp.monitor.ready.wait(), 10)
        return self.dp

    async def __aexit__(self, *exc: object) -> None:
        await self.sup.stop()
        await self.dp.stop()


@pytest.fixture
async def dataplane(lab: LabEnv) -> AsyncIterator[NftDataPlane]:
    async with running(lab) as dp:
        yield dp


# -- traffic and measurement ---------------------------------------------------------------------
def link_stats(ns: str, dev: str = "eth0") -> tuple[int, int, int, int]:
    """(rx_bytes, rx_packets, tx_bytes, tx_packets) of an interface, L2 bytes without FCS."""
    st = json.loads(sh("ip", "-j", "-s", "link", "show", "dev", dev, ns=ns))[0]["stats64"]
    return st["rx"]["bytes"], st["rx"]["packets"], st["tx"]["bytes"], st["tx"]["packets"]


def iperf(ns: str, *args: str, timeout: float = 30) -> dict[str, object]:
    r = subprocess.run(
        ["ip", "netns", "exec", ns, "iperf3", "-J", "--connect-timeout", "3000", *args],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    doc: dict[str, object] = json.loads(r.stdout) if r.stdout.strip() else {}
    return doc


def received_bps(doc: dict[str, object]) -> float:
    end = doc["end"]
    assert isinstance(end, dict)
    return float(end["sum_received"]["bits_per_second"])


def http_get(ns: str, url: str, timeout: float = 2.0) -> bool:
    code = (
        "import sys, urllib.request\n"
        "try:\n"
        f"    urllib.request.urlopen({url!r}, timeout={timeout}).read()\n"
        "except OSError:\n"
        "    sys.exit(1)\n"
    )
    r = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", code],
        capture_output=True, timeout=timeout + 20, check=False,
    )  # fmt: skip
    return r.returncode == 0


def pin_neighbours(env: LabEnv, c: Client) -> None:
    """Static neighbour entries both ways, so no ARP/ND frames cross the veth while measuring."""
    r = env.lab.router
    lan_mac = json.loads(sh("ip", "-j", "link", "show", "dev", LAN, ns=r))[0]["address"]
    # The client's IPv6 default route comes from dnsmasq's router advertisements; a test's new
    # dnsmasq may not have sent one yet (the last one's goodbye withdrew the route): ask for one.
    deadline = time.monotonic() + 60
    while not (routes := json.loads(sh("ip", "-j", "-6", "route", "show", "default", ns=c.ns))):
        if time.monotonic() > deadline:
            raise AssertionError(f"{c.ns}: no IPv6 default route")
        env.lab.solicit_ipv6(c.i)
        time.sleep(1)
    gw6 = routes[0]["gateway"]
    sh(
        "ip",
        "neigh",
        "replace",
        "192.168.44.1",
        "lladdr",
        lan_mac,
        "nud",
        "permanent",
        "dev",
        "eth0",
        ns=c.ns,
    )
    sh(
        "ip",
        "-6",
        "neigh",
        "replace",
        gw6,
        "lladdr",
        lan_mac,
        "nud",
        "permanent",
        "dev",
        "eth0",
        ns=c.ns,
    )
    sh("ip", "neigh", "replace", c.ipv4, "lladdr", c.mac, "nud", "permanent", "dev", LAN, ns=r)
    # Every IPv6 address of the client (global and link-local): the router must never probe one.
    addrs = json.loads(sh("ip", "-j", "-6", "addr", "show", "dev", "eth0", ns=c.ns))
    ipv6 = {c.ipv6} | {a["local"] for link in addrs for a in link.get("addr_info", [])}
    for address in sorted(ipv6):
        sh("ip", "-6", "neigh", "replace", address, "lladdr", c.mac, "nud", "permanent",
           "dev", LAN, ns=r)  # fmt: skip


def wait_quiet(ns: str, quiet_s: float = 1.5, timeout: float = 60) -> None:
    """Wait until no frame crossed the interface for ``quiet_s`` (router adverts settle)."""
    deadline = time.monotonic() + timeout
    last, since = link_stats(ns), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = link_stats(ns)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
    raise AssertionError(f"{ns}: the interface never went quiet")


async def next_event(dp: NftDataPlane, within: float) -> DataplaneEvent:
    async def first() -> DataplaneEvent:
        async for ev in dp.events():
            return ev
        raise AssertionError("event stream ended")

    return await asyncio.wait_for(first(), within)


# -- a. counters equal what crossed the client's veth ---------------------------------------------
async def test_counters_equal_l3_bytes_on_the_clients_veth(
    lab: LabEnv, dataplane: NftDataPlane
) -> None:
    c = lab.clients[0]
    await dataplane.apply(lab.spec(c.spec()))
    pin_neighbours(lab, c)
    await asyncio.to_thread(wait_quiet, c.ns)
    before_c = (await dataplane.counters()).clients.get(c.mac)
    before_l = link_stats(c.ns)
    for args in (
        (SERVER_V4, "-n", "2M"),
        (SERVER_V4, "-n", "2M", "-R"),
        (SERVER_V6, "-n", "2M", "-6"),
        (SERVER_V6, "-n", "2M", "-6", "-R"),
    ):
        doc = await asyncio.to_thread(iperf, c.ns, "-c", *args)
        assert "end" in doc, doc.get("error")
    await asyncio.to_thread(wait_quiet, c.ns)  # nothing left in flight between the two reads
    after_c = (await dataplane.counters()).clients[c.mac]
    after_l = link_stats(c.ns)
    rx0 = before_c.rx_bytes if before_c else 0
    tx0 = before_c.tx_bytes if before_c else 0
    l3_rx = (after_l[0] - before_l[0]) - 14 * (after_l[1] - before_l[1])
    l3_tx = (after_l[2] - before_l[2]) - 14 * (after_l[3] - before_l[3])
    assert l3_rx > 3_000_000 and l3_tx > 3_000_000
    assert after_c.rx_bytes - rx0 == l3_rx  # download, IPv4 and IPv6
    assert after_c.tx_bytes - tx0 == l3_tx  # upload
    uplink = (await dataplane.counters()).uplinks[ICCID]
    assert uplink.rx_bytes >= after_c.rx_bytes and uplink.tx_bytes >= after_c.tx_bytes


# -- b. quota ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
async def test_quota_lets_through_at_most_q_and_reports_depletion(
    lab: LabEnv, dataplane: NftDataPlane, family: str
) -> None:
    c = lab.clients[1]
    await dataplane.apply(lab.spec(c.spec()))
    now = (await dataplane.counters()).clients.get(c.mac)
    used = (now.rx_bytes + now.tx_bytes) if now else 0
    q = 3_000_000
    await dataplane.apply(lab.spec(c.spec(quota_bytes=used + q)))
    waiter = asyncio.create_task(next_event(dataplane, 30))
    await asyncio.sleep(0)
    server = SERVER_V4 if family == "ipv4" else f"[{SERVER_V6}]"
    ok = await asyncio.to_thread(http_get, c.ns, f"http://{server}:{HTTP_PORT}/10M.bin")
    assert not ok  # 10 MB cannot fit into 3 MB
    event = await waiter
    assert event == DataplaneEvent("quota-depleted", "client", c.mac)
    after = (await dataplane.counters()).clients[c.mac]
    passed = after.rx_bytes + after.tx_bytes - used
    # Never more than Q. Forwarded TCP arrives GRO-merged (up to 64 KiB per packet), so the packet
    # that would cross the limit, and with it what stops short of Q, can be that large.
    assert q - 70_000 <= passed <= q


async def test_total_quota_is_reported_under_the_uplink_id(
    lab: LabEnv, dataplane: NftDataPlane
) -> None:
    c = lab.clients[2]
    await dataplane.apply(lab.spec(c.spec()))
    up = (await dataplane.counters()).uplinks.get(ICCID)
    used = (up.rx_bytes + up.tx_bytes) if up else 0
    await dataplane.apply(lab.spec(c.spec(), total_quota_bytes=used + 1_000_000))
    waiter = asyncio.create_task(next_event(dataplane, 30))
    await asyncio.sleep(0)
    assert not await asyncio.to_thread(http_get, c.ns, f"http://{SERVER_V4}:{HTTP_PORT}/10M.bin")
    assert await waiter == DataplaneEvent("quota-depleted", "total", ICCID)
    up2 = (await dataplane.counters()).uplinks[ICCID]
    assert up2.rx_bytes + up2.tx_bytes - used <= 1_000_000


async def test_depletion_while_nothing_listened_is_reported_when_the_monitor_starts(
    lab: LabEnv,
) -> None:
    c = lab.clients[2]
    dp = NftDataPlane(lab.settings(), lab.state)  # no monitor running yet
    await dp.start()
    try:
        await dp.apply(lab.spec(c.spec(quota_bytes=200_000)))
        assert not await asyncio.to_thread(
            http_get, c.ns, f"http://{SERVER_V4}:{HTTP_PORT}/10M.bin"
        )
        sup = Supervisor(EventBus(), 0.2, 1.0)
        sup.add(dp.monitor)
        waiter = asyncio.create_task(next_event(dp, 15))
        await asyncio.sleep(0)
        sup.start()
        try:
            assert await waiter == DataplaneEvent("quota-depleted", "client", c.mac)
        finally:
            await sup.stop()
    finally:
        await dp.stop()


# -- c. block / unblock -----------------------------------------------------------------------------
async def test_block_cuts_within_a_second_and_unblock_restores(
    lab: LabEnv, dataplane: NftDataPlane
) -> None:
    c = lab.clients[0]
    await dataplane.apply(lab.spec(c.spec()))
    assert await asyncio.to_thread(http_get, c.ns, f"http://{SERVER_V4}:{HTTP_PORT}/index.html")
    # A running download, then block.
    flow = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", c.ns, "iperf3", "-c", SERVER_V4, "-R", "-t", "8", "-b", "50M",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await asyncio.sleep(2)
        moving = link_stats(c.ns)[0]
        await asyncio.sleep(0.5)
        assert link_stats(c.ns)[0] - moving > 1_000_000  # the download is flowing
        t0 = time.monotonic()
        await dataplane.apply(lab.spec(c.spec(blocked=True)))
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
        cut = link_stats(c.ns)[0]
        await asyncio.sleep(1.5)
        assert link_stats(c.ns)[0] - cut < 20_000  # nothing but stray control frames
        assert not await asyncio.to_thread(
            http_get, c.ns, f"http://{SERVER_V4}:{HTTP_PORT}/index.html", 1.0
        )
        await dataplane.apply(lab.spec(c.spec()))
        # The flow recovers and ends by itself: killed while blocked, its server would go on
        # retransmitting into a later test's measurement.
        await asyncio.wait_for(flow.wait(), 60)
    finally:
        if flow.returncode is None:
            flow.kill()
            await flow.wait()
    assert await asyncio.to_thread(http_get, c.ns, f"http://{SERVER_V4}:{HTTP_PORT}/index.html")
    assert await asyncio.to_thread(http_get, c.ns, f"http://[{SERVER_V6}]:{HTTP_PORT}/index.html")


# -- d. speed cap -----------------------------------------------------------------------------------
@pytest.mark.parametrize("direction", ["down", "up"])
async def test_speed_cap_holds_within_ten_percent(
    lab: LabEnv, dataplane: NftDataPlane, direction: str
) -> None:
    c = lab.clients[1]
    cap_kbit = 20_000
    kw = {"rate_down_kbit": cap_kbit} if direction == "down" else {"rate_up_kbit": cap_kbit}
    await dataplane.apply(lab.spec(c.spec(**kw)))
    args = ["-c", SERVER_V4, "-t", "5", "-O", "1"] + (["-R"] if direction == "down" else [])
    doc = await asyncio.to_thread(iperf, c.ns, *args)
    bps = received_bps(doc)
    assert 0.9 * cap_kbit * 1000 <= bps <= 1.1 * cap_kbit * 1000, bps


# -- e. SIGKILL of the process that runs the data plane -----------------------------------------------
def start_runner(env: LabEnv, spec: DataplaneSpec) -> subprocess.Popen[str]:
    settings = env.settings().model_dump_json()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("dp_runner.py")), settings, str(env.state),
         json.dumps(asdict(spec))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")},
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "applied":
        proc.kill()
        raise AssertionError(f"runner failed: {line} {proc.stderr.read() if proc.stderr else ''}")
    return proc


def stop_runner(proc: subprocess.Popen[str]) -> None:
    if proc.returncode is None:
        proc.kill()
    proc.communicate(timeout=10)  # reaps it and closes the pipes


async def test_sigkill_leaves_the_kernel_counting_and_restart_adopts_without_loss(
    lab: LabEnv,
) -> None:
    counted, capped = lab.clients[0], lab.clients[2]
    reader = NftDataPlane(lab.settings(), lab.state)  # only reads; never applies
    now = await reader.counters()
    before = now.clients.get(capped.mac)
    capped_used = before.rx_bytes + before.tx_bytes if before else 0
    spec = lab.spec(counted.spec(), capped.spec(quota_bytes=capped_used + 2_000_000))
    # Both clients share the LAN bridge: pin both, so no broadcast ARP/ND reaches the counted one.
    pin_neighbours(lab, counted)
    pin_neighbours(lab, capped)
    first = start_runner(lab, spec)
    try:
        epoch = await reader.counters_epoch()
        await asyncio.to_thread(wait_quiet, counted.ns)
        c0 = (await reader.counters()).clients[counted.mac]
        l0 = link_stats(counted.ns)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert first.returncode == -signal.SIGKILL
        # The process is gone; the kernel keeps counting and enforcing.
        # A whole 10 MB download (read to the end: every byte surely crossed the router).
        assert await asyncio.to_thread(
            http_get, counted.ns, f"http://{SERVER_V4}:{HTTP_PORT}/10M.bin", 30.0
        )
        await asyncio.to_thread(wait_quiet, counted.ns)
        c1 = (await reader.counters()).clients[counted.mac]
        assert c1.rx_bytes - c0.rx_bytes > 10_000_000  # payload plus headers
        assert c1.tx_bytes > c0.tx_bytes  # and the ACKs going up
        assert not await asyncio.to_thread(
            http_get, capped.ns, f"http://{SERVER_V4}:{HTTP_PORT}/10M.bin"
        )
        cq = (await reader.counters()).clients[capped.mac]
        assert cq.rx_bytes + cq.tx_bytes - capped_used <= 2_000_000
        # A new process adopts the table: same identity, not a byte lost.
        second = start_runner(lab, spec)
        try:
            assert await reader.counters_epoch() == epoch
            # Carried over, not restarted (a late stray segment may add to them; the exact
            # proof that nothing was lost is the L3 equation below).
            c2 = (await reader.counters()).clients[counted.mac]
            assert c2.rx_bytes >= c1.rx_bytes and c2.tx_bytes >= c1.tx_bytes
            assert "end" in await asyncio.to_thread(
                iperf, counted.ns, "-c", SERVER_V4, "-n", "1M", "-R"
            )
            await asyncio.to_thread(wait_quiet, counted.ns)
            c3 = (await reader.counters()).clients[counted.mac]
            l3 = link_stats(counted.ns)
            assert c3.rx_bytes - c0.rx_bytes == (l3[0] - l0[0]) - 14 * (l3[1] - l0[1])
            assert c3.tx_bytes - c0.tx_bytes == (l3[2] - l0[2]) - 14 * (l3[3] - l0[3])
        finally:
            stop_runner(second)
    finally:
        stop_runner(first)
        await reader.stop()  # removes the table the runners left


# -- DHCP: hostnames, option 43, leases as stations -------------------------------------------------
async def test_dhcp_leases_carry_hostname_and_metered_option(
    lab: LabEnv, dataplane: NftDataPlane
) -> None:
    await dataplane.apply(lab.spec())
    stations = await dataplane.leases().stations()
    by_mac = {s.mac: s for s in stations}
    for c in lab.clients:
        assert by_mac[c.mac].ipv4 == c.ipv4
        assert by_mac[c.mac].hostname == f"client{c.i}"
    leases = parse_leases(dataplane.dnsmasq.lease_path.read_text())
    assert {lease.mac for lease in leases} >= {c.mac for c in lab.clients}
    got = (lab.lab.dir / "dhclient-c1.leases").read_text()
    assert 'option vendor-encapsulated-options "ANDROID_METERED";' in got


# -- f. bad input: clear error, nothing changed -------------------------------------------------------
def _shape(ruleset: str) -> str:
    """The ruleset without what traffic moves (counters, quota use, learned set elements)."""
    text = re.sub(r"packets \d+ bytes \d+", "packets - bytes -", ruleset)
    text = re.sub(r"used \d+ bytes", "used -", text)
    return re.sub(r"expires [0-9hms]+", "expires -", text)


def _unchanged(env: LabEnv) -> tuple[str, str]:
    return _shape(env.ruleset()), env.lan_addresses()


async def test_unknown_interface_is_refused_and_nothing_changes(lab: LabEnv) -> None:
    before = _unchanged(lab)
    dp = NftDataPlane(lab.settings(), lab.state)
    await dp.start()
    with pytest.raises(DataplaneError, match="unknown LAN interface 'nosuch0'"):
        await dp.apply(DataplaneSpec("nosuch0", UPLINK, ICCID))
    with pytest.raises(DataplaneError, match="unknown uplink interface 'wwan9'"):
        await dp.apply(DataplaneSpec(LAN, "wwan9", ICCID))
    assert _unchanged(lab) == before


async def test_lan_subnet_overlapping_the_uplink_is_refused(lab: LabEnv) -> None:
    before = _unchanged(lab)
    dp = NftDataPlane(
        lab.settings(lan_address="100.64.0.1/24", dhcp_start="100.64.0.10", dhcp_end="100.64.0.20"),
        lab.state,
    )
    await dp.start()
    with pytest.raises(
        DataplaneError, match=r"LAN subnet 100\.64\.0\.0/24 overlaps the uplink up0"
    ):
        await dp.apply(lab.spec())
    assert _unchanged(lab) == before


@pytest.mark.parametrize("missing", ["nft", "dnsmasq"])
async def test_missing_tools_are_named(
    lab: LabEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    before = _unchanged(lab)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ip", "nft", "dnsmasq", "sysctl"):
        if tool != missing:
            found = shutil.which(tool)
            assert found is not None
            (bin_dir / tool).symlink_to(found)
    monkeypatch.setenv("PATH", str(bin_dir))
    dp = NftDataPlane(lab.settings(), lab.state)
    package = {"nft": "nftables", "dnsmasq": "dnsmasq-base"}[missing]
    with pytest.raises(ToolMissing, match=f"{missing} is not installed .Debian package: {package}"):
        await dp.start()
    monkeypatch.undo()
    assert _unchanged(lab) == before


@pytest.mark.parametrize(
    "foreign",
    [
        "add table ip simspot\nadd chain ip simspot c { type filter hook forward priority 0; }",
        'add table inet simspot\nadd counter inet simspot simspot_owner { comment "other"; }',
    ],
)
async def test_foreign_table_named_like_ours_is_refused(lab: LabEnv, foreign: str) -> None:
    r = lab.lab.router
    sh("nft", "-f", "-", ns=r, inp=foreign + "\n")
    try:
        before = _unchanged(lab)
        dp = NftDataPlane(lab.settings(), lab.state)
        with pytest.raises(DataplaneError, match="simspot"):
            await dp.start()
        with pytest.raises(DataplaneError, match=r"(foreign|not created by simspot)"):
            await dp.apply(lab.spec(lab.clients[0].spec()))
        with pytest.raises(DataplaneError):
            await dp.stop()
        assert _unchanged(lab) == before
    finally:
        family = foreign.split()[2]
        sh("nft", "delete", "table", family, "simspot", ns=r)


async def test_a_spec_the_kernel_refuses_changes_nothing(
    lab: LabEnv, dataplane: NftDataPlane
) -> None:
    c = lab.clients[0]
    await dataplane.apply(lab.spec(c.spec()))
    before = _shape(lab.ruleset())
    # A rate the kernel cannot hold (limit rates are 64-bit byte counts; this overflows them).
    with pytest.raises(DataplaneError):
        await dataplane.apply(lab.spec(c.spec(rate_down_kbit=2**62)))
    assert _shape(lab.ruleset()) == before


# -- g. a hostile client: spoofed sources, a spray of IPv6 sources -----------------------------------
HOSTILE = str(Path(__file__).with_name("hostile.py"))


def router_lan_mac(env: LabEnv) -> str:
    doc = json.loads(sh("ip", "-j", "link", "show", "dev", LAN, ns=env.lab.router))
    return str(doc[0]["address"])


def hostile(env: LabEnv, c: Client, *args: str, mac: str | None = None) -> dict[str, float]:
    out = sh(sys.executable, HOSTILE, "eth0", mac or c.mac, router_lan_mac(env), *args, ns=c.ns)
    doc: dict[str, float] = json.loads(out)
    return doc


def learned(env: LabEnv) -> dict[str, set[str]]:
    out = sh("nft", "-j", "list", "set", "inet", "simspot", "seen6", ns=env.lab.router)
    return parse_table(json.loads(out)).seen6


async def test_spoofed_sources_are_dropped_counted_and_billed_to_nobody(
    lab: LabEnv, dataplane: NftDataPlane
) -> None:
    bystander, victim, attacker = lab.clients
    await dataplane.apply(lab.spec(*(c.spec() for c in lab.clients)))
    for c in lab.clients:
        pin_neighbours(lab, c)
    for c in lab.clients:
        await asyncio.to_thread(wait_quiet, c.ns)
    before = await dataplane.counters()
    # The victim's own addresses, an address nobody holds, and a MAC that is not a client.
    hostile(lab, attacker, "udp4", victim.ipv4, SERVER_V4, "50")
    hostile(lab, attacker, "udp6", victim.ipv6, SERVER_V6, "50")
    hostile(lab, attacker, "udp4", "192.168.44.249", SERVER_V4, "30")
    hostile(lab, attacker, "udp4", attacker.ipv4, SERVER_V4, "20", mac="02:66:00:00:00:01")
    after = await dataplane.counters()
    for c in (victim, bystander):
        b, a = before.clients.get(c.mac), after.clients[c.mac]
        assert (a.tx_bytes, a.rx_bytes) == ((b.tx_bytes, b.rx_bytes) if b else (0, 0)), c
    # The attacker's own stack may send a packet of its own meanwhile (a router solicitation,
    # MLD): never more than a few, while the 150 hostile packets would be thousands of bytes.
    b, a = before.clients.get(attacker.mac), after.clients[attacker.mac]
    assert a.tx_bytes - (b.tx_bytes if b else 0) < 400, attacker
    assert after.spoofed.packets - before.spoofed.packets == 130
    assert after.unknown.packets - before.unknown.packets == 20
    assert after.uplinks[ICCID].tx_bytes == before.uplinks[ICCID].tx_bytes
    # The attacker's own address still works, and so does everyone else.
    assert await asyncio.to_thread(http_get, attacker.ns, f"http://{SERVER_V4}:{HTTP_PORT}/")
    assert await asyncio.to_thread(http_get, victim.ns, f"http://[{SERVER_V6}]:{HTTP_PORT}/")


async def test_a_neighbours_static_ipv4_gets_nothing_through_and_bills_nobody(
    lab: LabEnv, dataplane: NftDataPlane
) -> None:
    """Issue 17's attack: keep the MAC, take a neighbour's leased address, download."""
    victim, attacker = lab.clients[1], lab.clients[2]
    await dataplane.apply(lab.spec(*(c.spec() for c in lab.clients)))
    pin_neighbours(lab, victim)  # the router's entry for the victim cannot be overwritten
    await asyncio.to_thread(wait_quiet, victim.ns)
    before = (await dataplane.counters()).clients[victim.mac]
    sh("ip", "addr", "add", f"{victim.ipv4}/32", "dev", "eth0", ns=attacker.ns)
    try:
        code = (
            "import socket, sys\n"
            f"s = socket.create_connection(({SERVER_V4!r}, {HTTP_PORT}), timeout=3,"
            f" source_address=({victim.ipv4!r}, 0))\n"
            "s.sendall(b'GET /10M.bin HTTP/1.0\\r\\n\\r\\n')\n"
            "print(len(s.recv(65536)))\n"
        )
        r = await asyncio.to_thread(
            subprocess.run,
            ["ip", "netns", "exec", attacker.ns, sys.executable, "-c", code],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert r.returncode != 0 and "timed out" in r.stderr
    finally:
        sh("ip", "addr", "del", f"{victim.ipv4}/32", "dev", "eth0", ns=attacker.ns)
    after = (await dataplane.counters()).clients[victim.mac]
    assert (after.rx_bytes, after.tx_bytes) == (before.rx_bytes, before.tx_bytes)


async def test_the_routers_neighbour_entries_follow_the_binding(
    lab: LabEnv, dataplane: NftDataPlane
) -> None:
    """A forged ARP reply cannot divert a client's downloads to another MAC."""
    victim, attacker = lab.clients[1], lab.clients[2]
    r = lab.lab.router

    def entry(addr: str) -> dict[str, object]:
        found = json.loads(sh("ip", "-j", "neigh", "show", addr, "dev", LAN, ns=r))
        return found[0] if found else {}

    # Not pinned by the test: the data plane pins what the spec binds.
    sh("ip", "neigh", "flush", "dev", LAN, ns=r)
    await dataplane.apply(lab.spec(*(c.spec() for c in lab.clients)))
    assert entry(victim.ipv4).get("lladdr") == victim.mac
    assert "PERMANENT" in entry(victim.ipv4).get("state", [])  # type: ignore[operator]
    assert entry(victim.ipv6).get("lladdr") == victim.mac
    hostile(lab, attacker, "arp", victim.ipv4, "192.168.44.1", "5")
    assert entry(victim.ipv4).get("lladdr") == victim.mac
    assert await asyncio.to_thread(http_get, victim.ns, f"http://{SERVER_V4}:{HTTP_PORT}/")
    # Unbound: the entry goes.
    await dataplane.apply(lab.spec(*(c.spec() for c in lab.clients if c is not victim)))
    assert entry(victim.ipv4).get("lladdr") != victim.mac or "PERMANENT" not in entry(
        victim.ipv4
    ).get("state", [])  # type: ignore[operator]


async def test_ipv6_sources_bind_first_come_and_a_spray_learns_a_handful(lab: LabEnv) -> None:
    bystander, victim, attacker = lab.clients
    async with running(lab, ipv6_per_client=4) as dp:
        await dp.apply(lab.spec(*(c.spec() for c in lab.clients)))
        # The victim starts using a new address: learned in the kernel, first-come, and
        # forwarded at once (uploads are billed by MAC once the address is bound to it).
        net = victim.ipv6.rsplit(":", 1)[0]
        fresh = f"{net}:beef"
        sh("ip", "-6", "addr", "add", f"{fresh}/64", "dev", "eth0", "nodad", ns=victim.ns)
        try:
            hostile(lab, victim, "udp6", fresh, SERVER_V6, "1")
            assert fresh in learned(lab).get(victim.mac, set())
            # The attacker claims it next: dropped as spoofed; the owner keeps it.
            spoofed0 = (await dp.counters()).spoofed.packets
            hostile(lab, attacker, "udp6", fresh, SERVER_V6, "5")
            assert (await dp.counters()).spoofed.packets - spoofed0 == 5
            assert fresh not in learned(lab).get(attacker.mac, set())
            # The daemon's view (leases + learned sources) binds it to the victim only.
            stations = {s.mac: s for s in await dp.leases().stations()}
            assert fresh in stations[victim.mac].ipv6
        finally:
            sh("ip", "-6", "addr", "del", f"{fresh}/64", "dev", "eth0", ns=victim.ns)
        # The attacker takes the victim's own (EUI-64) address before the victim used it: the
        # daemon gives it back (evicts the claim), and the victim binds it with its next packet.
        await dp.apply(lab.spec(bystander.spec(), ClientSpec(victim.mac, (victim.ipv4,)),
                                attacker.spec()))  # fmt: skip
        sh("nft", "delete", "element", "inet", "simspot", "seen6",
           f"{{ {victim.mac} . {victim.ipv6} }}", ns=lab.lab.router, check=False)  # fmt: skip
        sh("nft", "delete", "element", "inet", "simspot", "own6", f"{{ {victim.ipv6} }}",
           ns=lab.lab.router, check=False)  # fmt: skip
        assert eui64_mac(victim.ipv6) == victim.mac
        hostile(lab, attacker, "udp6", victim.ipv6, SERVER_V6, "1")
        assert victim.ipv6 in learned(lab).get(attacker.mac, set())
        stations = {s.mac: s for s in await dp.leases().stations()}
        assert victim.ipv6 not in stations[attacker.mac].ipv6
        assert victim.ipv6 not in learned(lab).get(attacker.mac, set())
        hostile(lab, victim, "udp6", victim.ipv6, SERVER_V6, "1")
        assert victim.ipv6 in learned(lab).get(victim.mac, set())
        await dp.apply(lab.spec(*(c.spec() for c in lab.clients)))
        # 20,000 sources in 10 s: the kernel learns the burst and a little more, no more.
        c0 = await dp.counters()
        prefix = ipaddress.IPv6Interface(f"{attacker.ipv6}/64").network
        result = await asyncio.to_thread(
            hostile, lab, attacker, "spray6", str(prefix), SERVER_V6, "20000", "10"
        )
        assert result["sent"] == 20000
        mine = learned(lab).get(attacker.mac, set()) - {attacker.ipv6}
        assert 1 <= len(mine) <= 8 + 6 * (result["seconds"] + 60) / 60
        c1 = await dp.counters()
        assert c1.learn_limited.packets - c0.learn_limited.packets >= 20000 - 20
        # Others are untouched: the bystander still talks over IPv6.
        assert await asyncio.to_thread(http_get, bystander.ns, f"http://[{SERVER_V6}]:{HTTP_PORT}/")
        # The daemon keeps the 4 used last per client and the kernel forgets the rest.
        stations = {s.mac: s for s in await dp.leases().stations()}
        assert len(stations[attacker.mac].ipv6) <= 4
        assert len(learned(lab).get(attacker.mac, set())) <= 4


# -- h. lease classes: known devices the full lease, new ones a short one, refused ones none ----
def lease_of(dp: NftDataPlane, mac: str) -> float | None:
    for lease in parse_leases(dp.dnsmasq.lease_path.read_text()):
        if lease.mac == mac and lease.expires is not None:
            return lease.expires.timestamp() - time.time()
    return None


async def test_known_devices_get_the_full_lease_new_ones_a_short_one_refused_none(
    lab: LabEnv, dataplane: NftDataPlane
) -> None:
    known, newcomer = lab.clients[0], client_mac(4)
    await dataplane.apply(lab.spec(known_macs=(known.mac,), refused_macs=(newcomer,)))
    conf = dataplane.dnsmasq.conf_path
    await asyncio.to_thread(
        wait_until, lambda: f"dhcp-host={newcomer},ignore" in conf.read_text(), 30
    )
    assert f"\ndhcp-host={known.mac},set:known\n" in conf.read_text()
    # The known client renews: the full lease (lease_time_s, an hour).
    pid = int((lab.lab.dir / "dhclient-c1.pid").read_text())
    os.kill(pid, signal.SIGTERM)
    await asyncio.to_thread(lab.lab.start_dhclient, 1)

    def renewed() -> float | None:
        left = lease_of(dataplane, known.mac)
        return left if left is not None and left > 3000 else None

    assert 3000 < await asyncio.to_thread(wait_until, renewed, 60) <= 3600
    # A refused MAC gets no answer at all.
    log = dataplane.dnsmasq.state_dir / "dnsmasq.log"
    await asyncio.to_thread(lab.lab.add_client, 4)
    try:
        await asyncio.to_thread(
            wait_until, lambda: f"{newcomer} ignored" in log.read_text(errors="replace"), 60
        )
        assert lease_of(dataplane, newcomer) is None
        # Let in: as a device seen for the first time, the short lease (10 minutes).
        await dataplane.apply(lab.spec(known_macs=(known.mac,)))
        left = await asyncio.to_thread(wait_until, lambda: lease_of(dataplane, newcomer), 60)
        assert 500 < left <= 600
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((lab.lab.dir / "dhclient-c4.pid").read_text()), signal.SIGKILL)
        sh("ip", "netns", "del", lab.lab.client(4), check=False)


def wait_until(predicate, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")
