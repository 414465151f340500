"""A private dbus-daemon per test module (tests.dbusbus), and python-dbusmock services on it.

The mocks are `python -m dbusmock` processes with DBUS_SYSTEM_BUS_ADDRESS pointing at the private
bus, so ModemManager and UPower templates (which live on the system bus) land there.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simspot.modem.bus import Bus
from tests.dbusbus import BUS_CONFIG as BUS_CONFIG
from tests.dbusbus import private_bus, spawn_dbusmock
from tests.dbusbus import start_bus as start_bus
from tests.dbusbus import stop_bus as stop_bus

HERE = Path(__file__).parent
MM_TEMPLATE = str(HERE / "mm_template.py")
MOCK_IFACE = "org.freedesktop.DBus.Mock"
MM_NAME, MM_MAIN = "org.freedesktop.ModemManager1", "/org/freedesktop/ModemManager1"
UP_NAME, UP_MAIN = "org.freedesktop.UPower", "/org/freedesktop/UPower"


@pytest.fixture(scope="module")
def dbus_address() -> Iterator[str]:
    """A private dbus-daemon for this test module."""
    with private_bus("simspot-dbus") as (address, _tmp):
        yield address


class MockService:
    """One `python -m dbusmock --template ...` process on the private bus."""

    def __init__(self, address: str, template: str, name: str, main: str, log: Path) -> None:
        self.address, self.template, self.name, self.main, self.log = (
            address,
            template,
            name,
            main,
            log,
        )
        self.proc: subprocess.Popen[bytes] | None = None
        self.ctl = Bus(address)

    async def start(self) -> None:
        if not self.ctl.connected:
            await self.ctl.connect()
        self.proc = self._spawn()
        await eventually(lambda: self.ctl.name_has_owner(self.name), what=f"{self.name} on the bus")

    def _spawn(self) -> subprocess.Popen[bytes]:
        return spawn_dbusmock(self.address, self.template, self.log)

    async def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            await asyncio.to_thread(self.proc.wait, 10)
        self.proc = None

    async def call(self, member: str, signature: str = "", body: list[Any] | None = None) -> Any:
        out = await self.ctl.call(self.name, self.main, MOCK_IFACE, member, signature, body or [])
        return out[0] if out else None

    async def calls_of(self, method: str) -> list[tuple[str, list[Any]]]:
        """(object path, arguments) of each call of ``method`` (mm_template's call log)."""
        text = await self.call("CallLog", "s", [method])
        return [(path, args) for path, args in json.loads(text)]

    async def close(self) -> None:
        await self.stop()
        self.ctl.disconnect()


async def eventually(
    check: Callable[[], Awaitable[Any]] | Callable[[], Any],
    within_s: float = 20,
    what: str = "condition",
) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; fail after ``within_s``."""
    deadline = time.monotonic() + within_s
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {within_s} s")
        await asyncio.sleep(0.05)


@pytest.fixture
async def mm_mock(dbus_address: str, tmp_path: Path) -> AsyncIterator[MockService]:
    service = MockService(dbus_address, MM_TEMPLATE, MM_NAME, MM_MAIN, tmp_path / "mm-mock.log")
    await service.start()
    try:
        yield service
    finally:
        await service.close()


@pytest.fixture
async def upower_mock(dbus_address: str, tmp_path: Path) -> AsyncIterator[MockService]:
    service = MockService(dbus_address, "upower", UP_NAME, UP_MAIN, tmp_path / "upower-mock.log")
    await service.start()
    try:
        yield service
    finally:
        await service.close()
