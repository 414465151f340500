"""Guest passes in the kernel: one quota shared by a pass's MACs, revoke, end time (namespace lab).

The pass's MACs are mapped to it directly in the spec (a ``GroupSpec``); how hostapd's key id
maps a station to its pass is tested in test_guests.py.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator

import pytest

from simspot.dataplane.contract import Counters, DataplaneEvent, GroupSpec
from simspot.dataplane.lab import HTTP_PORT, SERVER_V4, SERVER_V6
from simspot.dataplane.real import NftDataPlane
from tests.dataplane.test_lab import (  # noqa: F401  (the lab fixture is used by name)
    ICCID,
    LabEnv,
    http_get,
    lab,
    link_stats,
    next_event,
    running,
)

SMALL = f"http://{SERVER_V4}:{HTTP_PORT}/index.html"


@pytest.fixture
async def dataplane(lab: LabEnv) -> AsyncIterator[NftDataPlane]:  # noqa: F811
    async with running(lab) as dp:
        yield dp


def _group_bytes(counters: Counters, name: str) -> int:
    g = counters.groups.get(name)
    return 0 if g is None else g.rx_bytes + g.tx_bytes


async def test_one_pass_used_by_three_macs_in_turn_shares_one_allowance(
    lab: LabEnv,  # noqa: F811
    dataplane: NftDataPlane,
) -> None:
    (lab.lab.dir / "www" / "1500k.bin").write_bytes(bytes(1_500_000))
    clients = lab.clients
    group = GroupSpec("share3", tuple(c.mac for c in clients))
    specs = [c.spec() for c in clients]
    await dataplane.apply(lab.spec(*specs, groups=(group,)))
    before = await dataplane.counters()
    g0 = _group_bytes(before, "share3")
    c0 = {c.mac: before.clients.get(c.mac) for c in clients}
    q = 4_000_000
    await dataplane.apply(lab.spec(*specs, groups=(GroupSpec(group.name, group.macs, g0 + q),)))
    waiter = asyncio.create_task(next_event(dataplane, 60))
    await asyncio.sleep(0)
    big = f"http://{SERVER_V4}:{HTTP_PORT}/1500k.bin"
    # The first two MACs each take 1.5 MB: both fit.
    assert await asyncio.to_thread(http_get, clients[0].ns, big, 10.0)
    assert await asyncio.to_thread(http_get, clients[1].ns, big, 10.0)
    # The third MAC's 1.5 MB does not fit into what is left (about 1 MB).
    assert not await asyncio.to_thread(http_get, clients[2].ns, big, 5.0)
    assert await waiter == DataplaneEvent("quota-depleted", "group", "share3")
    # The pass is spent for every MAC, the first included, and over IPv6 too.
    assert not await asyncio.to_thread(http_get, clients[0].ns, SMALL, 1.0)
    v6 = f"http://[{SERVER_V6}]:{HTTP_PORT}/index.html"
    assert not await asyncio.to_thread(http_get, clients[1].ns, v6, 1.0)
    after = await dataplane.counters()
    passed = _group_bytes(after, "share3") - g0
    # Never more than the allowance; short of it by at most one (GRO-merged) packet.
    assert q - 70_000 <= passed <= q, passed
    # Every byte the pass counted is some MAC's byte: all three are counted under it.
    per_mac = []
    for c in clients:
        a, b = after.clients[c.mac], c0[c.mac]
        per_mac.append(a.rx_bytes + a.tx_bytes - ((b.rx_bytes + b.tx_bytes) if b else 0))
    assert sum(per_mac) == passed
    assert all(n > 1_000 for n in per_mac), per_mac
    # A top-up takes effect at once.
    await dataplane.apply(
        lab.spec(*specs, groups=(GroupSpec(group.name, group.macs, g0 + q + 2_000_000),))
    )
    assert await asyncio.to_thread(http_get, clients[2].ns, big, 10.0)


async def test_revoking_a_pass_cuts_its_guest_off_and_no_one_else(
    lab: LabEnv,  # noqa: F811
    dataplane: NftDataPlane,
) -> None:
    guest, other = lab.clients[0], lab.clients[1]
    group = GroupSpec("revoked", (guest.mac,))
    specs = [guest.spec(), other.spec()]
    await dataplane.apply(lab.spec(*specs, groups=(group,)))
    assert await asyncio.to_thread(http_get, guest.ns, SMALL)
    flow = await asyncio.create_subprocess_exec(
        "ip", "netns", "exec", guest.ns, "iperf3", "-c", SERVER_V4, "-R", "-t", "10", "-b", "50M",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        start = link_stats(guest.ns)[0]
        while link_stats(guest.ns)[0] - start < 1_000_000:  # the download is flowing
            assert time.monotonic() < deadline, "the download never started"
            await asyncio.sleep(0.2)
        t0 = time.monotonic()
        await dataplane.apply(
            lab.spec(*specs, groups=(GroupSpec(group.name, group.macs, blocked=True),))
        )
        # Generous poll: the flow must go quiet (under 20 kB in half a second).
        deadline = time.monotonic() + 10
        while True:
            a = link_stats(guest.ns)[0]
            await asyncio.sleep(0.5)
            if link_stats(guest.ns)[0] - a < 20_000:
                break
            assert time.monotonic() < deadline, "the revoked guest still receives"
        print(f"revoke cut the guest off within {time.monotonic() - t0:.2f} s (poll step 0.5 s)")
        assert not await asyncio.to_thread(http_get, guest.ns, SMALL, 1.0)
        assert await asyncio.to_thread(http_get, other.ns, SMALL)  # nobody else is disturbed
    finally:
        flow.kill()
        await flow.wait()


async def test_a_pass_stops_by_itself_at_its_end_time(
    lab: LabEnv,  # noqa: F811
    dataplane: NftDataPlane,
) -> None:
    guest, other = lab.clients[2], lab.clients[0]
    until = int(time.time()) + 4
    group = GroupSpec("ending", (guest.mac,), until=until)
    await dataplane.apply(lab.spec(guest.spec(), other.spec(), groups=(group,)))
    assert time.time() < until - 1, "the machine was too slow to test before the end"
    assert await asyncio.to_thread(http_get, guest.ns, SMALL)
    # Nothing is applied any more: the kernel's clock ends the pass.
    deadline = until + 20
    while await asyncio.to_thread(http_get, guest.ns, SMALL, 1.0):
        assert time.time() < deadline, "the pass did not end"
        await asyncio.sleep(0.3)
    assert time.time() >= until  # not before its end
    assert not await asyncio.to_thread(http_get, guest.ns, SMALL, 1.0)
    assert await asyncio.to_thread(http_get, other.ns, SMALL)


def _start_download(ns: str, url: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["ip", "netns", "exec", ns, "curl", "-s", "-o", "/dev/null", "--max-time", "30", url],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def _together(lab: LabEnv, window_s: float) -> tuple[int, int]:  # noqa: F811
    """Bytes two clients receive over ``window_s`` while both download at once (after 1.5 s)."""
    a, b = lab.clients[0], lab.clients[1]
    url = f"http://{SERVER_V4}:{HTTP_PORT}/big.bin"
    procs = [_start_download(c.ns, url) for c in (a, b)]
    try:
        await asyncio.sleep(1.5)  # both flows past their start
        start = [link_stats(c.ns)[0] for c in (a, b)]
        t0 = time.monotonic()
        await asyncio.sleep(window_s)
        end = [link_stats(c.ns)[0] for c in (a, b)]
        elapsed = time.monotonic() - t0
        assert all(p.poll() is None for p in procs), "a download ended early (file too small?)"
    finally:
        for p in procs:
            p.kill()
            p.wait()
    scale = window_s / elapsed  # per the window asked for, whatever the sleep really took
    return int((end[0] - start[0]) * scale), int((end[1] - start[1]) * scale)


async def test_a_passs_speed_cap_is_shared_by_its_macs(
    lab: LabEnv,  # noqa: F811
    dataplane: NftDataPlane,
) -> None:
    """Two MACs of one pass downloading at once get the pass's cap together, not one each."""
    big = lab.lab.dir / "www" / "big.bin"
    if not big.exists():
        big.write_bytes(bytes(60_000_000))
    a, b = lab.clients[0], lab.clients[1]
    cap_kbit, window = 8_000, 4.0
    cap_bytes = cap_kbit * 1000 // 8 * window  # 4 MB in the window
    shared = GroupSpec("capped", (a.mac, b.mac), rate_down_kbit=cap_kbit, rate_up_kbit=cap_kbit)
    await dataplane.apply(lab.spec(a.spec(), b.spec(), groups=(shared,)))
    got_a, got_b = await _together(lab, window)
    print(f"shared cap {cap_kbit} kbit/s: {got_a} + {got_b} bytes in {window} s")
    # Together under the one cap (L2 bytes, a burst and timing slack allowed for) ...
    assert got_a + got_b <= 1.25 * cap_bytes, (got_a, got_b)
    # ... and both devices did download (the cap is shared, not given to one of them).
    assert got_a > 0.05 * cap_bytes and got_b > 0.05 * cap_bytes, (got_a, got_b)
    # The control: the same cap per device lets the two together well past it.
    each = (a.spec(rate_down_kbit=cap_kbit), b.spec(rate_down_kbit=cap_kbit))
    await dataplane.apply(lab.spec(*each, groups=(GroupSpec("capped", (a.mac, b.mac)),)))
    ctl_a, ctl_b = await _together(lab, window)
    print(f"per-device cap {cap_kbit} kbit/s: {ctl_a} + {ctl_b} bytes in {window} s")
    assert ctl_a + ctl_b > 1.4 * cap_bytes, (ctl_a, ctl_b)
    # A changed cap takes effect (the named limit is made again with the new rate).
    half = GroupSpec("capped", (a.mac, b.mac), rate_down_kbit=cap_kbit // 2)
    await dataplane.apply(lab.spec(a.spec(), b.spec(), groups=(half,)))
    got_a, got_b = await _together(lab, window)
    assert got_a + got_b <= 1.25 * cap_bytes / 2, (got_a, got_b)


async def test_a_guest_never_spends_what_the_plan_no_longer_has(
    lab: LabEnv,  # noqa: F811
    dataplane: NftDataPlane,
) -> None:
    """The pass allows far more than the plan has left: the plan's limit stops the guest."""
    (lab.lab.dir / "www" / "1500k.bin").write_bytes(bytes(1_500_000))
    guest = lab.clients[0]
    group = GroupSpec("richpass", (guest.mac,))
    await dataplane.apply(lab.spec(guest.spec(), groups=(group,)))
    before = await dataplane.counters()
    up0 = before.uplinks[ICCID].rx_bytes + before.uplinks[ICCID].tx_bytes
    g0 = _group_bytes(before, "richpass")
    plan_left = 2_000_000
    rich = GroupSpec("richpass", (guest.mac,), quota_bytes=g0 + 50_000_000)
    await dataplane.apply(lab.spec(guest.spec(), groups=(rich,), total_quota_bytes=up0 + plan_left))
    big = f"http://{SERVER_V4}:{HTTP_PORT}/1500k.bin"
    assert await asyncio.to_thread(http_get, guest.ns, big, 10.0)  # 1.5 MB fits
    assert not await asyncio.to_thread(http_get, guest.ns, big, 5.0)  # the next does not
    after = await dataplane.counters()
    spent = _group_bytes(after, "richpass") - g0
    plan_spent = after.uplinks[ICCID].rx_bytes + after.uplinks[ICCID].tx_bytes - up0
    # The guest spent what the plan had, never more, though its pass had 50 MB.
    assert spent <= plan_left and plan_spent <= plan_left, (spent, plan_spent)
    assert spent >= plan_left - 70_000, spent
