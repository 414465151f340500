"""Per-uplink billing across hot switches, in the two-ISP lab with a client behind the box: the
real nft data plane (every hot uplink in its table) and the uplink executor move the client's UDP
echo traffic between ISP A and ISP B; what the box billed to each uplink is compared with what
crossed each ISP's side of its link (byte totals, no timing)."""

from __future__ import annotations

from tests.uplink.billing import measure

PACKET = 1028  # the traffic's datagrams: 1000 bytes of payload + IPv4/UDP headers


def test_each_byte_is_billed_to_the_uplink_it_went_through_across_hot_switches() -> None:
    r = measure(switches=4, interval=1.0)
    per = r["per_isp"]
    for k in "ab":
        billed, crossed = per[k]["billed"], per[k]["crossed"]
        assert crossed["up"] > 100 * PACKET, f"ISP {k} carried almost nothing: {per}"
        # uploads: exactly what crossed the link, byte for byte
        assert billed["tx"] == crossed["up"], per
        # downloads: never more than the ISP sent; an echo in flight when the old link's flows
        # were reset is dropped by the box (it reached no client), a few at most per switch
        assert billed["rx"] <= crossed["down"], per
        assert crossed["down"] - billed["rx"] <= 4 * 8 * PACKET, per
    assert r["misbilled_bytes"] == 0, per
    client = r["client"]
    assert per["a"]["billed"]["tx"] + per["b"]["billed"]["tx"] <= client["sent_bytes"]
