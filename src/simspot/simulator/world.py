"""The shared simulated world: one clock and one random source for every simulated backend."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class SimClient:
    mac: str
    hostname: str
    ipv4: str
    ipv6: tuple[str, ...]
    rate_down_bps: float  # average wanted rate while active
    rate_up_bps: float
    present: bool = False
    joined_at: float | None = None
    signal_dbm: int = -55
    pinned: bool = False  # stays as it is (no random joining and leaving): a guest's device


HOSTNAMES = ("pixel-8", "ipad-lin", "thinkpad-x1", "kindle", "switch", "galaxy-s23", "macbook-air")

# The simulated wired WAN's interface (a name no real box has, so nothing real is ever touched).
WIRED_WAN = "simwan0"
HOME_COUNTRY = "234"  # the box starts in the UK, the home of the simulated physical SIM


@dataclass
class World:
    """Simulated time advances ``speed`` times faster than real time, in ticks."""

    seed: int | None = None
    speed: float = 1.0
    clients: list[SimClient] = field(default_factory=list)
    now: float = field(default_factory=time.time)
    plugged_in: bool = False
    # Where the box is: the MCC of the country its modems register in (a scenario moves it).
    country: str = HOME_COUNTRY
    # A scenario drives the world: no random coverage loss, signals settle on their targets.
    scripted: bool = False
    # The wired WAN: its cable (None: the box has no wired WAN port).
    wired_plugged: bool | None = None
    # Uplink interfaces on which nothing answers (an outage upstream): probes through them fail.
    faults: set[str] = field(default_factory=set)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._listeners: list[Callable[[float], None]] = []
        # interface -> "is it up now?" (the modems' bearers, the wired WAN's cable)
        self._links: dict[str, Callable[[], bool]] = {}
        if self.wired_plugged is not None:
            self._links[WIRED_WAN] = lambda: bool(self.wired_plugged)

    def add_link(self, interface: str, up: Callable[[], bool]) -> None:
        """An uplink interface of the simulated box (a modem's bearer)."""
        self._links[interface] = up

    def link_up(self, interface: str) -> bool:
        up = self._links.get(interface)
        return up is not None and up()

    def link_answers(self, interface: str) -> bool:
        """Whether a probe through ``interface`` gets an answer: up, and no outage upstream."""
        return self.link_up(interface) and interface not in self.faults

    def add_listener(self, listener: Callable[[float], None]) -> None:
        """Call ``listener(simulated_seconds)`` on every tick."""
        self._listeners.append(listener)

    def populate(self, count: int) -> None:
        for i in range(count):
            tail = ":".join(f"{self.rng.randrange(256):02x}" for _ in range(3))
            mac = f"02:5e:{i:02x}:{tail}"
            self.clients.append(
                SimClient(
                    mac=mac,
                    hostname=HOSTNAMES[i % len(HOSTNAMES)]
                    + ("" if i < len(HOSTNAMES) else f"-{i}"),
                    ipv4=f"192.168.44.{10 + i}",
                    ipv6=(f"2001:db8:44::{10 + i:x}",),
                    rate_down_bps=self.rng.uniform(20e3, 400e3),
                    rate_up_bps=self.rng.uniform(5e3, 60e3),
                    present=i < max(1, count // 2),
                    joined_at=self.now if i < max(1, count // 2) else None,
                    signal_dbm=self.rng.randint(-75, -40),
                )
            )

    def tick(self, real_dt: float) -> None:
        dt = real_dt * self.speed
        self.now += dt
        for c in self.clients:
            # Join and leave now and then (about once every 10 simulated minutes).
            if not c.pinned and self.rng.random() < dt / 600:
                c.present = not c.present
                c.joined_at = self.now if c.present else None
            if c.present:
                c.signal_dbm = max(-90, min(-30, c.signal_dbm + self.rng.randint(-2, 2)))
        for listener in self._listeners:
            listener(dt)

    async def run(self, tick_s: float) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(tick_s)
            now = time.monotonic()
            self.tick(now - last)
            last = now


class WorldClock:
    """Supervised component that advances the simulated world."""

    name = "simulator"

    def __init__(self, world: World, tick_s: float) -> None:
        self.world = world
        self.tick_s = tick_s

    async def run(self) -> None:
        await self.world.run(self.tick_s)

    async def close(self) -> None:
        return None
