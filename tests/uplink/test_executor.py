"""The executor: a cold slot switch through the simulated modem (verified, or rolled back), and a
hot switch in the two-ISP lab (the default route moves, the old link's NAT'd flows are reset)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator

import pytest

from simspot.config import ApnConfig
from simspot.i18n import render
from simspot.model import ModemStatus
from simspot.simulator.modem import EUICC_PROFILE, PHYSICAL_SIM, SimulatedModem
from simspot.simulator.world import World
from simspot.uplink.executor import cold_switch
from tests.uplink.twoisp import TwoIsps


def apn_for(_: str | None) -> ApnConfig:
    return ApnConfig()


async def healthy(st: ModemStatus) -> bool:
    return st.bearer is not None


async def ticking(world: World) -> None:
    while True:
        world.tick(1.0)  # one tick is 60 simulated seconds: registration follows within a tick
        await asyncio.sleep(0.05)


async def test_a_cold_slot_switch_registers_connects_and_is_verified() -> None:
    world = World(seed=3, speed=60)
    modem = SimulatedModem(world)
    clock = asyncio.create_task(ticking(world))
    try:
        out = await cold_switch(modem, iccid=EUICC_PROFILE[0], slot=2, apn_for=apn_for,
                                limit_s=30, verify=healthy, poll_s=0.05)  # fmt: skip
    finally:
        clock.cancel()
    assert out.ok, out
    st = await modem.status()
    assert st.active_slot().index == 2 and st.bearer is not None  # type: ignore[union-attr]
    assert out.steps[0] == "slot 2 made active" and "healthy" in out.steps[-1]


async def test_a_target_that_never_gets_healthy_is_rolled_back() -> None:
    world = World(seed=3, speed=60)
    modem = SimulatedModem(world)
    clock = asyncio.create_task(ticking(world))

    async def never(st: ModemStatus) -> bool:
        return False  # e.g. registered and connected, but no probe ever answers

    try:
        out = await cold_switch(modem, iccid=EUICC_PROFILE[0], slot=2, apn_for=apn_for,
                                limit_s=1.5, verify=never, poll_s=0.05)  # fmt: skip
    finally:
        clock.cancel()
    assert not out.ok and out.why == f"{EUICC_PROFILE[0]} did not get healthy within 1.5 s"
    # the reason by id too: the event uplink.rolled-back says it in the reader's language
    said = {"target": "x", "back_to": None, "why": out.why, "why_said": out.why_said}
    assert (
        render("event.uplink.rolled-back", said)
        == f"Switching the uplink to x failed, back on automatic: {out.why}"
    )
    assert render("event.uplink.rolled-back", said, "zh").endswith(
        f"{EUICC_PROFILE[0]} 在 1.5 秒内未通过健康检查"
    )
    st = await modem.status()
    assert st.active_slot().index == 1 and st.active_slot().iccid == PHYSICAL_SIM[0]  # type: ignore[union-attr]
    assert "slot 1 made active again" in out.steps


async def test_a_target_that_never_registers_is_rolled_back() -> None:
    world = World(seed=3, speed=60)  # the world does not tick: no registration ever comes
    modem = SimulatedModem(world)
    out = await cold_switch(modem, iccid=EUICC_PROFILE[0], slot=2, apn_for=apn_for,
                            limit_s=1, verify=healthy, poll_s=0.05)  # fmt: skip
    assert not out.ok and "did not get healthy" in (out.why or "")
    assert (await modem.status()).active_slot().index == 1  # type: ignore[union-attr]


# -- hot switch in the lab -------------------------------------------------------------------------
@pytest.fixture
def lab() -> Iterator[TwoIsps]:
    lab = TwoIsps().up()
    try:
        yield lab
    finally:
        lab.down()


HOT = """
import asyncio, json, sys
from simspot.uplink.executor import hot_switch
out = asyncio.run(hot_switch(sys.argv[1], sys.argv[2], 5))
print(json.dumps({"ok": out.ok, "steps": out.steps}))
"""


def test_hot_switch_moves_the_default_route_and_resets_the_old_links_flows(lab: TwoIsps) -> None:
    # a NAT'd flow through upa, as the data plane's masquerade leaves it in conntrack
    lab.sh(lab.box, "sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=120", check=False)
    lab.sh(
        lab.box, "nft",
        "add table ip t; add chain ip t post { type nat hook postrouting priority 100; }; "
        "add rule ip t post oifname upa masquerade",
    )  # fmt: skip
    lab.sh(lab.box, "python3", "-c",
           "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
           "s.sendto(b'x', ('198.51.100.53', 9))")  # fmt: skip
    listed = lab.sh(lab.box, "conntrack", "-L", "-f", "ipv4", "--reply-dst", "10.91.1.2",
                    check=False)  # fmt: skip
    assert "198.51.100.53" in listed
    out = json.loads(lab.sh(lab.box, sys.executable, "-c", HOT, "upb", "upa"))
    assert out["ok"]
    assert out["steps"][0] == "default route via 10.91.2.1 dev upb metric 5"
    assert out["steps"][1].endswith("flows of upa reset") and not out["steps"][1].startswith("0 ")
    route = json.loads(lab.sh(lab.box, "ip", "-j", "-4", "route", "get", "198.51.100.53"))
    assert route[0]["dev"] == "upb"
    listed = lab.sh(lab.box, "conntrack", "-L", "-f", "ipv4", "--reply-dst", "10.91.1.2",
                    check=False)  # fmt: skip
    assert "198.51.100.53" not in listed
    # and back: the same route (metric 5) is replaced, not doubled
    json.loads(lab.sh(lab.box, sys.executable, "-c", HOT, "upa", "upb"))
    routes = json.loads(
        lab.sh(lab.box, "ip", "-j", "-4", "route", "show", "default", "metric", "5")
    )
    assert [r["dev"] for r in routes] == ["upa"]
