"""Plans follow the uplink in use, on whichever modem or link: the real daemon on the simulator
with two modems and the wired WAN. With the uplink on the second modem, SIM 1's used-up plan
does not hold sharing, the second modem's own used-up plan does (also while its bearer is down
for a moment); on the wired WAN no SIM's plan does. /api/v1/status names the uplink in use (None
for the wired WAN)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simspot import config
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.simulator.clients import SimulatedDataPlane
from simspot.simulator.modem import PHYSICAL_SIM, SECOND_SIM, SimulatedModem
from tests.helpers import api_client, until

SIM1, SIM2, WIRED = PHYSICAL_SIM[0], SECOND_SIM[0], "wan:simwan0"


def make_daemon(state: Path, modems: int = 2) -> Daemon:
    conf = config.validate(
        {
            "daemon": {"state_dir": str(state), "restart_backoff_s": 0.2},
            "simulator": {"seed": 7, "speed": 50, "clients": 2, "tick_s": 0.05,
                          "demo_data": False, "modems": modems, "wired_wan": modems > 1},
            "plans": {"poll_interval_s": 0.1, "commit_interval_s": 0.5},
            "uplink": {"wired": [{"interface": "simwan0"}] if modems > 1 else []},
        }
    )  # fmt: skip
    d = Daemon(conf, build_backends(conf, simulate=True))
    d.auth.setup()
    return d


@pytest.fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    d = make_daemon(tmp_path)
    await d.start()
    try:
        yield d
    finally:
        await d.stop()


async def status(c: httpx.AsyncClient) -> dict[str, Any]:
    r = await c.get("/api/v1/status")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def use(d: Daemon, c: httpx.AsyncClient, uplink: str) -> None:
    """Pin ``uplink`` through the API and wait until the data plane's route is on it."""
    r = await c.post("/api/v1/uplink/use", json={"id": uplink})
    assert r.status_code == 200, r.text
    await until(lambda: (up := d.uplink()) is not None and up[1] == uplink, 90, f"{uplink} in use")


