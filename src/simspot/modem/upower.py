"""Battery from UPower over D-Bus (the DisplayDevice, which aggregates every battery).

When UPower is not on the bus the backend reads /sys/class/power_supply instead (if it was given
a fallback), so a box without UPower still has a battery guard.
"""

from __future__ import annotations

import logging

from simspot.model import BatteryStatus
from simspot.modem.bus import Bus, DBusAbsent
from simspot.modem.defs import (
    UPOWER_BUS_NAME,
    UPOWER_DEVICE,
    UPOWER_DISPLAY_DEVICE,
    UpDeviceKind,
    UpDeviceProps,
)
from simspot.modem.errors import ModemUnavailable
from simspot.modem.sysfs import SysfsBattery

log = logging.getLogger(__name__)


def battery_from_upower(dev: UpDeviceProps) -> BatteryStatus | None:
    """Our battery status from UPower's display device (None: no battery, mains powered)."""
    if not dev.is_present or dev.kind not in (UpDeviceKind.BATTERY, UpDeviceKind.UPS):
        return None
    charging = dev.on_external_power
    return BatteryStatus(
        present=True,
        percent=round(dev.percentage, 1) if dev.percentage is not None else None,
        charging=charging,
        time_to_empty_s=None if charging else dev.time_to_empty_s,
        source="upower",
    )


class UPowerBattery:
    """BatteryBackend on ``org.freedesktop.UPower``, with an optional sysfs fallback."""

    def __init__(
        self, *, bus_address: str | None = None, fallback: SysfsBattery | None = None
    ) -> None:
        self._bus = Bus(bus_address, timeout_s=10.0)
        self._fallback = fallback
        self.using_fallback = False

    async def start(self) -> None:
        try:
            await self._bus.connect()
        except ModemUnavailable as exc:
            if self._fallback is None:
                raise
            log.warning("no D-Bus, reading sysfs for the battery", extra={"error": str(exc)})

    async def stop(self) -> None:
        self._bus.disconnect()

    async def status(self) -> BatteryStatus | None:
        try:
            if not self._bus.connected:
                await self._bus.connect()
            props = await self._bus.get_all(UPOWER_BUS_NAME, UPOWER_DISPLAY_DEVICE, UPOWER_DEVICE)
        except (DBusAbsent, ModemUnavailable) as exc:
            if self._fallback is None:
                if isinstance(exc, DBusAbsent):  # the bus is there, UPower is not
                    raise ModemUnavailable(msg_id="modem.upower.not-running") from None
                raise
            if not self.using_fallback:
                log.warning("UPower is not running; reading the battery from sysfs")
            self.using_fallback = True
            return await self._fallback.status()
        self.using_fallback = False
        return battery_from_upower(UpDeviceProps.parse(props))
