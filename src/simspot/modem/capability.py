"""Plugs the modem, SIM and power features into the daemon: components and /api/v1 routes.

Components: the battery guard, the idle auto-off timer and (with ``modem.pin`` set) the SIM PIN
auto-unlock. Routes: ``/api/v1/sim/{slots,switch,unlock,sms}`` and ``/api/v1/power[/wake]``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from simspot.modem.errors import ModemUnavailable, PinRejected, PinSafetyError
from simspot.modem.guard import BatteryGuard, IdleOff, idle_minutes

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon

log = logging.getLogger(__name__)


class SwitchRequest(BaseModel):
    slot: int = Field(ge=1, le=16)


class UnlockRequest(BaseModel):
    pin: str = Field(pattern=r"^[0-9]{4,8}$")


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
            d.bus.publish("sim.unlock-refused", {"modem": modem.id, "why": str(exc)})
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


def router(daemon: Daemon, idle: IdleOff, guard: BatteryGuard) -> APIRouter:
    r = APIRouter(prefix="/api/v1")

    def backend() -> Any:
        return daemon.backends.modem

    @r.get("/sim/slots")
    async def slots() -> dict[str, Any]:
        st = await backend().status()
        if st is None:
            return {"modem": None, "slots": [], "active": None}
        active = st.active_slot()
        return {
            "modem": st.id,
            "active": active.index if active else None,
            "unlock_required": st.unlock_required,
            "unlock_retries": st.unlock_retries,
            "slots": [s.model_dump(mode="json") for s in st.slots],
        }

    @r.post("/sim/switch")
    async def switch(body: SwitchRequest) -> dict[str, Any]:
        await backend().set_primary_slot(body.slot)
        st = await backend().status()
        daemon.bus.publish("sim.switched", {"slot": body.slot})
        return {
            "ok": True,
            "active": body.slot,
            "modem": st.model_dump(mode="json") if st else None,
        }

    @r.post("/sim/unlock")
    async def unlock(body: UnlockRequest) -> dict[str, Any]:
        try:
            result = await backend().unlock_pin(body.pin)
        except PinRejected as exc:
            daemon.bus.publish("sim.pin-rejected", {"retries": exc.retries})
            raise
        daemon.bus.publish("sim.unlocked", {"unlocked": result.unlocked})
        out: dict[str, Any] = result.model_dump(mode="json")
        return out

    @r.get("/sim/sms")
    async def sms() -> dict[str, Any]:
        try:
            messages = await backend().messages()
        except ModemUnavailable:
            messages = []
        return {"messages": [m.model_dump(mode="json") for m in messages]}

    @r.get("/power")
    async def power() -> dict[str, Any]:
        bat = daemon.live.battery
        t = guard.thresholds
        return {
            "battery": bat.model_dump(mode="json") if bat else None,
            "sharing": {"enabled": daemon.sharing.enabled, "reasons": dict(daemon.sharing.reasons)},
            "warn_percent": t.warn_percent,
            "stop_percent": t.stop_percent,
            "hysteresis_percent": t.hysteresis_percent,
            "idle_off_minutes": idle_minutes(daemon),
            "battery_hold": guard.state.holding,
            "idle_hold": idle.state.holding,
        }

    @r.post("/power/wake")
    async def wake() -> dict[str, Any]:
        idle.wake()
        return {"ok": True, "sharing": daemon.sharing.enabled}

    return r


def install(daemon: Daemon) -> None:
    guard = BatteryGuard(daemon)
    idle = IdleOff(daemon)
    daemon.supervisor.add(guard)
    daemon.supervisor.add(idle)
    if daemon.config.modem.pin:
        daemon.supervisor.add(PinAutoUnlock(daemon, daemon.config.modem.pin))
    listeners = getattr(daemon.backends.modem, "listeners", None)
    if isinstance(listeners, list):  # the ModemManager backend reports its hot events
        listeners.append(daemon.bus.publish)
    daemon.routers.append(router(daemon, idle, guard))


__all__ = ["install"]
