"""Simulated battery: drains faster with more clients, charges when plugged in."""

from __future__ import annotations

from simspot.model import BatteryStatus
from simspot.simulator.world import World

CAPACITY_WH = 20.0


class SimulatedBattery:
    def __init__(self, world: World, percent: float = 80.0) -> None:
        self.world = world
        self.percent = percent
        world.add_listener(self._tick)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def _draw_w(self) -> float:
        active = sum(1 for c in self.world.clients if c.present)
        return 2.5 + 0.4 * active  # modem + radio + a little per client

    def _tick(self, dt: float) -> None:
        rng = self.world.rng
        if self.world.plugged_in:
            self.percent = min(100.0, self.percent + 100 * 10.0 * dt / 3600 / CAPACITY_WH)
            if self.percent >= 100 or rng.random() < dt / 3600:
                self.world.plugged_in = False
        else:
            self.percent = max(0.0, self.percent - 100 * self._draw_w() * dt / 3600 / CAPACITY_WH)
            if self.percent < 15 or rng.random() < dt / 7200:
                self.world.plugged_in = True

    async def status(self) -> BatteryStatus:
        tte = None
        if not self.world.plugged_in:
            tte = int(self.percent / 100 * CAPACITY_WH / self._draw_w() * 3600)
        return BatteryStatus(
            present=True,
            percent=round(self.percent, 1),
            charging=self.world.plugged_in,
            time_to_empty_s=tte,
            source="sim",
        )
