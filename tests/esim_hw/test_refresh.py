"""Refresh after enable/disable: through ModemManager when it manages the modem, else AT+CFUN.

ModemManager is faked at its D-Bus edge: a service on a private dbus-daemon that owns
org.freedesktop.ModemManager1 and exports one Modem object (Ports, Reset).
"""

# No `from __future__ import annotations`: dbus-fast reads the D-Bus signatures from them.
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from dbus_fast import DBusError
from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

from simspot.esim.at import AtError, refresh_modem
from simspot.simulator.atmodem import AtModem, ModemDialect

from .cards import ScriptedCard

CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><listen>unix:path={socket}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/>
<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>"""


class FakeModem(ServiceInterface):
    def __init__(self, ports: list[str], refuse: bool = False) -> None:
        super().__init__("org.freedesktop.ModemManager1.Modem")
        self.ports = ports
        self.refuse = refuse
        self.resets = 0

    @method()
    def Reset(self) -> None:
        if self.refuse:
            raise DBusError("org.freedesktop.ModemManager1.Error.Core.Unsupported", "no reset")
        self.resets += 1

    @dbus_property(access=PropertyAccess.READ)
    def Ports(self) -> "a(su)":  # type: ignore[name-defined]  # noqa: F821
        return [[p, 3] for p in self.ports]


@pytest.fixture
def bus_address() -> Iterator[str]:
    tmp = Path(tempfile.mkdtemp(prefix=f"simspot-mmbus-{os.getpid()}-"))
    (tmp / "bus.conf").write_text(CONF.format(socket=tmp / "bus"))
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={tmp / 'bus.conf'}", "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()
        assert address, "dbus-daemon did not start"
        yield address
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
        shutil.rmtree(tmp, ignore_errors=True)


async def modemmanager(address: str, modem: FakeModem) -> MessageBus:
    bus = await MessageBus(bus_address=address).connect()
    bus.export("/org/freedesktop/ModemManager1/Modem/3", modem)
    await bus.request_name("org.freedesktop.ModemManager1")
    return bus


@pytest.fixture
async def emulator() -> AsyncIterator[tuple[AtModem, ScriptedCard]]:
    card = ScriptedCard()
    m = AtModem(card, ModemDialect()).start()
    try:
        yield m, card
    finally:
        m.close()


async def test_modemmanager_resets_the_modem_it_manages(
    bus_address: str, emulator: tuple[AtModem, ScriptedCard]
) -> None:
    m, _card = emulator
    fake = FakeModem(["ttyUSB2", "cdc-wdm0"])
    bus = await modemmanager(bus_address, fake)
    try:
        result = await refresh_modem(at_port="/dev/ttyUSB2", bus_address=bus_address)
        assert (result.method, result.detail) == (
            "modemmanager-reset",
            "/org/freedesktop/ModemManager1/Modem/3",
        )
        assert fake.resets == 1
        assert m.log.cfun == []  # the AT port was not touched
        # No port given: the only modem is the one.
        await refresh_modem(bus_address=bus_address)
        assert fake.resets == 2
    finally:
        bus.disconnect()
        await bus.wait_for_disconnect()


async def test_a_modem_modemmanager_does_not_manage_gets_at_cfun(
    bus_address: str, emulator: tuple[AtModem, ScriptedCard]
) -> None:
    m, card = emulator
    fake = FakeModem(["ttyUSB2"])
    bus = await modemmanager(bus_address, fake)
    try:
        result = await refresh_modem(at_port=m.path, bus_address=bus_address)
        assert result.method == "at-cfun"
        assert fake.resets == 0 and m.log.cfun == ["0", "1"] and card.resets == 1
    finally:
        bus.disconnect()
        await bus.wait_for_disconnect()


async def test_no_modemmanager_on_the_bus_gets_at_cfun(
    bus_address: str, emulator: tuple[AtModem, ScriptedCard]
) -> None:
    m, card = emulator
    result = await refresh_modem(at_port=m.path, bus_address=bus_address)
    assert result.method == "at-cfun" and m.log.cfun == ["0", "1"] and card.resets == 1


async def test_modemmanager_refusing_the_reset_is_a_clear_error(bus_address: str) -> None:
    fake = FakeModem(["ttyUSB2"], refuse=True)
    bus = await modemmanager(bus_address, fake)
    try:
        with pytest.raises(AtError, match=r"ModemManager refused to reset modem .*Unsupported"):
            await refresh_modem(at_port="/dev/ttyUSB2", bus_address=bus_address)
    finally:
        bus.disconnect()
        await bus.wait_for_disconnect()


async def test_nothing_to_refresh_is_a_clear_error(bus_address: str) -> None:
    with pytest.raises(AtError, match="no ModemManager modem and no AT port"):
        await refresh_modem(bus_address=bus_address)
