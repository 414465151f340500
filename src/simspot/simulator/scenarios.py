"""Scripted stories on the simulated world, so a newcomer sees the uplink policy act in a minute.

``simspot demo --scenario NAME`` plays one of them once the demo's first state is there:

- ``travel``: at home in the UK on SIM 1 (priced per GB), a travel eSIM for Japan is bought;
  the box crosses into Japan, every SIM on board roams, and the policy enables the local eSIM;
  then the eSIM's plan runs out (the carrier's figure, as a user corrects it) and the policy
  leaves it for the next-best uplink.
- ``home``: the home broadband cable is plugged in (the policy prefers the wired link once it
  has answered its probes for the fail-back dwell), then pulled out (the policy falls back).
- ``outage``: SIM 1's network stops answering and its signal fades (the policy fails over to
  the second modem's SIM at once), then comes back (the policy fails back after the dwell).

The script acts only on the world (where the box is, the cable, signals, outages) and, as a user
would, through the daemon's services (a download, plans). What the policy does about it is its
own business: every step it takes is an ``uplink.*`` event with its sentence, and the script's
own steps are ``demo.scenario`` events. The demo shortens the policy's waits (``UPLINK_TIMING``)
so the story fits in about a minute; the waits for the policy are generous, for busy machines.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from simspot.daemon.capabilities import Capability, Installer
from simspot.errors import SimspotError
from simspot.services import CARD_SERVICE, KNOWN_ICCIDS, PLAN_ADMIN

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon
    from simspot.simulator.modem import SimulatedModem
    from simspot.simulator.profile import Simulator

log = logging.getLogger(__name__)

SCENARIOS: tuple[str, ...] = ("home", "outage", "travel")

# The travel eSIM on the local test SM-DP+ (order simulator.profile.TRAVEL_ORDER).
TRAVEL_ESIM = "89811000000000000442"
TRAVEL_ESIM_NAME = "Japan 10 GB"
TRAVEL_ALLOWANCE = 10_000_000_000
TRAVEL_PROVIDER = "NTT docomo"
JAPAN = "440"

# The policy's waits, shortened for the demo (`simspot demo --scenario` puts them in [uplink]).
UPLINK_TIMING: dict[str, Any] = {
    "confirm_s": 3,
    "min_dwell_s": 5,
    "failback_dwell_s": 15,
    "cold_switch_timeout_s": 60,
    "probes": {"metered_interval_s": 2, "interval_s": 1},
}
POLICY_WAIT_S = 180.0  # how long a step waits for the policy's answer before going on anyway


def home_sim_price(scenario: str | None) -> dict[str, str]:
    """SIM 1's price: per cycle, or per GB in the travel story (what roaming abroad costs)."""
    if scenario == "travel":
        return {"amount": "6", "per": "gb", "currency": "GBP"}
    return {"amount": "10", "per": "cycle", "currency": "GBP"}


def scenario_plans(scenario: str | None) -> list[dict[str, Any]]:
    """Plans a scenario's demo seeds besides the usual ones: the second modem's SIM's."""
    from simspot.simulator.modem import SECOND_SIM

    if scenario is None:
        return []
    return [
        {
            "iccid": SECOND_SIM[0],
            "name": "Three pay as you go",
            "allowance_bytes": 5_000_000_000,
            "cycle": {"kind": "monthly", "day": 1},
            "timezone": "Europe/London",
            "price": {"amount": "8", "per": "gb", "currency": "GBP"},
            "action": "stop",
        }
    ]


def scenario_capability(sim: Simulator, scenario: str) -> Capability:
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; the scenarios are {', '.join(SCENARIOS)}")
    return Capability(
        name="demo-scenario",
        needs=(PLAN_ADMIN, KNOWN_ICCIDS),
        wants=(CARD_SERVICE,),
        install=lambda inst: inst.daemon.supervisor.add(ScenarioPlayer(inst, sim, scenario)),
    )


