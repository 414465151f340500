"""The system bus itself going away and coming back (dbus-daemon restarted)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from dbus_fast import Variant

from simspot.modem.mm import ModemManagerBackend
from tests.dbus.conftest import (
    MM_MAIN,
    MM_NAME,
    MM_TEMPLATE,
    MockService,
    eventually,
    start_bus,
    stop_bus,
)


async def test_backend_survives_a_bus_restart(tmp_path: Path) -> None:
    # A short socket path of our own (unix socket paths are limited to 108 bytes).
    where = Path(tempfile.mkdtemp(prefix=f"simspot-bus-{os.getpid()}-"))
    bus, address = start_bus(where)
    address = address.split(",")[0]  # as the system bus is named: the socket, no server guid
    mock = MockService(address, MM_TEMPLATE, MM_NAME, MM_MAIN, tmp_path / "mock.log")
    backend = ModemManagerBackend(bus_address=address, refresh_interval_s=1)
    try:
        await mock.start()
        await mock.call("AddDualSimModem", "a{sv}", [{"primary": Variant("u", 2)}])
        await backend.start()
        await eventually(backend.status, what="modem")

        await mock.stop()
        mock.ctl.disconnect()
        stop_bus(bus)
        await eventually(lambda: _gone(backend), what="snapshot cleared with the bus gone")

        bus, address2 = start_bus(where)
        assert address2.split(",")[0] == address  # the same socket, a new server
        await mock.start()
        await mock.call("AddDualSimModem", "a{sv}", [{"primary": Variant("u", 1)}])
        st = await eventually(backend.status, what="modem after reconnecting")
        active = st.active_slot()
        assert active is not None and active.index == 1
    finally:
        await backend.stop()
        await mock.close()
        stop_bus(bus)
        shutil.rmtree(where, ignore_errors=True)


async def _gone(backend: ModemManagerBackend) -> bool:
    return await backend.status() is None
