"""The firewall's input rules as rendered (the lab test applies them to real traffic)."""

from __future__ import annotations

import pytest

from simspot.dataplane.contract import DataplaneSpec
from simspot.dataplane.nftrender import Firewall, RenderOptions, expected, render
from simspot.errors import DataplaneError

SPEC = DataplaneSpec("lan0", "wwan0", "8944500601200000001", ())


def rules(script: str, chain: str) -> list[str]:
    prefix = f"add rule inet simspot {chain} "
    return [line[len(prefix) :] for line in script.splitlines() if line.startswith(prefix)]


def test_input_rules_per_side_and_counted_drops() -> None:
    script = render(SPEC, RenderOptions(firewall=Firewall(admin_ports=(8443, 8443, 80))))
    assert rules(script, "input") == [
        'iif "lo" accept',
        'iifname "lan0" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } '
        "ip6 saddr != { ::, fe80::/10 } jump nd_lan",
        "ct state established,related accept",
        'iifname "lan0" jump host_lan',
        'iifname "wwan0" jump host_uplink',
        # Any other interface: none of the hotspot's own services.
        "meta l4proto { tcp, udp } th dport { 53, 67, 80, 547, 8443 } "
        'counter name "drop_in_uplink" drop',
    ]
    assert rules(script, "host_lan") == [
        "meta l4proto { icmp, ipv6-icmp } accept",
        "udp dport { 67, 547 } accept",
        "meta l4proto { tcp, udp } th dport 53 accept",
        "tcp dport { 80, 8443 } accept",
        'counter name "drop_in_lan" drop',
    ]
    up = rules(script, "host_uplink")
    assert up[0] == "udp sport 67 udp dport 68 accept"
    assert "nd-router-advert" in up[2] and "nd-neighbor-solicit" in up[2]
    assert "echo-request" not in " ".join(up)  # the uplink side does not answer pings
    assert up[-1] == 'counter name "drop_in_uplink" drop'
    want = expected(SPEC, RenderOptions(firewall=Firewall()))
    assert {"drop_in_lan", "drop_in_uplink"} <= want.counters
    assert {"host_lan", "host_uplink"} <= want.chains


def test_without_dhcp_dns_or_admin_ports_only_icmp_passes_from_the_lan() -> None:
    script = render(SPEC, RenderOptions(firewall=Firewall(dns_port=0, dhcp=False)))
    assert rules(script, "host_lan") == [
        "meta l4proto { icmp, ipv6-icmp } accept",
        'counter name "drop_in_lan" drop',
    ]


@pytest.mark.parametrize("fw", [Firewall(admin_ports=(0,)), Firewall(admin_ports=(70000,))])
def test_a_port_that_is_not_one_is_refused(fw: Firewall) -> None:
    with pytest.raises(DataplaneError, match="admin port"):
        render(SPEC, RenderOptions(firewall=fw))


def test_standby_uplinks_are_the_uplink_side_and_owner_ports_open_there() -> None:
    fw = Firewall(
        admin_ports=(8443,),
        wan_interfaces=("eth1", "wwan0", "lan0", "eth1"),  # the LAN is never the uplink side
        uplink_tcp_ports=(22,),
    )
    script = render(SPEC, RenderOptions(firewall=fw))
    got = rules(script, "input")
    assert got[4:] == [
        'iifname "wwan0" jump host_uplink',
        'iifname { "eth1", "wwan0" } jump host_uplink',
        "meta l4proto { tcp, udp } th dport { 53, 67, 547, 8443 } "
        'counter name "drop_in_uplink" drop',
    ]
    up = rules(script, "host_uplink")
    assert up[-2:] == ["tcp dport { 22 } accept", 'counter name "drop_in_uplink" drop']


@pytest.mark.parametrize(
    ("fw", "words"),
    [
        (Firewall(admin_ports=(8443,), uplink_tcp_ports=(8443,)), "admin page"),
        (Firewall(uplink_tcp_ports=(0,)), "not a TCP port"),
        (Firewall(wan_interfaces=("bad name",)), "not a valid interface name"),
    ],
)
def test_refused_uplink_settings(fw: Firewall, words: str) -> None:
    with pytest.raises(DataplaneError, match=words):
        render(SPEC, RenderOptions(firewall=fw))
