"""The renderer: a golden script, properties over many specs, and real application in a netns."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simspot.dataplane.contract import ClientSpec, Counters, DataplaneSpec
from simspot.dataplane.nft import NftTable, Runner
from simspot.dataplane.nftrender import (
    UNLIMITED,
    QuotaPlan,
    RenderOptions,
    counters_from,
    expected,
    mismatches,
    parse_table,
    plan_quota,
    render,
)
from simspot.errors import DataplaneError
from tests.dataplane.conftest import sh

ICCID = "8944500601200000001"

GOLDEN = """\
# simspot data plane: LAN lan0, uplink wwan0
add table inet simspot { comment "simspot data plane v1: managed by simspot, do not edit"; }
add counter inet simspot c_020000000001_rx { comment "mac=02:00:00:00:00:01 dir=rx"; }
add counter inet simspot c_020000000001_tx { comment "mac=02:00:00:00:00:01 dir=tx"; }
add counter inet simspot c_020000000002_rx { comment "mac=02:00:00:00:00:02 dir=rx"; }
add counter inet simspot c_020000000002_tx { comment "mac=02:00:00:00:00:02 dir=tx"; }
add counter inet simspot drop_learn6 { comment "dropped on the LAN side, billed to nobody"; }
add counter inet simspot drop_spoofed { comment "dropped on the LAN side, billed to nobody"; }
add counter inet simspot drop_unknown { comment "dropped on the LAN side, billed to nobody"; }
add counter inet simspot epoch_0000000000000000 { comment "table identity"; }
add counter inet simspot simspot_owner { comment "simspot data plane v1: managed by simspot, do not edit"; }
add counter inet simspot u_8944500601200000001_rx { comment "uplink=8944500601200000001 dir=rx"; }
add counter inet simspot u_8944500601200000001_tx { comment "uplink=8944500601200000001 dir=tx"; }
add quota inet simspot q_020000000001 { over 5000000 bytes used 0 bytes; }
add quota inet simspot q_020000000002 { over 4611686018427387904 bytes used 0 bytes; }
add quota inet simspot qt_8944500601200000001 { over 1000000000 bytes used 0 bytes; }
add map inet simspot out4 { type ether_addr . ipv4_addr : verdict; }
add map inet simspot outmac { type ether_addr : verdict; }
add map inet simspot in4 { type ipv4_addr : verdict; }
add map inet simspot in6 { type ipv6_addr : verdict; }
add set inet simspot bind6 { type ether_addr . ipv6_addr; }
add set inet simspot seen6 { type ether_addr . ipv6_addr; flags dynamic,timeout; timeout 7200s; size 8192; }
add set inet simspot own6 { type ipv6_addr; flags dynamic,timeout; timeout 7200s; size 8192; }
add set inet simspot learn6 { type ether_addr; flags dynamic,timeout; timeout 600s; size 8192; }
add chain inet simspot c_020000000001_down
add chain inet simspot c_020000000001_up
add chain inet simspot c_020000000002_down
add chain inet simspot c_020000000002_up
add chain inet simspot forward { type filter hook forward priority filter; policy accept; }
add chain inet simspot input { type filter hook input priority filter; policy accept; }
add chain inet simspot lan_in
add chain inet simspot lan_out
add chain inet simspot lan_out6
add chain inet simspot nd_lan
add chain inet simspot postrouting { type nat hook postrouting priority srcnat; policy accept; }
add element inet simspot out4 { 02:00:00:00:00:01 . 192.168.44.10 : jump c_020000000001_up, 02:00:00:00:00:02 . 192.168.44.11 : jump c_020000000002_up }
add element inet simspot outmac { 02:00:00:00:00:01 : jump c_020000000001_up, 02:00:00:00:00:02 : jump c_020000000002_up }
add element inet simspot in4 { 192.168.44.10 : jump c_020000000001_down, 192.168.44.11 : jump c_020000000002_down }
add element inet simspot in6 { 2001:db8:44::10 : jump c_020000000001_down }
add element inet simspot bind6 { 02:00:00:00:00:01 . 2001:db8:44::10 }
add rule inet simspot c_020000000001_down limit rate over 1000000 bytes/second burst 100000 bytes drop
add rule inet simspot c_020000000001_down quota name "q_020000000001" drop
add rule inet simspot c_020000000001_down quota name "qt_8944500601200000001" drop
add rule inet simspot c_020000000001_down counter name "c_020000000001_rx"
add rule inet simspot c_020000000001_down counter name "u_8944500601200000001_rx"
add rule inet simspot c_020000000001_down accept
add rule inet simspot c_020000000001_up quota name "q_020000000001" drop
add rule inet simspot c_020000000001_up quota name "qt_8944500601200000001" drop
add rule inet simspot c_020000000001_up counter name "c_020000000001_tx"
add rule inet simspot c_020000000001_up counter name "u_8944500601200000001_tx"
add rule inet simspot c_020000000001_up accept
add rule inet simspot c_020000000002_down drop
add rule inet simspot c_020000000002_up drop
add rule inet simspot forward iifname "lan0" oifname "wwan0" jump lan_out
add rule inet simspot forward iifname "wwan0" oifname "lan0" jump lan_in
add rule inet simspot input iifname "lan0" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } ip6 saddr != { ::, fe80::/10 } jump nd_lan
add rule inet simspot lan_in ip daddr vmap @in4
add rule inet simspot lan_in ip6 daddr vmap @in6
add rule inet simspot lan_in drop
add rule inet simspot lan_out ether saddr . ip saddr vmap @out4
add rule inet simspot lan_out meta nfproto ipv6 jump lan_out6
add rule inet simspot lan_out ether saddr != @outmac counter name "drop_unknown" drop
add rule inet simspot lan_out counter name "drop_spoofed" drop
add rule inet simspot lan_out6 ether saddr . ip6 saddr @bind6 update @seen6 { ether saddr . ip6 saddr } update @own6 { ip6 saddr } ether saddr vmap @outmac
add rule inet simspot lan_out6 ether saddr . ip6 saddr @bind6 ether saddr vmap @outmac
add rule inet simspot lan_out6 ip6 saddr @in6 return
add rule inet simspot lan_out6 ether saddr . ip6 saddr @seen6 update @seen6 { ether saddr . ip6 saddr } update @own6 { ip6 saddr } ether saddr vmap @outmac
add rule inet simspot lan_out6 ether saddr . ip6 saddr @seen6 ether saddr vmap @outmac
add rule inet simspot lan_out6 ip6 saddr @own6 return
add rule inet simspot lan_out6 ether saddr != @outmac return
add rule inet simspot lan_out6 update @learn6 { ether saddr limit rate over 6/minute burst 8 packets } counter name "drop_learn6" drop
add rule inet simspot lan_out6 add @own6 { ip6 saddr } add @seen6 { ether saddr . ip6 saddr } ether saddr vmap @outmac
add rule inet simspot nd_lan ether saddr . ip6 saddr @bind6 update @seen6 { ether saddr . ip6 saddr } update @own6 { ip6 saddr } return
add rule inet simspot nd_lan ether saddr . ip6 saddr @bind6 return
add rule inet simspot nd_lan ip6 saddr @in6 counter name "drop_spoofed" drop
add rule inet simspot nd_lan ether saddr . ip6 saddr @seen6 update @seen6 { ether saddr . ip6 saddr } update @own6 { ip6 saddr } return
add rule inet simspot nd_lan ether saddr . ip6 saddr @seen6 return
add rule inet simspot nd_lan ip6 saddr @own6 counter name "drop_spoofed" drop
add rule inet simspot nd_lan ether saddr != @outmac return
add rule inet simspot nd_lan update @learn6 { ether saddr limit rate over 6/minute burst 8 packets } return
add rule inet simspot nd_lan add @own6 { ip6 saddr } add @seen6 { ether saddr . ip6 saddr } return
add rule inet simspot postrouting iifname "lan0" oifname "wwan0" meta nfproto ipv4 masquerade
"""


def small_spec() -> DataplaneSpec:
    return DataplaneSpec(
        lan_interface="lan0",
        uplink_interface="wwan0",
        uplink_id=ICCID,
        clients=(
            ClientSpec(
                "02:00:00:00:00:01",
                ("192.168.44.10",),
                ("2001:db8:44::10",),
                quota_bytes=5_000_000,
                rate_down_kbit=8000,
            ),
            ClientSpec("02:00:00:00:00:02", ("192.168.44.11",), blocked=True),
        ),
        total_quota_bytes=10**9,
    )


def test_golden() -> None:
    assert render(small_spec(), RenderOptions(rate_burst_ms=100)) == GOLDEN


def test_render_is_independent_of_client_order_and_mac_case() -> None:
    spec = small_spec()
    flipped = DataplaneSpec(
        spec.lan_interface,
        spec.uplink_interface,
        spec.uplink_id,
        tuple(
            ClientSpec(c.mac.upper(), c.ipv4, c.ipv6, c.blocked, c.quota_bytes, c.rate_down_kbit)
            for c in reversed(spec.clients)
        ),
        spec.total_quota_bytes,
    )
    assert render(flipped) == render(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (DataplaneSpec("lan 0", "wwan0", ICCID), "LAN interface"),
        (DataplaneSpec("lan0", 'a"b', ICCID), "uplink interface"),
        (DataplaneSpec("lan0", "lan0", ICCID), "same interface"),
        (DataplaneSpec("lan0", "wwan0", ""), "identity"),
        (DataplaneSpec("lan0", "wwan0", ICCID, (ClientSpec("zz"),)), "not a MAC"),
        (
            DataplaneSpec("lan0", "wwan0", ICCID, (ClientSpec("02:00:00:00:00:01", ("1.2.3",)),)),
            "not an IP",
        ),
        (
            DataplaneSpec(
                "lan0", "wwan0", ICCID, (ClientSpec("02:00:00:00:00:01", ("2001:db8::1",)),)
            ),
            "wrong address family",
        ),
        (
            DataplaneSpec(
                "lan0",
                "wwan0",
                ICCID,
                (
                    ClientSpec("02:00:00:00:00:01", ("10.0.0.1",)),
                    ClientSpec("02:00:00:00:00:02", ("10.0.0.1",)),
                ),
            ),
            "belongs to",
        ),
        (
            DataplaneSpec(
                "lan0", "wwan0", ICCID, (ClientSpec("02:00:00:00:00:01", quota_bytes=-1),)
            ),
            "negative",
        ),
    ],
)
def test_bad_specs_are_refused(spec: DataplaneSpec, message: str) -> None:
    with pytest.raises(DataplaneError, match=message):
        render(spec)


@st.composite
def specs(draw: st.DrawFn) -> DataplaneSpec:
    n = draw(st.integers(0, 12))
    macs = draw(st.lists(st.integers(0, 2**24 - 1), min_size=n, max_size=n, unique=True))
    hosts = draw(st.lists(st.integers(2, 250), min_size=n, max_size=n, unique=True))
    clients = []
    for mac, host in zip(macs, hosts, strict=True):
        clients.append(
            ClientSpec(
                mac="02:00:00:" + ":".join(f"{(mac >> s) & 0xFF:02x}" for s in (16, 8, 0)),
                ipv4=(f"192.168.44.{host}",) if draw(st.booleans()) else (),
                ipv6=(f"2001:db8:44::{host:x}",) if draw(st.booleans()) else (),
                blocked=draw(st.booleans()),
                quota_bytes=draw(st.none() | st.integers(0, 10**12)),
                rate_down_kbit=draw(st.none() | st.integers(1, 10**6)),
                rate_up_kbit=draw(st.none() | st.integers(1, 10**6)),
            )
        )
    return DataplaneSpec(
        "lan0",
        draw(st.sampled_from(["wwan0", "up0", "eth1"])),
        draw(st.sampled_from([ICCID, "89000000000000000012F"])),
        tuple(clients),
        draw(st.none() | st.integers(0, 10**13)),
    )


@settings(deadline=None)
@given(specs())
def test_every_client_address_is_bound_to_its_mac_and_chains(spec: DataplaneSpec) -> None:
    want = expected(spec)
    for c in spec.clients:
        key = c.mac.replace(":", "")
        assert want.maps["outmac"][c.mac] == f"c_{key}_up"
        for a in c.ipv4:
            assert want.maps["out4"][f"{c.mac} . {a}"] == f"c_{key}_up"
            assert want.maps["in4"][a] == f"c_{key}_down"
        for a in c.ipv6:
            assert f"{c.mac} . {a}" in want.sets["bind6"]
            assert want.maps["in6"][a] == f"c_{key}_down"
        rules = render(spec).count(f"add rule inet simspot c_{key}_up ")
        # Blocked: drop. Else: [limit] quota, total quota, two counters, accept.
        assert rules == (1 if c.blocked else 5 + (c.rate_up_kbit is not None))
    n4 = sum(len(c.ipv4) for c in spec.clients)
    n6 = sum(len(c.ipv6) for c in spec.clients)
    assert len(want.maps["out4"]) == len(want.maps["in4"]) == n4
    assert len(want.sets["bind6"]) == len(want.maps["in6"]) == n6
    assert len(want.maps["outmac"]) == len(spec.clients)


def _apply(ns: str, script: str) -> None:
    sh("nft", "-f", "-", ns=ns, inp=script)


def _read(ns: str):  # type: ignore[no-untyped-def]
    return parse_table(json.loads(sh("nft", "-j", "list", "table", "inet", "simspot", ns=ns)))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=specs(), second=specs())
def test_applied_table_reads_back_as_rendered_and_keeps_counters(
    netns: str, first: DataplaneSpec, second: DataplaneSpec
) -> None:
    """Render, apply in a real kernel, read back: the shape matches; a re-render keeps counters."""
    sh("nft", "flush", "ruleset", ns=netns)
    _apply(netns, render(first))
    got = _read(netns)
    assert mismatches(expected(first), got) == []
    _apply(netns, render(second, running=got))
    again = _read(netns)
    assert mismatches(expected(second), again) == []
    # Counters stay, except those of clients that left without counting a byte (none counted
    # here: MAC churn leaves nothing behind).
    staying = {f"c_{c.mac.replace(':', '')}_{d}" for c in second.clients for d in ("rx", "tx")}
    gone = {n for n in got.counters if n.startswith("c_") and n not in staying}
    assert set(got.counters) - gone <= set(again.counters)
    assert not gone & set(again.counters)


def test_rerender_keeps_counted_bytes_and_unchanged_quota_use(netns: str) -> None:
    """Counted bytes survive a re-render; a changed quota restarts from the cumulative counter."""
    spec = DataplaneSpec(
        "lo", "lo2", ICCID, (ClientSpec("02:00:00:00:00:01", ("127.0.0.1",), quota_bytes=10**6),)
    )
    _apply(netns, render(spec))
    # Count local traffic through the client's "up" chain with a throwaway output hook.
    _apply(
        netns,
        "add chain inet simspot probe { type filter hook output priority 0; }\n"
        "add rule inet simspot probe ip daddr 127.0.0.1 udp dport 9 jump c_020000000001_up\n",
    )
    sh("python3", "-c", _SEND, ns=netns)
    before = _read(netns)
    tx = before.counters["c_020000000001_tx"]
    assert tx[0] == 10 and tx[1] == 10 * (20 + 8 + 100)
    assert before.quotas["q_020000000001"] == (10**6, tx[1])
    # Same quota: untouched. The probe chain is not ours and goes away.
    _apply(netns, render(spec, running=before))
    after = _read(netns)
    assert after.counters["c_020000000001_tx"] == tx
    assert after.quotas["q_020000000001"] == (10**6, tx[1])
    assert "probe" not in after.chains
    # New limit: the quota object is recreated with used = the cumulative counter.
    spec2 = DataplaneSpec(
        spec.lan_interface,
        spec.uplink_interface,
        ICCID,
        (ClientSpec("02:00:00:00:00:01", ("127.0.0.1",), quota_bytes=2 * 10**6),),
    )
    _apply(netns, render(spec2, running=after))
    final = _read(netns)
    assert final.quotas["q_020000000001"] == (2 * 10**6, tx[1])
    assert counters_from(final).clients["02:00:00:00:00:01"].tx_bytes == tx[1]
    assert counters_from(final).uplinks[ICCID].tx_bytes == tx[1]


async def test_netlink_counter_dump_equals_nfts_listing(netns: str) -> None:
    """The fast counter read (one netlink dump) gives exactly what ``nft -j`` lists."""
    spec = DataplaneSpec("lo", "lo2", ICCID, (ClientSpec("02:00:00:00:00:01", ("127.0.0.1",)),))
    table = NftTable(Runner(netns))
    assert await table.counters() == Counters()  # no table yet
    await table.apply(spec)
    _apply(
        netns,
        "add chain inet simspot probe { type filter hook output priority 0; }\n"
        "add rule inet simspot probe ip daddr 127.0.0.1 udp dport 9 jump c_020000000001_up\n",
    )
    sh("python3", "-c", _SEND, ns=netns)
    try:
        fast = await table.counters()
        assert fast == await table.counters_via_nft()
        assert fast.clients["02:00:00:00:00:01"].tx_packets == 10
        assert fast.uplinks[ICCID].tx_bytes == 10 * 128
    finally:
        table.close()


_SEND = (
    "import socket\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "for _ in range(10):\n"
    "    s.sendto(b'x' * 100, ('127.0.0.1', 9))\n"
)


@pytest.mark.parametrize(
    ("want", "running", "counted", "plan"),
    [
        # New: created at the counter, limit as asked (or unlimited).
        (1000, None, 300, QuotaPlan(1000, 300, "create")),
        (None, None, 300, QuotaPlan(UNLIMITED, 300, "create")),
        # Running, not depleted: limit shifted by what quotas dropped, updated in place.
        (1000, (1000, 300), 300, QuotaPlan(1000, 300, "keep")),
        (2000, (1000, 300), 300, QuotaPlan(2000, 300, "update")),
        (2000, (1000, 450), 300, QuotaPlan(2150, 450, "update")),
        (None, (1000, 300), 300, QuotaPlan(UNLIMITED, 300, "update")),
        # Depleted (the kernel reports used capped at the limit): recreated at the counter.
        (5000, (1000, 1000), 940, QuotaPlan(5000, 940, "create")),
    ],
)
def test_quota_plan(
    want: int | None, running: tuple[int, int] | None, counted: int, plan: QuotaPlan
) -> None:
    assert plan_quota(want, running, counted) == plan


@given(
    want=st.integers(0, 10**12),
    counted=st.integers(0, 10**12),
    dropped=st.integers(0, 10**9),
    limit=st.integers(1, 10**13),
)
def test_quota_plan_lets_the_counter_reach_exactly_the_limit(
    want: int, counted: int, dropped: int, limit: int
) -> None:
    """However the running quota stands, the kernel stops when the counter reaches ``want``."""
    used = counted + dropped
    plan = plan_quota(want, (limit, used) if used < limit else (limit, limit), counted)
    start_used = plan.used if plan.action == "create" else used
    # Bytes the counter may still grow by before the kernel quota is reached:
    assert plan.limit - start_used == want - counted
