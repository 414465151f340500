"""Inside the two-ISP lab's box: the real nft data plane and the uplink executor, hot switches
between ISP A and ISP B while a client sends UDP echo traffic; prints the box's per-uplink
counters as JSON.

Each switch is what the daemon does: the executor moves the default route and resets the old
link's NAT'd flows at once, the data plane's next pass (``--apply-delay`` later) makes the new
link the one in use. ``--primary-only`` leaves the other link out of the table (the layout before
per-uplink billing), for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from simspot.dataplane.contract import ClientSpec, DataplaneSpec, OtherUplink
from simspot.dataplane.real import NftDataPlane
from simspot.dataplane.settings import DataplaneSettings
from simspot.uplink import executor
from tests.uplink.twoisp import CLIENT_MAC, ECHO_PORT, LAN_BOX, LAN_CLIENT, SERVICE

LINKS = {"upa": "wan:upa", "upb": "wan:upb"}
METRIC = 5
ROOT = Path(__file__).resolve().parents[2]


def spec(primary: str, others: bool) -> DataplaneSpec:
    return DataplaneSpec(
        lan_interface="lan0",
        uplink_interface=primary,
        uplink_id=LINKS[primary],
        clients=(ClientSpec(mac=CLIENT_MAC, ipv4=(LAN_CLIENT,)),),
        other_uplinks=tuple(OtherUplink(i, u) for i, u in LINKS.items() if i != primary)
        if others
        else (),
    )


async def main(a: argparse.Namespace) -> None:
    settings = DataplaneSettings(
        backend="nft", lan_interface="lan0", lan_address=LAN_BOX, dhcp=False, ipv6=False
    )
    with tempfile.TemporaryDirectory() as tmp:
        dp = NftDataPlane(settings, Path(tmp))
        await dp.start()
        try:
            others = not a.primary_only
            cur = "upa"
            await dp.apply(spec(cur, others))
            await executor.hot_switch(cur, None, METRIC)
            seconds = 0.5 + a.switches * a.interval + 0.5
            traffic = await asyncio.create_subprocess_exec(
                "ip", "netns", "exec", a.client, sys.executable,
                str(ROOT / "tests/uplink/udp_traffic.py"), SERVICE, str(ECHO_PORT), "1000",
                str(a.rate), str(seconds), stdout=subprocess.PIPE,
            )  # fmt: skip
            await asyncio.sleep(0.5)
            steps = []
            for _ in range(a.switches):
                new = "upb" if cur == "upa" else "upa"
                out = await executor.hot_switch(new, cur, METRIC)
                steps.append(out.steps)
                await asyncio.sleep(a.apply_delay)
                await dp.apply(spec(new, others))
                cur = new
                await asyncio.sleep(max(0.0, a.interval - a.apply_delay))
            sent, _ = await traffic.communicate()
            await asyncio.sleep(0.5)  # the last echoes
            counters = await dp.counters()
        finally:
            await dp.stop()
    print(
        json.dumps(
            {
                "uplinks": {
                    uid: {"rx": c.rx_bytes, "tx": c.tx_bytes} for uid, c in counters.uplinks.items()
                },
                "client": json.loads(sent.decode() or "{}"),
                "steps": steps,
            }
        )
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("client")
    p.add_argument("--switches", type=int, default=10)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--apply-delay", type=float, default=0.3)
    p.add_argument("--rate", type=int, default=500)
    p.add_argument("--primary-only", action="store_true")
    asyncio.run(main(p.parse_args()))