async def used_up(c: httpx.AsyncClient, iccid: str, name: str) -> None:
    """A 1 GB plan on ``iccid`` that stops at the limit, corrected to all of it used."""
    r = await c.post(
        "/api/v1/plans",
        json={"iccid": iccid, "name": name, "allowance_bytes": "1GB", "action": "stop",
              "cycle": {"kind": "monthly", "day": 1}},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    r = await c.post(f"/api/v1/plans/{iccid}/usage", json={"used_bytes": "1GB"})
    assert r.status_code == 200, r.text
    assert r.json()["exhausted"], r.json()


async def test_the_plan_enforced_is_the_uplink_in_uses_on_either_modem_or_none_on_wired(
    daemon: Daemon,
) -> None:
    d = daemon
    async with api_client(d, timeout=60) as c:
        # both modems up, the second's SIM a hot candidate (known to plans from its slot)
        await until(lambda: d.uplink_iccid() == SIM1, 60, "SIM 1 as the first uplink")
        assert (await status(c))["uplink_iccid"] == SIM1

        async def hot(cid: str) -> bool:
            cands = (await c.get("/api/v1/uplink")).json()["candidates"]
            return any(x["id"] == cid and x["hot"] for x in cands)

        deadline = asyncio.get_running_loop().time() + 60
        while not await hot(SIM2):
            assert asyncio.get_running_loop().time() < deadline, "modem 2's SIM never came up"
            await asyncio.sleep(0.2)

        await use(d, c, SIM2)
        # the uplink is on the second modem; the first modem's own SIM is still SIM 1
        assert d.first_modem_iccid() == SIM1
        assert d.uplink_iccid() == SIM2 and d.uplink_id() == SIM2
        assert (await status(c))["uplink_iccid"] == SIM2

        # SIM 1's plan is used up (stop at the limit): not the uplink's, sharing goes on
        await used_up(c, SIM1, "SIM 1 plan")
        await asyncio.sleep(1)  # several plan evaluations
        assert "plan" not in d.sharing.reasons, d.sharing.reasons
        assert d.sharing.enabled

        # the second modem's plan used up while it is the uplink (pinned: it stays): held
        await used_up(c, SIM2, "Modem 2 plan")
        await until(lambda: "plan" in d.sharing.reasons, 10, "sharing held for modem 2's plan")
        assert "Modem 2 plan" in d.sharing.reasons["plan"], d.sharing.reasons
        assert not d.sharing.enabled
        assert d.uplink_iccid() == SIM2

        # modem 2 loses its bearer for a while (its SIM asks for the PIN): no uplink at all, the
        # hold on its plan stays (lifting it would bring the access point up for the moment)
        first = d.backends.modem
        assert isinstance(first, SimulatedModem)
        second = first.more[0]
        seen = max(e.id for e in d.bus.recent())
        second.lock_sim()  # the simulated world's edge
        await until(lambda: d.uplink() is None, 30, "no uplink while modem 2 is locked")
        assert d.uplink_iccid() is None
        await asyncio.sleep(1.5)  # many plan evaluations
        assert "Modem 2 plan" in d.sharing.reasons.get("plan", ""), d.sharing.reasons
        released = [e for e in d.bus.recent() if e.id > seen and e.kind == "sharing.released"]
        assert not released, released
        await second.unlock_pin("1234")
        await until(lambda: d.uplink_iccid() == SIM2, 60, "modem 2 back as the uplink")
        assert "Modem 2 plan" in d.sharing.reasons.get("plan", ""), d.sharing.reasons

        # the wired WAN: no SIM's plan applies to it, both used-up plans notwithstanding
        dp = d.backends.dataplane
        assert isinstance(dp, SimulatedDataPlane)
        dp.world.wired_plugged = True  # the cable goes in (the simulated world's edge)
        deadline = asyncio.get_running_loop().time() + 60
        while not await hot(WIRED):
            assert asyncio.get_running_loop().time() < deadline, "the wired WAN never came up"
            await asyncio.sleep(0.2)
        await use(d, c, WIRED)
        assert d.uplink_iccid() is None and d.uplink_id() == WIRED
        assert d.first_modem_iccid() == SIM1
        assert (await status(c))["uplink_iccid"] is None
        await until(lambda: "plan" not in d.sharing.reasons, 10, "the plan hold released")
        assert d.sharing.enabled


async def test_the_only_uplinks_used_up_plan_holds_sharing_also_after_a_restart(
    tmp_path: Path,
) -> None:
    """One modem, its SIM's plan used up with "stop": the policy then uses no uplink at all;
    sharing is held for that plan, and a restarted daemon (no uplink since its start) says so
    too (the first modem's SIM), instead of "no uplink"."""
    d = make_daemon(tmp_path, modems=1)
    await d.start()
    try:
        async with api_client(d, timeout=60) as c:
            await until(lambda: d.uplink_iccid() == SIM1, 60, "SIM 1 as the uplink")
            await used_up(c, SIM1, "Only plan")
            await until(lambda: d.uplink() is None, 30, "no uplink: every plan is used up")
            await asyncio.sleep(1)
            assert "Only plan" in d.sharing.reasons.get("plan", ""), d.sharing.reasons
            assert (await status(c))["uplink_iccid"] is None
    finally:
        await d.stop()
    again = make_daemon(tmp_path, modems=1)
    await again.start()
    try:
        await until(lambda: "plan" in again.sharing.reasons, 30, "the hold after the restart")
        assert "Only plan" in again.sharing.reasons["plan"], again.sharing.reasons
        await asyncio.sleep(2)  # the policy decides: still no uplink, still held
        assert again.uplink() is None and "plan" in again.sharing.reasons
    finally:
        await again.stop()
