"""The SIM and power routes: ``/api/v1/sim/{slots,switch,unlock,sms}`` and ``/api/v1/power[/wake]``.

Answers are built from the daemon's typed snapshots (``simspot.model``), so the OpenAPI schema
describes exactly what the backends report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from simspot.apimodels import ERROR_RESPONSES, Out
from simspot.i18n_models import MessageOut
from simspot.model import BatteryStatus, ModemStatus, PinResult, SimSlot, SmsMessage
from simspot.modem.errors import ModemUnavailable, PinRejected

if TYPE_CHECKING:
    from simspot.daemon.runtime import Daemon
    from simspot.modem.guard import BatteryGuard, IdleOff


class SwitchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot: int = Field(ge=1, le=16)


class UnlockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pin: str = Field(pattern=r"^[0-9]{4,8}$")


class Slots(Out):
    modem: str | None
    active: int | None
    unlock_required: str | None = None  # left out when no modem is present
    unlock_retries: int | None = None
    slots: list[SimSlot]


class Switched(Out):
    ok: bool
    active: int
    modem: ModemStatus | None


class Messages(Out):
    messages: list[SmsMessage]


class SharingNow(Out):
    enabled: bool
    reasons: dict[str, str]
    reasons_said: dict[str, MessageOut] = Field(
        {}, description="each reason's why as a message ({id, params, text}) in the catalogue"
    )


class Power(Out):
    battery: BatteryStatus | None
    sharing: SharingNow
    warn_percent: float
    stop_percent: float
    hysteresis_percent: float
    idle_off_minutes: int
    battery_hold: bool
    idle_hold: bool


class Woken(Out):
    ok: bool
    sharing: bool


def router(daemon: Daemon, idle: IdleOff, guard: BatteryGuard) -> APIRouter:
    r = APIRouter(prefix="/api/v1", tags=["sim", "power"], responses=ERROR_RESPONSES)

    @r.get("/sim/slots", response_model_exclude_unset=True)
    async def slots() -> Slots:
        st = await daemon.backends.modem.status()
        if st is None:
            return Slots(modem=None, slots=[], active=None)
        active = st.active_slot()
        return Slots(
            modem=st.id,
            active=active.index if active else None,
            unlock_required=st.unlock_required,
            unlock_retries=st.unlock_retries,
            slots=list(st.slots),
        )

    @r.post("/sim/switch")
    async def switch(body: SwitchRequest) -> Switched:
        modem = daemon.backends.modem
        await modem.set_primary_slot(body.slot)
        st = await modem.status()
        daemon.bus.publish("sim.switched", {"slot": body.slot})
        return Switched(ok=True, active=body.slot, modem=st)

    @r.post("/sim/unlock")
    async def unlock(body: UnlockRequest) -> PinResult:
        try:
            result = await daemon.backends.modem.unlock_pin(body.pin)
        except PinRejected as exc:
            daemon.bus.publish("sim.pin-rejected", {"retries": exc.retries})
            raise
        daemon.bus.publish("sim.unlocked", {"unlocked": result.unlocked})
        return result

    @r.get("/sim/sms")
    async def sms() -> Messages:
        try:
            messages = await daemon.backends.modem.messages()
        except ModemUnavailable:
            messages = []
        return Messages(messages=messages)

    @r.get("/power")
    async def power() -> Power:
        t = guard.thresholds
        return Power(
            battery=daemon.live.battery,
            sharing=SharingNow(
                enabled=daemon.sharing.enabled,
                reasons=dict(daemon.sharing.reasons),
                reasons_said={
                    k: MessageOut(**said, text=daemon.sharing.reasons[k])
                    for k, said in daemon.sharing.said.items()
                },
            ),
            warn_percent=t.warn_percent,
            stop_percent=t.stop_percent,
            hysteresis_percent=t.hysteresis_percent,
            idle_off_minutes=idle.minutes(),
            battery_hold=guard.state.holding,
            idle_hold=idle.state.holding,
        )

    @r.post("/power/wake")
    async def wake() -> Woken:
        idle.wake()
        return Woken(ok=True, sharing=daemon.sharing.enabled)

    return r
