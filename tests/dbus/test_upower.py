"""UPower backend and the battery guard, against python-dbusmock's upower template."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from dbus_fast import Variant

from simspot import config
from simspot.daemon.build import build_backends
from simspot.daemon.runtime import Daemon
from simspot.modem.errors import ModemUnavailable
from simspot.modem.sysfs import SysfsBattery
from simspot.modem.upower import UPowerBattery
from tests.dbus.conftest import MockService, eventually

DISPLAY = "/org/freedesktop/UPower/devices/DisplayDevice"
DISCHARGING, CHARGING, BATTERY = 2, 1, 2


async def setup_display(
    mock: MockService, percent: float, state: int = DISCHARGING, tte: int = 3600
) -> None:
    # type, state, percentage, energy, energy-full, energy-rate, to-empty, to-full, present,
    # icon, warning level
    await mock.call(
        "SetupDisplayDevice",
        "uuddddxxbsu",
        [BATTERY, state, percent, percent, 100.0, 5.0, tte, 0, True, "battery", 1],
    )


async def set_display(mock: MockService, **props: Variant) -> None:
    await mock.call("SetDeviceProperties", "oa{sv}", [DISPLAY, props])


def fake_sysfs(root: Path, capacity: int, status: str = "Discharging") -> Path:
    bat = root / "BAT0"
    bat.mkdir(parents=True, exist_ok=True)
    (bat / "type").write_text("Battery\n")
    (bat / "present").write_text("1\n")
    (bat / "capacity").write_text(f"{capacity}\n")
    (bat / "status").write_text(status + "\n")
    (bat / "energy_now").write_text("20000000\n")  # 20 Wh
    (bat / "power_now").write_text("5000000\n")  # 5 W
    return root


async def test_display_device_read(upower_mock: MockService, dbus_address: str) -> None:
    backend = UPowerBattery(bus_address=dbus_address)
    await backend.start()
    try:
        await setup_display(upower_mock, 55.0)
        st = await backend.status()
        assert st is not None
        assert (st.present, st.percent, st.charging, st.time_to_empty_s, st.source) == (
            True,
            55.0,
            False,
            3600,
            "upower",
        )
        await set_display(upower_mock, State=Variant("u", CHARGING))
        st = await backend.status()
        assert st is not None and st.charging and st.time_to_empty_s is None
        # No battery at all (a mains-powered box): the display device is not present.
        await set_display(upower_mock, IsPresent=Variant("b", False))
        assert await backend.status() is None
    finally:
        await backend.stop()


async def test_sysfs_fallback_when_upower_is_absent(dbus_address: str, tmp_path: Path) -> None:
    root = fake_sysfs(tmp_path / "power_supply", 42)
    backend = UPowerBattery(bus_address=dbus_address, fallback=SysfsBattery(root))
    await backend.start()
    try:
        st = await backend.status()
        assert st is not None and st.source == "sysfs" and st.percent == 42.0
        assert st.time_to_empty_s == 4 * 3600 and backend.using_fallback
    finally:
        await backend.stop()
    lonely = UPowerBattery(bus_address=dbus_address)
    await lonely.start()
    try:
        with pytest.raises(ModemUnavailable):
            await lonely.status()
    finally:
        await lonely.stop()


async def test_sysfs_fallback_without_any_bus(tmp_path: Path) -> None:
    root = fake_sysfs(tmp_path / "power_supply", 64, status="Charging")
    nowhere = f"unix:path={tmp_path / 'no-such-bus'}"
    backend = UPowerBattery(bus_address=nowhere, fallback=SysfsBattery(root))
    await backend.start()
    try:
        st = await backend.status()
        assert st is not None and st.source == "sysfs" and st.charging and st.percent == 64.0
    finally:
        await backend.stop()


async def test_upower_comes_back_after_fallback(
    dbus_address: str, tmp_path: Path, upower_mock: MockService
) -> None:
    root = fake_sysfs(tmp_path / "power_supply", 42)
    await upower_mock.stop()
    backend = UPowerBattery(bus_address=dbus_address, fallback=SysfsBattery(root))
    await backend.start()
    try:
        assert (st := await backend.status()) is not None and st.source == "sysfs"
        await upower_mock.start()
        await setup_display(upower_mock, 77.0)
        st = await backend.status()
        assert st is not None and st.source == "upower" and st.percent == 77.0
    finally:
        await backend.stop()


async def test_battery_guard_stops_and_resumes_sharing(
    upower_mock: MockService, dbus_address: str, tmp_path: Path
) -> None:
    """The whole daemon with the UPower backend: the guard follows the mock's battery."""
    await setup_display(upower_mock, 60.0)
    conf = config.validate(
        {
            "daemon": {"state_dir": str(tmp_path)},
            "simulator": {"seed": 3},
            "battery": {
                "backend": "upower",
                "dbus_address": dbus_address,
                "warn_percent": 20,
                "stop_percent": 10,
                "hysteresis_percent": 3,
            },
        }
    )
    daemon = Daemon(conf, build_backends(conf, simulate=True))
    daemon.auth.setup()
    await daemon.start()
    try:
        kinds = lambda: [e.kind for e in daemon.bus.recent()]  # noqa: E731
        await eventually(lambda: daemon.live.battery and daemon.live.battery.percent == 60.0)
        assert daemon.sharing.enabled

        await set_display(upower_mock, Percentage=Variant("d", 15.0))
        await eventually(lambda: "battery.low" in kinds(), what="low-battery warning")
        assert daemon.sharing.enabled

        await set_display(upower_mock, Percentage=Variant("d", 8.0))
        await eventually(lambda: "battery" in daemon.sharing.reasons, what="battery hold")
        assert not daemon.sharing.enabled

        # Back above the stop threshold but inside the hysteresis: still held.
        await set_display(upower_mock, Percentage=Variant("d", 11.0))
        await eventually(lambda: daemon.live.battery and daemon.live.battery.percent == 11.0)
        await asyncio.sleep(2.5)  # a few guard rounds (1 s each) on the new reading
        assert "battery" in daemon.sharing.reasons

        # Plugged in: released at once.
        await set_display(upower_mock, State=Variant("u", CHARGING))
        await eventually(lambda: "battery" not in daemon.sharing.reasons, what="release")
        assert "sharing.released" in kinds()
    finally:
        await daemon.stop()
