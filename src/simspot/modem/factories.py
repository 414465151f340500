"""Factories of the modem and battery backends (see simspot.registry), imported when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simspot.contracts import BatteryBackend, ModemBackend

if TYPE_CHECKING:
    from simspot.daemon.build import BuildEnv


def modemmanager(env: BuildEnv) -> ModemBackend:
    from simspot.modem.mm import ModemManagerBackend
    from simspot.modem.pin import PinPolicy

    m = env.config.modem
    return ModemManagerBackend(
        bus_address=m.dbus_address,
        apns=m.apn,
        default_apn=m.default_apn,
        pin_policy=PinPolicy(keep=m.pin_keep_attempts, allow_unknown=m.pin_when_retries_unknown),
        refresh_interval_s=m.poll_interval_s,
        switch_timeout_s=m.switch_timeout_s,
    )


def no_modem(env: BuildEnv) -> ModemBackend:
    from simspot.modem.nomodem import NoModem

    return NoModem()


def sysfs(env: BuildEnv) -> BatteryBackend:
    from simspot.modem.sysfs import SysfsBattery

    return SysfsBattery(env.config.battery.sysfs_root)


def upower(env: BuildEnv) -> BatteryBackend:
    from simspot.modem.sysfs import SysfsBattery
    from simspot.modem.upower import UPowerBattery

    b = env.config.battery
    fallback = SysfsBattery(b.sysfs_root) if b.sysfs_fallback else None
    return UPowerBattery(bus_address=b.dbus_address, fallback=fallback)


def no_battery(env: BuildEnv) -> None:
    return None
