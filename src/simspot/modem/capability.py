"""Plugs the modem, SIM and power features into the daemon: components and /api/v1 routes.

Components: the battery guard, the idle auto-off timer and (with ``modem.pin`` set) the SIM PIN
auto-unlock. Routes (``/api/v1/sim/...``, ``/api/v1/power``): :mod:`simspot.modem.api`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from simspot.contracts import ReportsModemEvents
from simspot.daemon.capabilities import Capability, Installer
from simspot.modem.api import router
from simspot.modem.errors import PinRejected, PinSafetyError
from simspot.modem.guard import BatteryGuard, IdleOff
from simspot.services import HOTSPOT_CONTROL

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

log = logging.getLogger(__name__)


class PinAutoUnlock:
    """Enters the configured PIN when a SIM asks for it, never spending the last attempt.

    A PIN the SIM rejected is not tried on that SIM again (until the daemon restarts), so a
    wrong configured PIN costs one attempt, not all of them.
    """

    name = "sim-pin"

    def __init__(self, daemon: Daemon, pin: str, interval_s: float = 2.0) -> None:
        self.daemon = daemon
        self._pin = pin
        self.interval_s = interval_s
        self.tried: set[str] = set()

    async def check(self) -> None:
        d = self.daemon
        modem = d.live.modem
        if modem is None or modem.unlock_required != "sim-pin":
            return
        slot = modem.active_slot()
        key = f"{modem.id}/{slot.iccid if slot and slot.iccid else '?'}"
        if key in self.tried:
            return  # rejected before: a wrong configured PIN must not burn more attempts
        self.tried.add(key)
        try:
            result = await d.backends.modem.unlock_pin(self._pin)
        except (PinSafetyError, PinRejected) as exc:
            d.bus.publish(
                "sim.unlock-refused",
                {"modem": modem.id, "why": str(exc), "why_said": exc.message_json()},
            )
            return
        if result.unlocked:
            self.tried.discard(key)  # it worked: the next time this SIM asks, the PIN is entered
        d.bus.publish("sim.unlocked", {"modem": modem.id, "unlocked": result.unlocked})

    async def run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        return None


def install(inst: Installer) -> None:
    daemon = inst.daemon
    guard = BatteryGuard(daemon)
    idle = IdleOff(daemon, hotspot=inst.want(HOTSPOT_CONTROL))
    daemon.supervisor.add(guard)
    daemon.supervisor.add(idle)
    if daemon.config.modem.pin:
        daemon.supervisor.add(PinAutoUnlock(daemon, daemon.config.modem.pin))
    modem = daemon.backends.modem
    if isinstance(modem, ReportsModemEvents):  # ModemManager reports its hot events
        modem.listeners.append(daemon.bus.publish)
    daemon.routers.append(router(daemon, idle, guard))


CAPABILITY = Capability(name="modem", install=install, wants=(HOTSPOT_CONTROL,))

__all__ = ["CAPABILITY"]