class ScenarioPlayer:
    """Component: plays the scenario's steps once, in order (a restart resumes where it was)."""

    name = "demo-scenario"

    def __init__(self, inst: Installer, sim: Simulator, scenario: str) -> None:
        self.daemon: Daemon = inst.daemon
        self.plans = inst.need(PLAN_ADMIN)
        self.known = inst.need(KNOWN_ICCIDS)
        self.cards = inst.want(CARD_SERVICE)
        self.sim = sim
        self.scenario = scenario
        self.done = 0  # steps played

    @property
    def modems(self) -> list[SimulatedModem]:
        first = self.sim.modem
        return [] if first is None else [first, *first.more]

    def say(self, step: str, en: str, zh: str) -> None:
        self.daemon.bus.publish(
            "demo.scenario", {"scenario": self.scenario, "step": step, "say_en": en, "say_zh": zh}
        )

    async def until_uplink(self, pred: Callable[[str | None], bool]) -> bool:
        """Wait for the policy to move the uplink where the story expects (or give up)."""
        deadline = time.monotonic() + POLICY_WAIT_S
        while time.monotonic() < deadline:
            route = self.daemon.uplink()  # the policy's route: none while a switch is verified
            if pred(route[1] if route else None):
                return True
            await asyncio.sleep(0.2)
        log.warning("demo scenario %s: the policy did not act in time", self.scenario)
        return False

    def steps(self) -> list[Callable[[], Awaitable[None]]]:
        return {"travel": self._travel, "home": self._home, "outage": self._outage}[self.scenario]()

    async def run(self) -> None:
        await self.sim.seeded.wait()
        steps = self.steps()
        while self.done < len(steps):
            await steps[self.done]()
            self.done += 1
        await asyncio.Event().wait()  # the story is told; stays until the daemon stops

    async def close(self) -> None:
        return None

    # -- travel ------------------------------------------------------------------------------
    def _travel(self) -> list[Callable[[], Awaitable[None]]]:
        world = self.sim.world

        async def buy() -> None:
            self.say(
                "buy",
                "At home in the UK on SIM 1 (Simtel, £6/GB); a travel eSIM for Japan is bought "
                "before leaving.",
                "在英国家中使用 SIM 1（Simtel，£6/GB）；出发前购买了一张日本旅行 eSIM。",
            )
            await self._download_travel_esim()
            await asyncio.sleep(5)

        async def cross() -> None:
            self.say(
                "border",
                "The box crosses into Japan: every SIM on board is roaming now.",
                "设备进入日本：机上所有 SIM 卡都在漫游。",
            )
            world.country = JAPAN
            await self.until_uplink(lambda up: up == TRAVEL_ESIM)

        async def arrived() -> None:
            self.say(
                "arrived",
                f"In Japan the hotspot runs on the local eSIM '{TRAVEL_ESIM_NAME}'.",
                f"在日本，热点使用本地 eSIM“{TRAVEL_ESIM_NAME}”上网。",
            )
            await asyncio.sleep(10)

        async def used_up() -> None:
            self.say(
                "used-up",
                f"The carrier reports the plan '{TRAVEL_ESIM_NAME}' used up (its 10 GB are gone).",
                f"运营商报告套餐“{TRAVEL_ESIM_NAME}”已用完（10 GB 流量已用尽）。",
            )
            try:  # as the user does with the carrier's figure (`simspot plan correct`)
                self.plans.correct(TRAVEL_ESIM, TRAVEL_ALLOWANCE, note="demo: the plan ran out")
            except SimspotError as exc:
                log.warning("demo scenario travel: the plan was not corrected: %s", exc)
                return
            await self.until_uplink(lambda up: up is not None and up != TRAVEL_ESIM)

        async def done() -> None:
            self.say(
                "done",
                "The Japan plan is used up: the hotspot goes on over the next-best uplink.",
                "日本套餐已用完：热点改用次优的上行链路继续上网。",
            )

        return [buy, cross, arrived, used_up, done]

    async def _download_travel_esim(self) -> None:
        from simspot.simulator.profile import TRAVEL_ORDER

        card, cards = self.sim.card, self.cards
        code = card.operator_code(TRAVEL_ORDER) if card is not None else None
        if cards is None or code is None:
            log.warning("demo scenario travel: no virtual eUICC with a local test SM-DP+")
            return
        try:
            result = await cards.download(code)
        except SimspotError as exc:
            log.warning("demo scenario travel: the travel eSIM was not installed: %s", exc)
            return
        iccid = str(result["iccid"])
        self.known.remember_iccids([iccid], "simulator")
        start = dt.datetime.now(dt.UTC)
        self.plans.add(
            {
                "iccid": iccid,
                "name": TRAVEL_ESIM_NAME,
                "allowance_bytes": TRAVEL_ALLOWANCE,
                "cycle": {
                    "kind": "prepaid",
                    "start": start.isoformat(),
                    "expires": (start + dt.timedelta(days=15)).isoformat(),
                },
                "timezone": "Asia/Tokyo",
                "price": {"amount": "2500", "per": "cycle", "currency": "JPY"},
                "mccs": [JAPAN],
                "action": "switch",
            }
        )

    # -- home --------------------------------------------------------------------------------
    def _home(self) -> list[Callable[[], Awaitable[None]]]:
        from simspot.simulator.world import WIRED_WAN

        world = self.sim.world
        wired = f"wan:{WIRED_WAN}"

        async def plug() -> None:
            await asyncio.sleep(3)
            self.say(
                "plug",
                "Home: the broadband cable is plugged into the wired WAN port.",
                "到家：宽带网线已插入有线 WAN 口。",
            )
            world.wired_plugged = True
            await self.until_uplink(lambda up: up == wired)

        async def unplug() -> None:
            await asyncio.sleep(8)
            self.say(
                "unplug",
                "The cable is pulled out of the wired WAN port.",
                "网线已从有线 WAN 口拔出。",
            )
            world.wired_plugged = False
            await self.until_uplink(lambda up: up is not None and up != wired)

        async def done() -> None:
            self.say(
                "done",
                "Without the cable the hotspot is back on the SIM.",
                "没有网线后，热点回到 SIM 卡上网。",
            )

        return [plug, unplug, done]

    # -- outage ------------------------------------------------------------------------------
    def _outage(self) -> list[Callable[[], Awaitable[None]]]:
        from simspot.simulator.modem import PHYSICAL_SIM, SECOND_SIM

        world = self.sim.world

        async def fail() -> None:
            await asyncio.sleep(5)
            first = self.modems[0]
            self.say(
                "outage",
                "SIM 1's network stops answering and its signal fades.",
                "SIM 1 的网络停止响应，信号减弱。",
            )
            first.signal_target = 22.0
            world.faults.add(first.ident.interface)
            await self.until_uplink(lambda up: up == SECOND_SIM[0])

        async def recover() -> None:
            await asyncio.sleep(8)
            first = self.modems[0]
            self.say(
                "recover",
                "SIM 1's network is back and its signal recovers.",
                "SIM 1 的网络恢复，信号回升。",
            )
            world.faults.discard(first.ident.interface)
            first.signal_target = first.ident.signal
            await self.until_uplink(lambda up: up == PHYSICAL_SIM[0])

        async def done() -> None:
            self.say(
                "done",
                "Back on SIM 1, the cheaper uplink, after it stayed healthy for the dwell time.",
                "SIM 1 持续正常达到等待时间后，已切回更便宜的 SIM 1。",
            )

        return [fail, recover, done]
