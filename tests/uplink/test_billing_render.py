"""The data plane's table with several hot uplinks (pure rendering): every uplink forwarded,
NAT'd and filtered, uploads billed per uplink after NAT, downloads per input interface, the total
quota on the uplink in use only; bad uplink lists refused with the problem named."""

from __future__ import annotations

import pytest

from simspot.dataplane import nftrender as R
from simspot.dataplane.contract import ClientSpec, DataplaneSpec, OtherUplink
from simspot.errors import DataplaneError

ICCID = "8944500601200000001"


def spec(*others: OtherUplink) -> DataplaneSpec:
    return DataplaneSpec(
        lan_interface="lan0",
        uplink_interface="wwan0",
        uplink_id=ICCID,
        clients=(ClientSpec(mac="02:00:00:00:00:01", ipv4=("192.168.44.10",)),),
        total_quota_bytes=10**9,
        other_uplinks=others,
    )


def rules(script: str, chain: str) -> list[str]:
    prefix = f"add rule inet simspot {chain} "
    return [line[len(prefix) :] for line in script.splitlines() if line.startswith(prefix)]


def test_one_uplink_renders_as_before_without_the_per_uplink_chain() -> None:
    script = R.render(spec())
    assert R.UPLINK_TX not in script
    assert rules(script, "c_020000000001_up")[-2:] == [
        f'counter name "{R.uplink_counter(ICCID, "tx")}"',
        "accept",
    ]


def test_other_uplinks_are_forwarded_natted_filtered_and_billed_by_interface() -> None:
    from simspot.dataplane.nftrender import Firewall, RenderOptions

    wired = R.uplink_counter("wan:eth1", "tx")
    script = R.render(
        spec(OtherUplink("eth1", "wan:eth1")), RenderOptions(firewall=Firewall(admin_ports=(443,)))
    )
    assert rules(script, "forward") == [
        'iifname "lan0" oifname { "wwan0", "eth1" } jump lan_out',
        'iifname { "wwan0", "eth1" } oifname "lan0" jump lan_in',
    ]
    assert rules(script, "postrouting") == [
        'iifname "lan0" oifname { "wwan0", "eth1" } meta nfproto ipv4 masquerade'
    ]
    assert 'iifname { "wwan0", "eth1" } jump host_uplink' in rules(script, "input")
    assert rules(script, R.UPLINK_TX) == [
        f'iifname "lan0" oifname "wwan0" counter name "{R.uplink_counter(ICCID, "tx")}"',
        f'iifname "lan0" oifname "eth1" counter name "{wired}"',
    ]
    assert "hook postrouting priority srcnat + 1" in script
    up = rules(script, "c_020000000001_up")
    down = rules(script, "c_020000000001_down")
    quota = f'quota name "{R.total_quota(ICCID)}" drop'
    assert f'oifname "wwan0" {quota}' in up and f'iifname "wwan0" {quota}' in down
    assert not any('counter name "u_' in r for r in up)  # uploads: after NAT, above
    assert f'iifname "wwan0" counter name "{R.uplink_counter(ICCID, "rx")}"' in down
    assert f'iifname "eth1" counter name "{R.uplink_counter("wan:eth1", "rx")}"' in down
    # both uplinks' counters exist (and stay, like every uplink counter)
    assert f"add counter inet simspot {wired} " in script
    want = R.expected(spec(OtherUplink("eth1", "wan:eth1")))
    assert R.UPLINK_TX in want.chains and want.rule_counts[R.UPLINK_TX] == 2


@pytest.mark.parametrize(
    ("other", "message"),
    [
        (OtherUplink("wwan0", "wan:x"), "uplink interface wwan0 is listed twice"),
        (OtherUplink("eth1", ICCID), f"uplink {ICCID} is listed twice"),
        (OtherUplink("lan0", "wan:lan0"), "other uplink lan0 is the LAN interface"),
        (OtherUplink("bad name", "wan:x"), "other uplink interface: not a valid interface name"),
        (OtherUplink("eth1", ""), "other uplink eth1: the uplink identity is empty"),
    ],
)
def test_bad_other_uplinks_are_refused_naming_the_problem(other: OtherUplink, message: str) -> None:
    with pytest.raises(DataplaneError, match=message):
        R.render(spec(other))
